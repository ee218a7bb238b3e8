#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Golden end-to-end fixtures: every `tests/fixtures/returns/*.json` holds
//! `{"config", "policy", "request", "expected"}`; the decision must match `expected`
//! exactly. `policy` names a file in `examples/policies/` (or is null).
//!
//! To regenerate after an intended change: `BLESS=1 cargo test --test returns_golden`,
//! then review the diff.

use backoffice::policy::{Policy, PolicyRuntime};
use backoffice::returns::{ReturnOutcome, ReturnRequest, ReturnsConfig, ReturnsEngine};
use backoffice::Decision;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/returns");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn engine(config: &Value, policy: &Value) -> ReturnsEngine {
    let config: ReturnsConfig = serde_json::from_value(config.clone()).unwrap();
    let engine = ReturnsEngine::new(config).unwrap();
    match policy {
        Value::Null => engine,
        Value::String(name) => with_policy(engine, name),
        other => panic!("`policy` must be a file name or null, got {other}"),
    }
}

fn with_policy(engine: ReturnsEngine, name: &str) -> ReturnsEngine {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/policies")
        .join(name);
    let source = std::fs::read_to_string(&path).unwrap();
    let policy = Policy::compile(name, &source, &PolicyRuntime::new()).unwrap();
    engine.with_policy(policy).unwrap()
}

#[test]
fn every_golden_fixture_matches() {
    let files = fixtures();
    assert!(
        files.len() >= 8,
        "expected the golden fixtures, found {}",
        files.len()
    );
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut fixture: Value = serde_json::from_str(&text).unwrap();
        let engine = engine(&fixture["config"], &fixture["policy"]);
        let request: ReturnRequest = serde_json::from_value(fixture["request"].clone()).unwrap();
        let decided = engine.decide(&request).unwrap();
        let decision = serde_json::to_value(&decided).unwrap();
        // The JSON shape reads back into the same decision.
        let back: Decision<ReturnOutcome> = serde_json::from_value(decision.clone()).unwrap();
        assert_eq!(back, decided, "{} does not round-trip", path.display());
        if bless {
            fixture["expected"] = decision;
            let mut out = serde_json::to_string_pretty(&fixture).unwrap();
            out.push('\n');
            std::fs::write(&path, out).unwrap();
        } else if decision != fixture["expected"] {
            failures.push(format!(
                "{}:\n  got      {}\n  expected {}",
                path.display(),
                decision,
                fixture["expected"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
