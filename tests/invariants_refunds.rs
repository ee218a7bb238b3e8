//! Refunds invariants, gathered in one place (cases: `PROPTEST_CASES`, default 64).
//!
//! Over the golden fixtures with up to three values changed at a time:
//! - deciding never panics, is deterministic byte for byte, and the outcome survives a
//!   JSON round trip;
//! - every new plan's ledger balances and has only positive entries (a replay returns
//!   the stored plan as given);
//! - nothing is refunded beyond what was captured minus earlier refunds;
//! - storing the plan as an earlier refund and asking again replays it byte for byte.
//!
//! Also, over random sequences of partial refunds next to the engine
//! (`tests/refunds_properties.rs`): per-line reconciliation and largest-remainder shares.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use backoffice::refunds::{
    is_balanced, EarlierRefund, RefundRequest, RefundsConfig, RefundsEngine,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::Value;

fn engine(config: &Value) -> Option<RefundsEngine> {
    let config: RefundsConfig = if config.is_null() {
        RefundsConfig::default()
    } else {
        serde_json::from_value(config.clone()).unwrap()
    };
    RefundsEngine::new(config).ok()
}

proptest! {
    #![proptest_config(common::config())]

    #[test]
    fn perturbed_fixtures_decide_safely((name, config, request) in common::perturbed("refunds")) {
        let Some(engine) = engine(&config) else { return Ok(()) };
        let Ok(mut request) = serde_json::from_value::<RefundRequest>(request) else { return Ok(()) };
        let first = engine.decide(&request);
        let again = engine.decide(&request);
        prop_assert_eq!(format!("{first:?}"), format!("{again:?}"), "{} is not deterministic", name);
        let Ok(decision) = first else { return Ok(()) };
        prop_assert!(common::round_trips(&decision.outcome));
        // A replay returns the stored plan as the caller kept it (changed or not).
        if decision.outcome.replay {
            return Ok(());
        }
        let plan = decision.outcome.plan;
        prop_assert!(is_balanced(&plan.ledger), "{}: unbalanced {:?}", name, plan.ledger);
        prop_assert!(plan.ledger.iter().all(|e| e.amount.amount() > Decimal::ZERO), "{}: {:?}", name, plan.ledger);
        let captured: Decimal = request.order.captures.iter().map(|c| c.amount.amount()).sum();
        let before: Decimal = request.earlier_refunds.iter().map(|e| e.plan.presentment_amount.amount()).sum();
        prop_assert!(before + plan.presentment_amount.amount() <= captured,
            "{}: {} + {} > captured {}", name, before, plan.presentment_amount.amount(), captured);
        let bytes = common::json(&plan);
        request.earlier_refunds.push(EarlierRefund {
            idempotency_key: plan.idempotency_key.clone(),
            fingerprint: plan.fingerprint.clone(),
            plan: serde_json::from_str(&bytes).unwrap(),
        });
        let replay = engine.decide(&request).unwrap();
        prop_assert!(replay.outcome.replay);
        prop_assert_eq!(common::json(&replay.outcome.plan), bytes);
    }
}
