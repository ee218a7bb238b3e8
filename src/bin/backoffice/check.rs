//! `backoffice check`: compile, check hooks, print diagnostics.

use crate::args::{CheckArgs, ErrorFormat};
use crate::common::{policy_name, read_text, resolve_engine, Failure};
use backoffice::engine::hooks_of;
use backoffice::policy::native::HookCompilation;
use backoffice::policy::{Policy, PolicyRuntime};
use backoffice::{Diagnostic, Error, Severity};
use serde_json::json;
use std::process::ExitCode;

/// What checking one file found.
struct Checked {
    path: String,
    engine: Option<String>,
    hooks: Vec<String>,
    diagnostics: Vec<Diagnostic>,
    /// Per hook: compiled for the native evaluator or not, and why.
    native: Vec<HookCompilation>,
    /// A problem that is not about the policy text (unreadable file, unknown engine).
    error: Option<String>,
}

impl Checked {
    /// No errors (warnings are allowed).
    fn ok(&self) -> bool {
        self.errors() == 0 && self.error.is_none()
    }

    /// The number of error-severity diagnostics.
    fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
}

fn check_file(path: &std::path::Path, engine: Option<&str>, runtime: &PolicyRuntime) -> Checked {
    let mut checked = Checked {
        path: policy_name(path),
        engine: None,
        hooks: Vec::new(),
        diagnostics: Vec::new(),
        native: Vec::new(),
        error: None,
    };
    let source = match read_text(path) {
        Ok(source) => source,
        Err(Failure(message, _)) => {
            checked.error = Some(strip_error(&message));
            return checked;
        }
    };
    // Compile first: syntax errors are worth showing even when the engine is unknown.
    let policy = match Policy::compile(&checked.path, &source, runtime) {
        Ok(policy) => policy,
        Err(err) => {
            checked.engine = resolve_engine(engine, Some(&source), Some(path)).ok();
            checked.diagnostics = diagnostics_of(err);
            return checked;
        }
    };
    let kind = match resolve_engine(engine, Some(&source), Some(path)) {
        Ok(kind) => kind,
        Err(Failure(message, _)) => {
            checked.error = Some(strip_error(&message));
            return checked;
        }
    };
    checked.engine = Some(kind.clone());
    // An empty policy is refused when attached to an engine; here it is a warning, so
    // that a file being started checks clean.
    let bound = hooks_of(&kind).and_then(|hooks| {
        policy.clone().allow_empty().bind(&kind, hooks)?;
        if policy.defines_no_hook(hooks) {
            let mut warning = policy.empty_diagnostic(&kind, hooks);
            warning.severity = Severity::Warning;
            checked.diagnostics.push(warning);
        }
        Ok(())
    });
    match bound {
        Ok(()) => {
            checked.hooks = policy
                .functions()
                .iter()
                .filter(|f| !f.name.starts_with('_'))
                .map(|f| f.name.clone())
                .collect();
            checked.native = policy.native_report();
        }
        Err(err) => checked.diagnostics = diagnostics_of(err),
    }
    checked
}

fn diagnostics_of(err: Error) -> Vec<Diagnostic> {
    match err {
        Error::Policy { diagnostics } => diagnostics,
        other => vec![Diagnostic::error(other.code(), other.to_string())],
    }
}

fn strip_error(message: &str) -> String {
    message
        .strip_prefix("error: ")
        .unwrap_or(message)
        .to_string()
}

/// Runs `check`.
pub fn run(args: &CheckArgs) -> Result<ExitCode, Failure> {
    let runtime = PolicyRuntime::new();
    let results: Vec<Checked> = args
        .files
        .iter()
        .map(|path| check_file(path, args.engine.as_deref(), &runtime))
        .collect();
    let failed = results.iter().filter(|c| !c.ok()).count();
    let errors: usize = results
        .iter()
        .map(|c| c.errors() + usize::from(c.error.is_some()))
        .sum();
    match args.error_format {
        ErrorFormat::Json => {
            let files: Vec<serde_json::Value> = results
                .iter()
                .map(|c| {
                    let mut file = json!({
                        "path": c.path,
                        "engine": c.engine,
                        "ok": c.ok(),
                        "hooks": c.hooks,
                        "diagnostics": c.diagnostics,
                    });
                    if let (Some(error), Some(map)) = (&c.error, file.as_object_mut()) {
                        map.insert("error".into(), json!(error));
                    }
                    if let (true, Some(map)) = (args.explain, file.as_object_mut()) {
                        map.insert("native".into(), json!(c.native));
                    }
                    file
                })
                .collect();
            let report = json!({
                "files": files,
                "checked": results.len(),
                "failed": failed,
                "errors": errors,
            });
            println!("{}", pretty(&report));
        }
        ErrorFormat::Human => {
            for checked in &results {
                if let Some(error) = &checked.error {
                    eprintln!("error: {error}\n");
                }
                for diagnostic in &checked.diagnostics {
                    eprintln!("{diagnostic}\n");
                }
                if checked.ok() {
                    let hooks = if checked.hooks.is_empty() {
                        "no hooks".to_string()
                    } else {
                        format!("hooks: {}", checked.hooks.join(", "))
                    };
                    println!(
                        "ok: {} ({} engine; {hooks})",
                        checked.path,
                        checked.engine.as_deref().unwrap_or("?")
                    );
                    if args.explain {
                        for hook in &checked.native {
                            match &hook.reason {
                                None => println!("  {}: native", hook.hook),
                                Some(reason) => println!(
                                    "  {}: interpreted ({}:{}:{}: {reason})",
                                    hook.hook,
                                    checked.path,
                                    hook.line.unwrap_or(0),
                                    hook.column.unwrap_or(0)
                                ),
                            }
                        }
                    }
                }
            }
            if failed > 0 {
                eprintln!(
                    "error: {errors} error{} in {failed} of {} polic{}",
                    if errors == 1 { "" } else { "s" },
                    results.len(),
                    if results.len() == 1 { "y" } else { "ies" }
                );
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Pretty JSON (serialising a `Value` cannot fail; an empty string if it ever did).
pub fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
