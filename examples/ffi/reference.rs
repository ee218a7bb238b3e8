//! The Rust API's side of the C ABI's byte-for-byte promise.
//!
//! `cargo run --example ffi_reference -- tests/fixtures/returns/*.json` decides each golden
//! fixture (`{"config", "policy", "request", "expected"}`) through the engine's typed
//! Rust API and prints one JSON object per line:
//! `{"fixture": "<path>", "json": "<serde_json::to_string(&decision)>"}` (or `"error"`
//! with the error object). The Python tests in `examples/ffi/python/` compare what the C
//! ABI returns for the same fixture with `json`, byte for byte.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::engine::{visit_engine, Engine, EngineVisitor};
use backoffice::policy::{DecideOptions, Policy, PolicyRuntime};
use backoffice::Error;
use serde_json::{json, Value};
use std::path::Path;

/// The decision JSON the typed Rust API gives for one fixture.
fn decide<E: Engine>(fixture: &Value, policies: &Path) -> Result<String, Error> {
    let config: E::Config = match &fixture["config"] {
        Value::Null => E::Config::default(),
        config => serde_json::from_value(config.clone()).map_err(|e| Error::from_json(&e))?,
    };
    let mut engine = E::from_config(config)?;
    if let Some(name) = fixture["policy"].as_str() {
        let source = std::fs::read_to_string(policies.join(name))
            .map_err(|e| Error::invalid("policy", format!("cannot read {name}: {e}")))?;
        let policy = Policy::compile(name, &source, &PolicyRuntime::new())?;
        engine = engine.attach_policy(policy)?;
    }
    let request: E::Request =
        serde_json::from_value(fixture["request"].clone()).map_err(|e| Error::from_json(&e))?;
    let decision = engine.decide_with(&request, &DecideOptions::default())?;
    serde_json::to_string(&decision).map_err(|e| Error::from_json(&e))
}

/// Dispatches on the fixture's engine kind (the name of its directory).
fn decide_kind(kind: &str, fixture: &Value, policies: &Path) -> Result<String, Error> {
    struct Decide<'a>(&'a Value, &'a Path);
    impl EngineVisitor for Decide<'_> {
        type Output = Result<String, Error>;
        fn visit<E: Engine>(self) -> Self::Output {
            decide::<E>(self.0, self.1)
        }
    }
    visit_engine(kind, Decide(fixture, policies))?
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/policies");
    for arg in std::env::args().skip(1) {
        let path = Path::new(&arg);
        let kind = path
            .parent()
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{arg}: expected tests/fixtures/<engine>/<name>.json"))?;
        let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
        let line = match decide_kind(kind, &fixture, &policies) {
            Ok(text) => json!({ "fixture": arg, "json": text }),
            Err(err) => json!({ "fixture": arg, "error": err.to_json_value() }),
        };
        println!("{line}");
    }
    Ok(())
}
