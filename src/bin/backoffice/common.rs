//! File handling shared by the subcommands: reading policies and JSON, choosing the
//! engine, compiling.

use backoffice::engine::{hooks_of, AnyEngine, ENGINE_KINDS};
use backoffice::policy::{CallObserver, Policy, PolicyRuntime};
use backoffice::Error;
use std::fmt;
use std::path::Path;

/// A failure that stops a command: printed to stderr (or, with `--error-format json`, as
/// a JSON error object on stdout), exit status 1. The second field keeps the library's
/// error, for its code and diagnostics.
#[derive(Debug, Clone)]
pub struct Failure(pub String, pub Option<Box<Error>>);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Failure {
    /// `error: <message>`.
    pub fn new(message: impl fmt::Display) -> Self {
        Failure(format!("error: {message}"), None)
    }

    /// The failure as the JSON error object the C ABI prints,
    /// `{code, message, field?, diagnostics}`; `code` is `cli_error` for a failure of
    /// the tool itself (an unreadable file, an unknown engine, a bad flag).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.1 {
            Some(err) => err.to_json_value(),
            None => serde_json::json!({
                "code": "cli_error",
                "message": self.0.strip_prefix("error: ").unwrap_or(&self.0),
                "diagnostics": [],
            }),
        }
    }
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        let text = match &err {
            // Policy errors render themselves rustc-style.
            Error::Policy { .. } => err.to_string(),
            other => format!("error: {other}"),
        };
        Failure(text, Some(Box::new(err)))
    }
}

/// Refuses `-` (standard input) for both `--config` and `--input`: there is only one.
pub fn stdin_once(config: Option<&Path>, input: &Path) -> Result<(), Failure> {
    let dash = |p: &Path| p.as_os_str() == "-";
    if config.is_some_and(dash) && dash(input) {
        return Err(Failure::new(
            "--config and --input cannot both be `-`: standard input can be read only once; give one of them as a file",
        ));
    }
    Ok(())
}

/// Reads a text file, or standard input for `-`.
pub fn read_text(path: &Path) -> Result<String, Failure> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| Failure::new(format_args!("cannot read standard input: {e}")))?;
        return Ok(text);
    }
    std::fs::read_to_string(path)
        .map_err(|e| Failure::new(format_args!("cannot read `{}`: {e}", path.display())))
}

/// Parses JSON text from `origin` (a file name, for messages).
pub fn parse_json(text: &str, origin: &str) -> Result<serde_json::Value, Failure> {
    serde_json::from_str(text)
        .map_err(|e| Failure::new(format_args!("`{origin}` is not valid JSON: {e}")))
}

/// A `// engine: NAME` header among the comment lines that open a policy: the name and
/// where it stands (1-based line and column, in characters), or a comment that looks like
/// a misspelt header key (`// engin: returns`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The key as written (`engine` when spelt right).
    pub key: String,
    /// The engine name as written.
    pub name: String,
    /// The line of the header, from 1.
    pub line: usize,
    /// The column of the name (or of a misspelt key), from 1.
    pub column: usize,
}

/// The `// engine:` header of a policy (or a comment that looks like one with its key
/// misspelt), if one stands among the comment lines that open it.
pub fn engine_header(source: &str) -> Option<Header> {
    for (index, raw) in source.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let Some(comment) = line.strip_prefix("//") else {
            break;
        };
        let comment = comment.trim_start_matches(['/', '!']).trim_start();
        let Some((key, rest)) = comment.split_once(':') else {
            continue;
        };
        let name = rest.trim();
        let word = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphabetic());
        let lower = key.to_ascii_lowercase();
        let header_like = lower == "engine"
            || (word && backoffice::error::closest_name(&lower, ["engine"]).is_some());
        let prose = lower != "engine" && name.contains(char::is_whitespace);
        if !header_like || name.is_empty() || prose {
            continue;
        }
        // Columns count characters from the start of the raw line.
        let at = |part: &str| {
            let offset = (part.as_ptr() as usize).saturating_sub(raw.as_ptr() as usize);
            raw.get(..offset)
                .map_or(1, |before| before.chars().count() + 1)
        };
        return Some(Header {
            key: key.to_string(),
            name: name.to_string(),
            line: index + 1,
            column: if key == "engine" { at(name) } else { at(key) },
        });
    }
    None
}

