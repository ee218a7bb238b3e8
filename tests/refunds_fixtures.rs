#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Golden end-to-end fixtures: every `tests/fixtures/refunds/*.json` file is
//! `{"config": …, "policy": "file.rhai" | null, "request": …, "expected": <decision JSON>}`
//! (or `"expected": {"error": <error JSON>}`), replayed here through the JSON shapes.
//! Run with `BLESS=1` to rewrite `expected` after an intended change, and review the diff.

use backoffice::refunds::{RefundRequest, RefundsConfig, RefundsEngine};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/refunds");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn engine(fixture: &Value) -> RefundsEngine {
    let config: RefundsConfig = serde_json::from_value(fixture["config"].clone()).unwrap();
    let engine = RefundsEngine::new(config).unwrap();
    match fixture["policy"].as_str() {
        None => engine,
        Some(file) => {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples/policies")
                .join(file);
            let source = std::fs::read_to_string(&path).unwrap();
            let runtime = backoffice::policy::PolicyRuntime::new();
            let policy = backoffice::policy::Policy::compile(file, &source, &runtime).unwrap();
            engine.with_policy(policy).unwrap()
        }
    }
}

#[test]
fn golden_fixtures() {
    let bless = std::env::var_os("BLESS").is_some();
    let files = fixtures();
    assert!(
        bless || files.len() >= 9,
        "expected the refunds fixtures, found {}",
        files.len()
    );
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut fixture: Value = serde_json::from_str(&text).unwrap();
        let engine = engine(&fixture);
        let request: RefundRequest = serde_json::from_value(fixture["request"].clone())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let actual = match engine.decide(&request) {
            Ok(decision) => serde_json::to_value(&decision).unwrap(),
            Err(error) => serde_json::json!({ "error": error.to_json_value() }),
        };
        if bless {
            fixture["expected"] = actual;
            std::fs::write(
                &path,
                serde_json::to_string_pretty(&fixture).unwrap() + "\n",
            )
            .unwrap();
        } else {
            assert_eq!(actual, fixture["expected"], "{}", path.display());
        }
    }
}
