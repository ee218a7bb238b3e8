//! Fuzz target `json_inputs`: arbitrary bytes as the JSON request of each engine (the
//! path the C ABI and the CLI take). The first byte picks the engine, the rest is the
//! request. Asserts: no panic; every accepted request decides or returns a typed error;
//! a decision's outcome survives a JSON round trip byte for byte; the `AnyEngine` JSON
//! front door (single and batch) never panics either.
#![no_main]

use backoffice::address::{AddressConfig, AddressEngine, AddressOutcome, AddressRequest};
use backoffice::engine::{AnyEngine, ENGINE_KINDS};
use backoffice::policy::DecideOptions;
use backoffice::refunds::{RefundOutcome, RefundRequest, RefundsConfig, RefundsEngine};
use backoffice::returns::{ReturnOutcome, ReturnRequest, ReturnsConfig, ReturnsEngine};
use backoffice::routing::{RoutingConfig, RoutingEngine, RoutingOutcome, RoutingRequest};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::OnceLock;

struct Engines {
    routing: RoutingEngine,
    returns: ReturnsEngine,
    refunds: RefundsEngine,
    address: AddressEngine,
    any: Vec<AnyEngine>,
}

fn engines() -> &'static Engines {
    static ENGINES: OnceLock<Engines> = OnceLock::new();
    ENGINES.get_or_init(|| Engines {
        routing: RoutingEngine::new(RoutingConfig::default()).expect("default routing config"),
        returns: ReturnsEngine::new(ReturnsConfig::default()).expect("default returns config"),
        refunds: RefundsEngine::new(RefundsConfig::default()).expect("default refunds config"),
        address: AddressEngine::new(AddressConfig::default()).expect("default config"),
        any: ENGINE_KINDS
            .iter()
            .map(|kind| AnyEngine::new(kind, None, None).expect("default config"))
            .collect(),
    })
}

fn round_trip<T: Serialize + DeserializeOwned>(outcome: &T) {
    let text = serde_json::to_string(outcome).expect("outcome serializes");
    let back: T = serde_json::from_str(&text).expect("outcome deserializes");
    assert_eq!(
        serde_json::to_string(&back).expect("serializes again"),
        text
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, json)) = data.split_first() else {
        return;
    };
    let e = engines();
    let traced = DecideOptions::traced();
    match selector % 5 {
        0 => {
            if let Ok(r) = serde_json::from_slice::<RoutingRequest>(json) {
                if let Ok(d) = e.routing.decide_with(&r, &traced) {
                    round_trip::<RoutingOutcome>(&d.outcome);
                }
            }
        }
        1 => {
            if let Ok(r) = serde_json::from_slice::<ReturnRequest>(json) {
                if let Ok(d) = e.returns.decide_with(&r, &traced) {
                    round_trip::<ReturnOutcome>(&d.outcome);
                }
            }
        }
        2 => {
            if let Ok(r) = serde_json::from_slice::<RefundRequest>(json) {
                if let Ok(d) = e.refunds.decide_with(&r, &traced) {
                    round_trip::<RefundOutcome>(&d.outcome);
                }
            }
        }
        3 => {
            if let Ok(r) = serde_json::from_slice::<AddressRequest>(json) {
                if let Ok(d) = e.address.decide_with(&r, &traced) {
                    round_trip::<AddressOutcome>(&d.outcome);
                }
            }
        }
        _ => {
            let Ok(text) = std::str::from_utf8(json) else {
                return;
            };
            for any in &e.any {
                let _ = any.decide_json(text, &traced);
                let _ = any.decide_batch_json(text, &traced);
            }
        }
    }
});
