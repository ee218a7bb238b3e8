//! Replays every golden fixture in `tests/fixtures/address/`: `{config, policy, request,
//! expected}`, where `policy` names a file in `examples/policies/` (or is null) and
//! `expected` is the decision's JSON. `BACKOFFICE_REGENERATE=1` rewrites `expected` (review
//! the diff before committing).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::address::{AddressConfig, AddressEngine, AddressRequest};
use backoffice::policy::{DecideOptions, Policy, PolicyRuntime};
use serde_json::Value;
use std::path::PathBuf;

#[test]
fn golden_fixtures_replay() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/fixtures/address");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 7);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut fixture: Value = serde_json::from_str(&text).unwrap();
        let config: AddressConfig = match &fixture["config"] {
            Value::Null => AddressConfig::default(),
            v => serde_json::from_value(v.clone()).unwrap(),
        };
        let mut engine = AddressEngine::try_new(config).unwrap();
        if let Some(name) = fixture["policy"].as_str() {
            let source =
                std::fs::read_to_string(root.join("examples/policies").join(name)).unwrap();
            let policy = Policy::compile(name, &source, &PolicyRuntime::new()).unwrap();
            engine = engine.with_policy(policy).unwrap();
        }
        let request: AddressRequest = serde_json::from_value(fixture["request"].clone()).unwrap();
        let decision = engine
            .decide_with(&request, &DecideOptions::default())
            .unwrap();
        let actual = serde_json::to_value(&decision).unwrap();
        if std::env::var_os("BACKOFFICE_REGENERATE").is_some() {
            fixture["expected"] = actual;
            let mut out = serde_json::to_string_pretty(&fixture).unwrap();
            out.push('\n');
            std::fs::write(&file, out).unwrap();
            continue;
        }
        assert_eq!(
            actual,
            fixture["expected"],
            "{} differs; rerun with BACKOFFICE_REGENERATE=1 and review the diff",
            file.display()
        );
    }
}
