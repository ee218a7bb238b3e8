//! Address invariants, gathered in one place (cases: `PROPTEST_CASES`, default 64).
//!
//! Over the golden fixtures with up to three values changed at a time:
//! - deciding never panics and is deterministic; the outcome survives a JSON round trip;
//! - `valid` holds exactly when no problem was found;
//! - the canonical form is a fixed point (normalizing it changes nothing) and keys like
//!   the input; the decision's match key is the free function's.
//!
//! Also, on generated addresses next to the engine (`tests/address_properties.rs`):
//! idempotent normalization, keys in ASCII lower case that ignore case and
//! abbreviations, linear time on hostile input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use backoffice::address::{match_key, normalize, AddressConfig, AddressEngine, AddressRequest};
use proptest::prelude::*;
use serde_json::Value;

fn engine(config: &Value) -> AddressEngine {
    let config: AddressConfig = if config.is_null() {
        AddressConfig::default()
    } else {
        serde_json::from_value(config.clone()).unwrap()
    };
    AddressEngine::new(config).unwrap()
}

proptest! {
    #![proptest_config(common::config())]

    #[test]
    fn perturbed_fixtures_decide_safely((name, config, request) in common::perturbed("address")) {
        let engine = engine(&config);
        let Ok(request) = serde_json::from_value::<AddressRequest>(request) else { return Ok(()) };
        let first = engine.decide(&request);
        let again = engine.decide(&request);
        prop_assert_eq!(format!("{first:?}"), format!("{again:?}"), "{} is not deterministic", name);
        let Ok(decision) = first else { return Ok(()) };
        let outcome = &decision.outcome;
        prop_assert!(common::round_trips(outcome));
        prop_assert_eq!(outcome.valid, outcome.problems.is_empty(), "{}: {:?}", name, outcome.problems);
        if config.is_null() {
            let canonical = normalize(&request.address).unwrap();
            prop_assert_eq!(&normalize(&canonical).unwrap(), &canonical, "{}", name);
            let key = match_key(&request.address).unwrap();
            prop_assert_eq!(&match_key(&canonical).unwrap(), &key, "{}", name);
            prop_assert_eq!(&outcome.match_key, &key, "{}", name);
        }
    }
}