/// The error for a header that names no engine, or whose key is misspelt: its position,
/// the known engines and the closest one.
fn header_failure(header: &Header, path: Option<&Path>) -> Failure {
    let origin = path.map_or_else(|| "<policy>".to_string(), display);
    let at = format!(" --> {origin}:{}:{}", header.line, header.column);
    if header.key != "engine" {
        return Failure::new(format_args!(
            "`// {}:` is not a policy header\n{at}\n  = help: did you mean `// engine: {}`? engines: {}",
            header.key,
            header.name,
            known_engines()
        ));
    }
    let hint = match backoffice::error::closest_name(&header.name, ENGINE_KINDS.iter().copied()) {
        Some(similar) => format!("did you mean `{similar}`? "),
        None => String::new(),
    };
    Failure::new(format_args!(
        "unknown engine `{}` in the `// engine:` header\n{at}\n  = help: {hint}engines: {}",
        header.name,
        known_engines()
    ))
}

/// Which engine a policy is for: `--engine`, else its header, else its file name when
/// that is an engine's name (`returns.rhai`). A header that names no engine (or whose
/// key is misspelt) is an error with its line and column, unless `--engine` is given.
pub fn resolve_engine(
    flag: Option<&str>,
    source: Option<&str>,
    path: Option<&Path>,
) -> Result<String, Failure> {
    let header = match (flag, source.and_then(engine_header)) {
        (None, Some(header)) => {
            if header.key != "engine" || !ENGINE_KINDS.contains(&header.name.as_str()) {
                return Err(header_failure(&header, path));
            }
            Some(header.name)
        }
        _ => None,
    };
    let kind = flag.map(str::to_string).or(header).or_else(|| {
        let stem = path?.file_name()?.to_str()?.split('.').next()?;
        ENGINE_KINDS.contains(&stem).then(|| stem.to_string())
    });
    match kind {
        Some(kind) => {
            hooks_of(&kind)?;
            Ok(kind)
        }
        None => Err(Failure::new(format_args!(
            "cannot tell which engine {} is for\n  = help: pass --engine ENGINE or start the policy with a `// engine: ENGINE` line; engines: {}",
            path.map_or_else(|| "the request".to_string(), |p| format!("`{}`", p.display())),
            known_engines()
        ))),
    }
}

/// The engine names, comma-separated, for messages.
pub fn known_engines() -> String {
    if ENGINE_KINDS.is_empty() {
        "none (this build has no engines)".to_string()
    } else {
        ENGINE_KINDS.join(", ")
    }
}

/// The name a policy goes by in diagnostics and reasons: its path as given.
pub fn policy_name(path: &Path) -> String {
    display(path)
}

/// A path as the user reads it: without a leading `./`.
pub fn display(path: &Path) -> String {
    let text = path.display().to_string();
    match text.strip_prefix("./") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => text,
    }
}

/// What `eval` and `bench` need: the engine built from the flags.
pub struct Loaded {
    /// The engine's kind.
    pub kind: String,
    /// The engine, with the policy attached.
    pub engine: AnyEngine,
    /// The policy, when one was given.
    pub policy: Option<Policy>,
    /// The configuration text, when one was given.
    pub config: Option<String>,
}

/// Builds an engine from `--engine`, `--policy` and `--config`; `observer`, when given,
/// is told of every hook call of the policy.
pub fn load_engine(
    engine: Option<&str>,
    policy: Option<&Path>,
    config: Option<&Path>,
    runtime: &PolicyRuntime,
    observer: Option<std::sync::Arc<dyn CallObserver>>,
) -> Result<Loaded, Failure> {
    let (kind, policy) = match policy {
        Some(path) => {
            let source = read_text(path)?;
            let kind = resolve_engine(engine, Some(&source), Some(path))?;
            let mut policy = Policy::compile(&policy_name(path), &source, runtime)?;
            if let Some(observer) = observer {
                policy = policy.with_observer(observer);
            }
            (kind, Some(policy))
        }
        None => (resolve_engine(engine, None, None)?, None),
    };
    let config = config.map(read_text).transpose()?;
    let built = AnyEngine::new(&kind, config.as_deref(), policy.clone())?;
    Ok(Loaded {
        kind,
        engine: built,
        policy,
        config,
    })
}
