#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Replays every golden fixture in `tests/fixtures/routing/`.
//!
//! Each file is `{"config", "policy", "request", "expected"}`; `expected` is the decision
//! JSON. `UPDATE_FIXTURES=1 cargo test --test routing_fixtures` rewrites `expected` (review
//! the diff before committing).

use backoffice::policy::{Policy, PolicyRuntime};
use backoffice::routing::{RoutingConfig, RoutingEngine, RoutingRequest};
use std::path::{Path, PathBuf};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/routing")
}

fn engine_for(fixture: &serde_json::Value) -> RoutingEngine {
    let config: RoutingConfig = serde_json::from_value(fixture["config"].clone()).unwrap();
    let engine = RoutingEngine::new(config).unwrap();
    match fixture["policy"].as_str() {
        None => engine,
        // A policy file name, looked up in `examples/policies/`.
        Some(file) => {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples/policies")
                .join(file);
            let source = std::fs::read_to_string(&path).unwrap();
            let policy = Policy::compile(file, &source, &PolicyRuntime::new()).unwrap();
            engine.with_policy(policy).unwrap()
        }
    }
}

#[test]
fn golden_fixtures() {
    let update = std::env::var_os("UPDATE_FIXTURES").is_some();
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 6, "fixtures missing: {files:?}");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut fixture: serde_json::Value = serde_json::from_str(&text).unwrap();
        let engine = engine_for(&fixture);
        let request: RoutingRequest = serde_json::from_value(fixture["request"].clone()).unwrap();
        let decision = serde_json::to_value(engine.decide(&request).unwrap()).unwrap();
        if update {
            fixture["expected"] = decision;
            std::fs::write(
                &path,
                serde_json::to_string_pretty(&fixture).unwrap() + "\n",
            )
            .unwrap();
        } else {
            assert_eq!(decision, fixture["expected"], "{}", path.display());
        }
    }
}
