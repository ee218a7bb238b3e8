//! Golden end-to-end fixtures, one test per engine: every `tests/fixtures/<engine>/*.json`
//! is `{"config", "policy", "request", "expected"}`, where `config` is the engine
//! configuration (`null` for the defaults), `policy` a file name in `examples/policies/`
//! (or `null`), and `expected` the decision's JSON, which must match exactly; a request
//! the engine refuses expects `{"error": <the error's JSON form>}`.
//!
//! After an intended change, `BLESS=1 cargo test --test golden_fixtures` rewrites
//! `expected`; review the diff before committing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use backoffice::engine::AnyEngine;
use backoffice::policy::{DecideOptions, Policy, PolicyRuntime};
use backoffice::returns::ReturnOutcome;
use backoffice::Decision;
use common::{fixtures, policy_source, Fixture};
use serde_json::Value;

/// The runtime fixtures run on: `GOLDEN_INTERPRETED=1` forces the rhai interpreter (the
/// native evaluator is on by default); [`interpreted_and_native_agree`] runs both.
fn runtime() -> PolicyRuntime {
    if std::env::var_os("GOLDEN_INTERPRETED").is_some() {
        PolicyRuntime::new().interpreted()
    } else {
        PolicyRuntime::new()
    }
}

fn engine(kind: &str, fixture: &Fixture) -> AnyEngine {
    engine_on(kind, fixture, &runtime()).0
}

/// The fixture's engine and (a clone sharing the state of) its policy.
fn engine_on(
    kind: &str,
    fixture: &Fixture,
    runtime: &PolicyRuntime,
) -> (AnyEngine, Option<Policy>) {
    let config = match &fixture.config {
        Value::Null => None,
        config => Some(config.to_string()),
    };
    let policy = fixture.policy.as_deref().map(|name| {
        Policy::compile(name, &policy_source(name), runtime)
            .unwrap_or_else(|e| panic!("{}: {name}: {e}", fixture.name))
    });
    let engine = AnyEngine::new(kind, config.as_deref(), policy.clone())
        .unwrap_or_else(|e| panic!("{}: {e}", fixture.name));
    (engine, policy)
}

/// Decides every fixture of `kind` (at least `at_least` of them) and compares, or rewrites
/// `expected` under `BLESS`. Returns the decisions.
fn replay(kind: &str, at_least: usize) -> Vec<(Fixture, Value)> {
    let all = fixtures(kind);
    assert!(
        all.len() >= at_least,
        "expected at least {at_least} {kind} fixtures, found {}",
        all.len()
    );
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    let mut decided = Vec::new();
    for fixture in all {
        let decision = match engine(kind, &fixture)
            .decide_json(&fixture.request.to_string(), &DecideOptions::default())
        {
            Ok(decision) => decision,
            Err(error) => serde_json::json!({ "error": error.to_json_value() }),
        };
        if bless {
            let mut file: Value =
                serde_json::from_str(&std::fs::read_to_string(&fixture.path).unwrap()).unwrap();
            file["expected"] = decision.clone();
            let mut out = serde_json::to_string_pretty(&file).unwrap();
            out.push('\n');
            std::fs::write(&fixture.path, out).unwrap();
        } else if decision != fixture.expected {
            failures.push(format!(
                "{}:\n  got      {decision}\n  expected {}",
                fixture.path.display(),
                fixture.expected
            ));
        }
        decided.push((fixture, decision));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    decided
}

#[test]
fn routing() {
    replay("routing", 6);
}

#[test]
fn returns() {
    // The JSON form of a returns decision also reads back into the same decision.
    for (fixture, decision) in replay("returns", 8) {
        if decision.get("error").is_some() {
            continue;
        }
        let back: Decision<ReturnOutcome> = serde_json::from_value(decision.clone()).unwrap();
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            decision,
            "{} does not round-trip",
            fixture.name
        );
    }
}

#[test]
fn refunds() {
    replay("refunds", 9);
}

#[test]
fn address() {
    replay("address", 7);
}

/// Every fixture decides the same, traced, on the native evaluator and on the forced
/// interpreter (the policy output in traces included).
#[test]
fn interpreted_and_native_agree() {
    let mut totals = (0, 0);
    for kind in ["routing", "returns", "refunds", "address"] {
        for fixture in fixtures(kind) {
            let decide = |runtime: &PolicyRuntime| {
                let (engine, policy) = engine_on(kind, &fixture, runtime);
                let decision = match engine
                    .decide_json(&fixture.request.to_string(), &DecideOptions::traced())
                {
                    Ok(decision) => decision,
                    Err(error) => serde_json::json!({ "error": error.to_json_value() }),
                };
                (decision, policy.map_or((0, 0), |p| p.native_calls()))
            };
            let (native, calls) = decide(&PolicyRuntime::new());
            let (interpreted, forced) = decide(&PolicyRuntime::new().interpreted());
            assert_eq!(native, interpreted, "{}", fixture.path.display());
            assert_eq!(forced, (0, 0), "the forced interpreter ran a hook natively");
            eprintln!(
                "{}: {} native, {} handed back",
                fixture.path.display(),
                calls.0,
                calls.1
            );
            totals = (totals.0 + calls.0, totals.1 + calls.1);
        }
    }
    eprintln!(
        "all fixtures: {} calls native, {} handed back",
        totals.0, totals.1
    );
    assert!(totals.0 > 0);
}
