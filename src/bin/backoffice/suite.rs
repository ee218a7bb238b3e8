//! `backoffice test`: policy test files, cargo-test-like output, line coverage.
//!
//! The file format is documented in `docs/policy-tests.md`.

use crate::args::{CoverageFormat, ErrorFormat, Format, TestArgs};
use crate::check::pretty;
use crate::common::{display, parse_json, read_text, resolve_engine, Failure};
use crate::matching::{lookup, subset_diff, Mismatch};
use backoffice::engine::AnyEngine;
use backoffice::policy::testing::{json_matches, run_case, PolicyCase};
use backoffice::policy::{Coverage, DecideOptions, Policy, PolicyRuntime};
use backoffice::Diagnostic;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A test file (`*.test.json`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    /// What the suite is about (shown nowhere; for readers).
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    /// The engine every case uses unless it names another.
    #[serde(default)]
    engine: Option<String>,
    /// The policy, relative to the test file; absent for the built-in behaviour.
    #[serde(default)]
    policy: Option<String>,
    /// The engine configuration: an object, or a JSON file relative to the test file.
    #[serde(default)]
    config: Option<Value>,
    /// The cases: decision cases, and hook cases (those with a `hook` field).
    cases: Vec<Value>,
}

/// A case that runs a whole decision.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionCase {
    name: String,
    #[serde(default)]
    engine: Option<String>,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    config: Option<Value>,
    #[serde(default)]
    input: Option<Value>,
    #[serde(default)]
    input_file: Option<String>,
    #[serde(default)]
    options: Option<DecideOptions>,
    #[serde(default)]
    expect: Expect,
}

/// What a decision case expects.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// Fields of the outcome (only those given are compared).
    #[serde(default)]
    outcome: Option<Value>,
    /// Values at paths of the decision, e.g. `outcome.refund.amount`.
    #[serde(default)]
    fields: BTreeMap<String, Value>,
    /// Reason codes.
    #[serde(default)]
    reasons: Option<ReasonsExpect>,
    /// The decision must fail with this error code or diagnostic code.
    #[serde(default)]
    error: Option<String>,
    /// The policy's `print`/`debug` lines, in order.
    #[serde(default)]
    output: Option<Vec<String>>,
}

impl Expect {
    /// Why the expectation checks nothing, if it does not: an absent or empty `expect`
    /// (or one whose only parts are empty) would pass whatever the decision.
    fn emptiness(&self) -> Option<String> {
        let outcome_empty = self
            .outcome
            .as_ref()
            .is_none_or(|o| o.as_object().is_some_and(serde_json::Map::is_empty));
        let reasons_empty = self
            .reasons
            .as_ref()
            .is_none_or(|r| r.contains.is_none() && r.exactly.is_none() && r.excludes.is_none());
        let empty = outcome_empty
            && self.fields.is_empty()
            && reasons_empty
            && self.error.is_none()
            && self.output.is_none();
        empty.then(|| {
            "the case expects nothing, so it would always pass: give `expect` at least one of `outcome`, `fields`, `reasons` (`contains`, `exactly` or `excludes`), `error` or `output`".to_string()
        })
    }
}

