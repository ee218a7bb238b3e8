//! Routing invariants, gathered in one place (cases: `PROPTEST_CASES`, default 64).
//!
//! Over the golden fixtures with up to three values changed at a time:
//! - deciding never panics, is deterministic byte for byte, and the outcome survives a
//!   JSON round trip;
//! - a routed plan never takes more than ATP from a node's stock nor more than its
//!   backorder allowance, reserves exactly what it takes, covers every line exactly,
//!   ships only from active nodes known to the request, within `max_shipments`;
//! - inactive nodes are irrelevant: removing them (and their stock) changes nothing.
//!
//! Also run on generated orders, next to the engine: `tests/routing_props.rs` (the same
//! ATP property, input shuffling, fewest splits against brute force).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use backoffice::routing::{
    available_to_promise, RoutingConfig, RoutingEngine, RoutingOutcome, RoutingRequest, SplitMode,
};
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;

fn engine(config: &Value) -> Option<RoutingEngine> {
    let config: RoutingConfig = if config.is_null() {
        RoutingConfig::default()
    } else {
        serde_json::from_value(config.clone()).unwrap()
    };
    RoutingEngine::new(config).ok()
}

fn check_routed(
    config: &RoutingConfig,
    request: &RoutingRequest,
    outcome: &RoutingOutcome,
) -> Result<(), TestCaseError> {
    let RoutingOutcome::Routed {
        shipments,
        reservations,
        ..
    } = outcome
    else {
        return Ok(());
    };
    prop_assert!(shipments.len() as u64 <= u64::from(config.max_shipments));
    if config.split_mode == SplitMode::WholeOrder {
        prop_assert!(shipments.len() <= 1);
    }
    let holder = request.order.holder();
    let mut taken: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut backordered: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut covered: BTreeMap<&str, u64> = BTreeMap::new();
    for s in shipments {
        let node = request.nodes.iter().find(|n| n.id == s.node_id);
        prop_assert!(node.is_some_and(|n| n.active), "ships from {}", s.node_id);
        for l in &s.lines {
            *covered.entry(&l.line_id).or_default() += l.quantity + l.backordered;
            let parts: Vec<(&str, u64)> =
                match request.order.kits.iter().find(|k| k.line_id == l.line_id) {
                    Some(kit) => kit
                        .components
                        .iter()
                        .map(|c| (c.sku.as_str(), u64::from(c.quantity)))
                        .collect(),
                    None => vec![(l.sku.as_str(), 1)],
                };
            for (sku, per) in parts {
                *taken.entry((&s.node_id, sku)).or_default() += l.quantity * per;
                *backordered.entry((&s.node_id, sku)).or_default() += l.backordered * per;
            }
        }
    }
    let row = |node: &str, sku: &str| {
        request
            .stock
            .iter()
            .find(|r| r.node_id == node && r.sku == sku)
    };
    for ((node, sku), units) in &taken {
        let atp = row(node, sku).map_or(0, |r| available_to_promise(r, holder, request.now));
        prop_assert!(*units <= atp, "{}/{}: {} > ATP {}", node, sku, units, atp);
        let held = reservations
            .iter()
            .filter(|r| r.node_id == *node && r.sku == *sku)
            .map(|r| r.quantity)
            .sum::<u64>();
        prop_assert_eq!(held, *units);
    }
    for ((node, sku), units) in &backordered {
        let allowance = row(node, sku).map_or(0, |r| r.backorder.units());
        prop_assert!(
            *units <= allowance,
            "{}/{}: backordered {} > {}",
            node,
            sku,
            units,
            allowance
        );
    }
    let sorted: Vec<_> = reservations.iter().map(|r| (&r.node_id, &r.sku)).collect();
    let mut expected = sorted.clone();
    expected.sort();
    prop_assert_eq!(sorted, expected, "reservations not sorted by node then SKU");
    for line in &request.order.lines {
        prop_assert_eq!(
            covered.get(line.line_id.as_str()).copied(),
            Some(u64::from(line.quantity))
        );
    }
    for kit in &request.order.kits {
        prop_assert_eq!(
            covered.get(kit.line_id.as_str()).copied(),
            Some(u64::from(kit.quantity))
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(common::config())]

    #[test]
    fn perturbed_fixtures_decide_safely((name, config, request) in common::perturbed("routing")) {
        let Some(engine) = engine(&config) else { return Ok(()) };
        let Ok(request) = serde_json::from_value::<RoutingRequest>(request) else { return Ok(()) };
        let first = engine.decide(&request);
        let again = engine.decide(&request);
        prop_assert_eq!(format!("{first:?}"), format!("{again:?}"), "{} is not deterministic", name);
        if let Ok(decision) = first {
            prop_assert!(common::round_trips(&decision.outcome));
            check_routed(engine.config(), &request, &decision.outcome)?;
        }
    }

    #[test]
    fn inactive_nodes_are_irrelevant((_name, config, request) in common::perturbed("routing")) {
        let Some(engine) = engine(&config) else { return Ok(()) };
        let Ok(request) = serde_json::from_value::<RoutingRequest>(request) else { return Ok(()) };
        let inactive: Vec<String> = request.nodes.iter().filter(|n| !n.active).map(|n| n.id.clone()).collect();
        if inactive.is_empty() || request.order.preferred_node.as_ref().is_some_and(|p| inactive.contains(p)) {
            return Ok(());
        }
        let mut trimmed = request.clone();
        trimmed.nodes.retain(|n| n.active);
        trimmed.stock.retain(|r| !inactive.contains(&r.node_id));
        let (Ok(a), Ok(b)) = (engine.decide(&request), engine.decide(&trimmed)) else { return Ok(()) };
        prop_assert_eq!(common::json(&a.outcome), common::json(&b.outcome));
    }
}
