//! Returns invariants, gathered in one place (cases: `PROPTEST_CASES`, default 64).
//!
//! Over the golden fixtures with up to three values changed at a time:
//! - deciding never panics, is deterministic byte for byte, and the outcome survives a
//!   JSON round trip;
//! - every amount is in the order currency and in whole minor units; no refund is
//!   negative; a rejected item refunds nothing; the request's refund total is the sum
//!   of its items' totals.
//!
//! Also, on generated orders next to the engine (`tests/returns_props.rs`): partial
//! returns of every unit sum to what was paid; a refund never exceeds what was paid
//! minus earlier refunds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use backoffice::returns::{ItemStatus, ReturnRequest, ReturnsConfig, ReturnsEngine};
use backoffice::Money;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::Value;

fn engine(config: &Value) -> Option<ReturnsEngine> {
    let config: ReturnsConfig = if config.is_null() {
        ReturnsConfig::default()
    } else {
        serde_json::from_value(config.clone()).unwrap()
    };
    ReturnsEngine::new(config).ok()
}

fn in_minor_units(m: &Money) -> bool {
    let units = u32::from(m.currency().minor_units().unwrap_or(2));
    m.amount() == m.amount().round_dp(units)
}

proptest! {
    #![proptest_config(common::config())]

    #[test]
    fn perturbed_fixtures_decide_safely((name, config, request) in common::perturbed("returns")) {
        let Some(engine) = engine(&config) else { return Ok(()) };
        let Ok(request) = serde_json::from_value::<ReturnRequest>(request) else { return Ok(()) };
        let first = engine.decide(&request);
        let again = engine.decide(&request);
        prop_assert_eq!(format!("{first:?}"), format!("{again:?}"), "{} is not deterministic", name);
        let Ok(decision) = first else { return Ok(()) };
        let outcome = &decision.outcome;
        prop_assert!(common::round_trips(outcome));
        let currency = request.order.currency;
        let total = &outcome.refund.total;
        prop_assert_eq!(total.currency(), currency);
        prop_assert!(total.amount() >= Decimal::ZERO, "{}: negative refund {:?}", name, total);
        prop_assert!(in_minor_units(total), "{}: {:?}", name, total);
        let mut sum = Decimal::ZERO;
        for item in &outcome.items {
            let r = &item.refund;
            for m in [&r.price, &r.discount, &r.tax, &r.merchandise, &r.restocking_fee, &r.return_shipping_fee, &r.total] {
                prop_assert_eq!(m.currency(), currency);
                prop_assert!(in_minor_units(m), "{}: {:?}", name, m);
            }
            prop_assert!(r.total.amount() >= Decimal::ZERO, "{}: {:?}", name, item);
            if item.status == ItemStatus::Rejected {
                prop_assert_eq!(r.total.amount(), Decimal::ZERO, "{}: rejected item refunds {:?}", name, r.total);
            }
            sum += r.total.amount();
        }
        prop_assert_eq!(sum, total.amount(), "{}: items do not sum to the total", name);
    }
}