/// Every reason code a decision of `kind` with this policy and configuration could
/// carry: the engine's built-in codes, and each string literal of the policy and string
/// value of the configuration (policies and configurations name their own codes).
fn emittable_codes(kind: &str, policy_source: Option<&str>, config: &str) -> Vec<String> {
    let mut codes: Vec<String> = crate::reason_codes::builtin(kind)
        .into_iter()
        .map(str::to_string)
        .collect();
    if let Some(source) = policy_source {
        if let Ok(literal) = regex::Regex::new(r#""((?:[^"\\]|\\.)*)"|`([^`]*)`"#) {
            for found in literal.captures_iter(source) {
                if let Some(text) = found.get(1).or_else(|| found.get(2)) {
                    codes.push(text.as_str().to_string());
                }
            }
        }
    }
    fn strings(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            Value::Object(map) => map.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    if let Ok(config) = serde_json::from_str::<Value>(config) {
        strings(&config, &mut codes);
    }
    codes
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonsExpect {
    #[serde(default)]
    contains: Option<Vec<String>>,
    #[serde(default)]
    exactly: Option<Vec<String>>,
    #[serde(default)]
    excludes: Option<Vec<String>>,
}

/// The result of one case.
struct CaseReport {
    file: String,
    name: String,
    kind: &'static str,
    passed: bool,
    /// One line per broken expectation that is not a field mismatch.
    failures: Vec<String>,
    mismatches: Vec<Mismatch>,
    actual: Option<Value>,
    /// The policy diagnostics behind the failures (a policy that does not compile, a
    /// hook that fails), printed after them.
    diagnostics: Vec<Diagnostic>,
    /// Expectations that look wrong without failing (failures with `--strict`).
    warnings: Vec<String>,
}

impl CaseReport {
    fn full_name(&self) -> String {
        format!("{} :: {}", self.file, self.name)
    }

    fn to_json(&self) -> Value {
        json!({
            "file": self.file,
            "name": self.name,
            "kind": self.kind,
            "passed": self.passed,
            "failures": self.failures,
            "mismatches": self.mismatches.iter().map(|m| json!({
                "path": m.path, "expected": m.expected, "actual": m.actual,
            })).collect::<Vec<_>>(),
            "actual": self.actual,
            "diagnostics": self.diagnostics,
            "warnings": self.warnings,
        })
    }

    fn failed(file: &str, name: &str, kind: &'static str, failure: String) -> Self {
        CaseReport {
            file: file.to_string(),
            name: name.to_string(),
            kind,
            passed: false,
            failures: vec![failure],
            mismatches: Vec::new(),
            actual: None,
            diagnostics: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Records `failure`: its text after `headline`, or, for a policy error, the
    /// headline alone and its diagnostics apart (so they can be printed as JSON).
    fn fail_with(&mut self, headline: &str, failure: &Failure) {
        match failure.1.as_deref().map(backoffice::Error::diagnostics) {
            Some(diagnostics) if !diagnostics.is_empty() => {
                self.failures.push(headline.to_string());
                self.diagnostics.extend(diagnostics.iter().cloned());
            }
            _ => self.failures.push(format!("{headline}\n{}", failure.0)),
        }
    }
}

/// Compiled policies and built engines, shared by every file of a run.
struct Workspace {
    runtime: PolicyRuntime,
    policies: BTreeMap<PathBuf, Result<Policy, Failure>>,
    engines: HashMap<(String, Option<PathBuf>, String), Result<AnyEngine, Failure>>,
}

impl Workspace {
    fn policy(&mut self, path: &Path) -> Result<Policy, Failure> {
        let runtime = &self.runtime;
        self.policies
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                let source = read_text(path)?;
                Ok(Policy::compile(&display(path), &source, runtime)?)
            })
            .clone()
    }

    fn engine(
        &mut self,
        kind: &str,
        policy: Option<&Path>,
        config: &str,
    ) -> Result<&AnyEngine, Failure> {
        let key = (
            kind.to_string(),
            policy.map(Path::to_path_buf),
            config.to_string(),
        );
        if !self.engines.contains_key(&key) {
            let built = match policy.map(|p| self.policy(p)).transpose() {
                Ok(policy) => AnyEngine::new(kind, Some(config), policy).map_err(Failure::from),
                Err(e) => Err(e),
            };
            self.engines.insert(key.clone(), built);
        }
        match self.engines.get(&key) {
            Some(Ok(engine)) => Ok(engine),
            Some(Err(e)) => Err(e.clone()),
            None => Err(Failure::new("internal: engine cache")),
        }
    }
}

/// Every test file under `paths`: files as given, directories searched for `*.test.json`.
fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Failure> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| Failure::new(format_args!("cannot read `{}`: {e}", dir.display())))?;
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out)?;
            } else if path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".test.json"))
            {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let before = files.len();
            walk(path, &mut files)?;
            if files.len() == before {
                return Err(Failure::new(format_args!(
                    "no `*.test.json` files under `{}`",
                    path.display()
                )));
            }
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(Failure::new(format_args!(
                "cannot read `{}`: no such file or directory",
                path.display()
            )));
        }
    }
    Ok(files)
}

/// A case to run, after reading its file.
enum Pending {
    Decision(Box<DecisionCase>),
    Hook(PolicyCase),
    /// The case (or its whole file) could not be read.
    Broken(String, String),
}

struct LoadedFile {
    display: String,
    dir: PathBuf,
    engine: Option<String>,
    policy: Option<PathBuf>,
    config: Result<String, String>,
    cases: Vec<Pending>,
}

fn load_file(path: &Path) -> LoadedFile {
    let display = display(path);
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut loaded = LoadedFile {
        display: display.clone(),
        dir: dir.clone(),
        engine: None,
        policy: None,
        config: Ok(String::new()),
        cases: Vec::new(),
    };
    let file: TestFile = match read_text(path)
        .and_then(|text| parse_json(&text, &display))
        .and_then(|v| {
            serde_json::from_value(v)
                .map_err(|e| Failure::new(format_args!("`{display}` is not a test file: {e}")))
        }) {
        Ok(file) => file,
        Err(Failure(message, _)) => {
            loaded
                .cases
                .push(Pending::Broken("(file)".to_string(), message));
            return loaded;
        }
    };
    loaded.engine = file.engine;
    loaded.policy = file.policy.map(|p| dir.join(p));
    loaded.config = config_text(file.config.as_ref(), &dir);
    for (i, case) in file.cases.into_iter().enumerate() {
        let name = case
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| format!("case {}", i + 1), str::to_string);
        let pending = if case.get("hook").is_some() {
            serde_json::from_value::<PolicyCase>(case).map(Pending::Hook)
        } else {
            serde_json::from_value::<DecisionCase>(case).map(|c| Pending::Decision(Box::new(c)))
        };
        loaded.cases.push(
            pending
                .unwrap_or_else(|e| Pending::Broken(name, format!("the case is not valid: {e}"))),
        );
    }
    loaded
}

/// The configuration as JSON text: inline objects serialised, strings read as files.
fn config_text(config: Option<&Value>, dir: &Path) -> Result<String, String> {
    match config {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(file)) => read_text(&dir.join(file)).map_err(|f| f.0),
        Some(other) => serde_json::to_string(other).map_err(|e| e.to_string()),
    }
}

fn run_decision(ws: &mut Workspace, file: &LoadedFile, case: &DecisionCase) -> CaseReport {
    let mut report = CaseReport {
        file: file.display.clone(),
        name: case.name.clone(),
        kind: "decision",
        passed: false,
        failures: Vec::new(),
        mismatches: Vec::new(),
        actual: None,
        diagnostics: Vec::new(),
        warnings: Vec::new(),
    };
    if let Some(problem) = case.expect.emptiness() {
        report.failures.push(problem);
        return report;
    }
    let policy = case
        .policy
        .as_ref()
        .map(|p| file.dir.join(p))
        .or_else(|| file.policy.clone());
    let policy_source = policy.as_deref().and_then(|p| read_text(p).ok());
    let kind = match resolve_engine(
        case.engine.as_deref().or(file.engine.as_deref()),
        policy_source.as_deref(),
        policy.as_deref(),
    ) {
        Ok(kind) => kind,
        Err(Failure(message, _)) => {
            report.failures.push(message);
            return report;
        }
    };
    let config = match &case.config {
        Some(config) => config_text(Some(config), &file.dir),
        None => file.config.clone(),
    };
    let config = match config {
        Ok(config) => config,
        Err(message) => {
            report.failures.push(message);
            return report;
        }
    };
    let input = match (&case.input, &case.input_file) {
        (Some(input), None) => serde_json::to_string(input).map_err(|e| e.to_string()),
        (None, Some(path)) => read_text(&file.dir.join(path)).map_err(|f| f.0),
        _ => Err("give exactly one of `input` and `input_file`".to_string()),
    };
    let input = match input {
        Ok(input) => input,
        Err(message) => {
            report.failures.push(message);
            return report;
        }
    };
    let mut options = case.options.unwrap_or_default();
    if case.expect.output.is_some() {
        options.trace = true;
    }
    let emittable = emittable_codes(&kind, policy_source.as_deref(), &config);
    let engine = match ws.engine(&kind, policy.as_deref(), &config) {
        Ok(engine) => engine,
        Err(failure) => {
            report.fail_with(&format!("cannot build the {kind} engine:"), &failure);
            return report;
        }
    };
    let expect = &case.expect;
    match engine.decide_json(&input, &options) {
        Err(err) => {
            let matched = expect.error.as_deref().is_some_and(|code| {
                err.code() == code || err.diagnostics().iter().any(|d| d.code == code)
            });
            report.actual = Some(json!({"error": err.to_json_value()}));
            if !matched {
                let headline = match &expect.error {
                    Some(code) => format!("expected error `{code}`, got `{}`:", err.code()),
                    None => format!("the decision failed ({}):", err.code()),
                };
                report.fail_with(&headline, &Failure::from(err));
            }
        }
        Ok(decision) => {
            if let Some(code) = &expect.error {
                report.failures.push(format!(
                    "expected error `{code}`, but the decision succeeded"
                ));
            }
            if let Some(outcome) = &expect.outcome {
                let actual = decision.get("outcome").cloned().unwrap_or(Value::Null);
                subset_diff(outcome, &actual, "outcome", &mut report.mismatches);
            }
            for (path, expected) in &expect.fields {
                match lookup(&decision, path) {
                    Some(actual) => subset_diff(expected, actual, path, &mut report.mismatches),
                    None => report.mismatches.push(Mismatch {
                        path: path.clone(),
                        expected: expected.clone(),
                        actual: None,
                    }),
                }
            }
            let codes: Vec<String> = decision
                .get("reasons")
                .and_then(Value::as_array)
                .map(|rs| {
                    rs.iter()
                        .filter_map(|r| r.get("code").and_then(Value::as_str).map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(reasons) = &expect.reasons {
                check_reasons(reasons, &codes, &mut report.failures);
                for code in reasons.excludes.iter().flatten() {
                    if !emittable.contains(code) && !codes.contains(code) {
                        report.warnings.push(format!(
                            "`excludes` names `{code}`, which neither the {kind} engine nor the policy can emit, so it always holds; check the spelling{}",
                            match backoffice::error::closest_name(code, emittable.iter().map(String::as_str)) {
                                Some(similar) => format!(" (did you mean `{similar}`?)"),
                                None => String::new(),
                            }
                        ));
                    }
                }
            }
            if let Some(expected) = &expect.output {
                let actual: Vec<String> = decision
                    .get("trace")
                    .and_then(|t| t.get("policy_output"))
                    .and_then(|o| serde_json::from_value(o.clone()).ok())
                    .unwrap_or_default();
                if &actual != expected {
                    report.mismatches.push(Mismatch {
                        path: "trace.policy_output".to_string(),
                        expected: json!(expected),
                        actual: Some(json!(actual)),
                    });
                }
            }
            report.actual = Some(decision);
        }
    }
    report.passed = report.failures.is_empty() && report.mismatches.is_empty();
    report
}

fn check_reasons(expect: &ReasonsExpect, codes: &[String], failures: &mut Vec<String>) {
    let shown = format!("[{}]", codes.join(", "));
    if let Some(exactly) = &expect.exactly {
        if exactly != codes {
            failures.push(format!(
                "reasons: expected exactly [{}], got {shown}",
                exactly.join(", ")
            ));
        }
    }
    if let Some(contains) = &expect.contains {
        let missing: Vec<&str> = contains
            .iter()
            .filter(|c| !codes.contains(c))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            failures.push(format!(
                "reasons: expected to contain [{}], got {shown}",
                missing.join(", ")
            ));
        }
    }
    if let Some(excludes) = &expect.excludes {
        let present: Vec<&str> = excludes
            .iter()
            .filter(|c| codes.contains(c))
            .map(String::as_str)
            .collect();
        if !present.is_empty() {
            failures.push(format!(
                "reasons: expected no [{}], got {shown}",
                present.join(", ")
            ));
        }
    }
}

fn run_hook_case(ws: &mut Workspace, file: &LoadedFile, case: &PolicyCase) -> CaseReport {
    let Some(path) = &file.policy else {
        return CaseReport::failed(
            &file.display,
            &case.name,
            "hook",
            "a hook case needs the file's `policy`".to_string(),
        );
    };
    let policy = match ws.policy(path) {
        Ok(policy) => policy,
        Err(failure) => {
            let mut report = CaseReport::failed(&file.display, &case.name, "hook", String::new());
            report.failures.clear();
            report.fail_with("the policy does not compile:", &failure);
            return report;
        }
    };
    let result = run_case(&policy, case);
    let mut mismatches = Vec::new();
    let mut failures = Vec::new();
    for failure in result.failures {
        // Show a wrong return value as a diff, everything else as text.
        match (&case.expect, &result.actual) {
            (Some(expected), Some(actual))
                if failure.starts_with("expected ")
                    && !json_matches(expected, actual)
                    && mismatches.is_empty() =>
            {
                mismatches.push(Mismatch {
                    path: format!("{}(…)", case.hook),
                    expected: expected.clone(),
                    actual: Some(actual.clone()),
                });
            }
            _ => failures.push(match &result.error {
                Some(_) if failure.starts_with("the hook failed") => "the hook failed:".to_string(),
                _ => failure,
            }),
        }
    }
    let diagnostics = match &result.error {
        Some(d) if case.expect_error.as_deref() != Some(d.code.as_str()) => vec![d.clone()],
        _ => Vec::new(),
    };
    CaseReport {
        file: file.display.clone(),
        name: case.name.clone(),
        kind: "hook",
        passed: result.passed,
        failures,
        mismatches,
        actual: result.actual,
        diagnostics,
        warnings: Vec::new(),
    }
}

/// A coverage line for one policy.
pub struct PolicyCoverage {
    policy: String,
    source: String,
    coverage: Coverage,
}

fn percent_shown(coverage: &Coverage) -> Decimal {
    coverage
        .percent()
        .round_dp_with_strategy(1, RoundingStrategy::ToZero)
}

fn ranges(lines: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut iter = lines.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end += 1;
            iter.next();
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
    }
    parts.join(", ")
}

/// Line coverage as an lcov tracefile: one record per policy (`SF` its path as the
/// report names it), a `DA:line,count` for every statement line (count 1 when the line
/// ran in any case, 0 when it never did; hit counts are not kept), `LF` and `LH`.
pub fn lcov(coverage: &[PolicyCoverage]) -> String {
    let mut text = String::new();
    for c in coverage {
        text.push_str("TN:\n");
        text.push_str(&format!("SF:{}\n", c.policy));
        for line in &c.coverage.statement_lines {
            let hit = u8::from(c.coverage.executed_lines.contains(line));
            text.push_str(&format!("DA:{line},{hit}\n"));
        }
        text.push_str(&format!("LF:{}\n", c.coverage.statement_lines.len()));
        let hit = c
            .coverage
            .statement_lines
            .intersection(&c.coverage.executed_lines)
            .count();
        text.push_str(&format!("LH:{hit}\nend_of_record\n"));
    }
    text
}

fn print_case_failure(report: &CaseReport, errors: ErrorFormat) {
    println!("---- {} ----", report.full_name());
    for failure in &report.failures {
        println!("{failure}");
    }
    for diagnostic in &report.diagnostics {
        match errors {
            ErrorFormat::Human => println!("{diagnostic}"),
            ErrorFormat::Json => {
                println!("{}", serde_json::to_string(diagnostic).unwrap_or_default())
            }
        }
    }
    for warning in &report.warnings {
        println!("warning: {warning}");
    }
    if !report.mismatches.is_empty() {
        println!("(- expected, + actual)");
        for m in &report.mismatches {
            println!("  {}", m.path);
            println!("    - {}", m.expected);
            match &m.actual {
                Some(actual) => println!("    + {actual}"),
                None => println!("    + (missing)"),
            }
        }
    }
    println!();
}

/// Runs `test`.
pub fn run(args: &TestArgs) -> Result<ExitCode, Failure> {
    if args.no_coverage && args.threshold.is_some() {
        return Err(Failure::new(
            "--threshold needs coverage; drop --no-coverage",
        ));
    }
    if args.no_coverage && args.coverage_format == CoverageFormat::Lcov {
        return Err(Failure::new(
            "--coverage-format lcov needs coverage; drop --no-coverage",
        ));
    }
    let filter = args
        .run
        .as_deref()
        .map(regex::Regex::new)
        .transpose()
        .map_err(|e| Failure::new(format_args!("--run: invalid regular expression: {e}")))?;
    let files: Vec<LoadedFile> = discover(&args.paths)?
        .iter()
        .map(|p| load_file(p))
        .collect();

    let runtime = if args.no_coverage {
        PolicyRuntime::new()
    } else {
        PolicyRuntime::new().with_coverage()
    };
    let runtime = if args.interpret {
        runtime.interpreted()
    } else {
        runtime
    };
    let mut ws = Workspace {
        runtime,
        policies: BTreeMap::new(),
        engines: HashMap::new(),
    };

    let selected = |file: &LoadedFile, name: &str| {
        filter.as_ref().is_none_or(|re| {
            re.is_match(name) || re.is_match(&format!("{} :: {name}", file.display))
        })
    };
    let total: usize = files.iter().map(|f| f.cases.len()).sum();
    let to_run: usize = files
        .iter()
        .flat_map(|f| f.cases.iter().map(move |c| (f, c)))
        .filter(|(f, c)| selected(f, pending_name(c)))
        .count();
    let skipped = total - to_run;
    let human = args.format == Format::Human;
    if human {
        println!(
            "running {to_run} case{} from {} file{}",
            if to_run == 1 { "" } else { "s" },
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        );
    }
    let bar = (human && to_run >= 20 && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(to_run as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });

    let mut reports = Vec::new();
    for file in &files {
        for case in &file.cases {
            if !selected(file, pending_name(case)) {
                continue;
            }
            let mut report = match case {
                Pending::Decision(case) => run_decision(&mut ws, file, case),
                Pending::Hook(case) => run_hook_case(&mut ws, file, case),
                Pending::Broken(name, message) => {
                    CaseReport::failed(&file.display, name, "file", message.clone())
                }
            };
            if args.strict && !report.warnings.is_empty() {
                report.passed = false;
            }
            if human {
                let mut line = format!(
                    "test {} ... {}",
                    report.full_name(),
                    if report.passed { "ok" } else { "FAILED" }
                );
                if report.passed {
                    for warning in &report.warnings {
                        line.push_str(&format!("\nwarning: {warning}"));
                    }
                }
                match &bar {
                    Some(bar) => {
                        bar.println(line);
                        bar.inc(1);
                    }
                    None => println!("{line}"),
                }
            }
            reports.push(report);
        }
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }

    let coverage: Vec<PolicyCoverage> = ws
        .policies
        .iter()
        .filter_map(|(path, policy)| {
            let policy = policy.as_ref().ok()?;
            Some(PolicyCoverage {
                policy: display(path),
                source: policy.source().to_string(),
                coverage: policy.coverage()?,
            })
        })
        .collect();
    let below: Vec<&PolicyCoverage> = match args.threshold {
        Some(threshold) => coverage
            .iter()
            .filter(|c| c.coverage.percent() < threshold)
            .collect(),
        None => Vec::new(),
    };
    let lcov_written = match args.coverage_format {
        CoverageFormat::Summary => None,
        CoverageFormat::Lcov => {
            std::fs::write(&args.coverage_output, lcov(&coverage)).map_err(|e| {
                Failure::new(format_args!(
                    "cannot write `{}`: {e}",
                    display(&args.coverage_output)
                ))
            })?;
            Some(display(&args.coverage_output))
        }
    };
    let passed = reports.iter().filter(|r| r.passed).count();
    let failed = reports.len() - passed;
    let ok = failed == 0 && below.is_empty();

    if human {
        let failures: Vec<&CaseReport> = reports.iter().filter(|r| !r.passed).collect();
        if !failures.is_empty() {
            println!("\nfailures:\n");
            for report in &failures {
                print_case_failure(report, args.error_format);
            }
            println!("failures:");
            for report in &failures {
                println!("    {}", report.full_name());
            }
        }
        if !coverage.is_empty() {
            println!("\ncoverage:");
            for c in &coverage {
                let missed: Vec<u32> = c.coverage.missed_lines().into_iter().collect();
                println!(
                    "  {}: {}% of {} lines ({} run)",
                    c.policy,
                    percent_shown(&c.coverage),
                    c.coverage.statement_lines.len(),
                    c.coverage.executed_lines.len()
                );
                if !missed.is_empty() {
                    println!("    never run: {}", ranges(&missed));
                    let width = missed.last().map_or(1, |l| l.to_string().len());
                    let lines: Vec<&str> = c.source.lines().collect();
                    for line in &missed {
                        let text = (*line as usize)
                            .checked_sub(1)
                            .and_then(|i| lines.get(i))
                            .copied()
                            .unwrap_or("");
                        println!("    {line:>width$} | {text}");
                    }
                }
            }
        }
        if let Some(path) = &lcov_written {
            println!("  lcov tracefile: {path}");
        }
        if let Some(threshold) = args.threshold {
            for c in &below {
                println!(
                    "\nerror: coverage of {} is {}%, below the threshold of {threshold}%",
                    c.policy,
                    percent_shown(&c.coverage)
                );
            }
        }
        println!();
        if skipped > 0 {
            println!("result: {passed} passed, {failed} failed, {skipped} skipped");
        } else {
            println!("result: {passed} passed, {failed} failed");
        }
    } else {
        let report = json!({
            "ok": ok,
            "passed": passed,
            "failed": failed,
            "skipped": skipped,
            "cases": reports.iter().map(CaseReport::to_json).collect::<Vec<_>>(),
            "coverage": coverage.iter().map(|c| json!({
                "policy": c.policy,
                "percent": c.coverage.percent().round_dp_with_strategy(2, RoundingStrategy::ToZero).to_string(),
                "statement_lines": c.coverage.statement_lines.len(),
                "executed_lines": c.coverage.executed_lines.len(),
                "missed_lines": c.coverage.missed_lines(),
            })).collect::<Vec<_>>(),
            "warnings": reports.iter().map(|r| r.warnings.len()).sum::<usize>(),
            "threshold": args.threshold.map(|t| t.to_string()),
            "below_threshold": below.iter().map(|c| c.policy.clone()).collect::<Vec<_>>(),
        });
        let mut report = report;
        if let (Some(path), Some(map)) = (&lcov_written, report.as_object_mut()) {
            map.insert("lcov".to_string(), json!(path));
        }
        println!("{}", pretty(&report));
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn pending_name(case: &Pending) -> &str {
    match case {
        Pending::Decision(c) => &c.name,
        Pending::Hook(c) => &c.name,
        Pending::Broken(name, _) => name,
    }
}
