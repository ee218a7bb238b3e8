#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Routing policy hooks and the example policy `examples/policies/routing.rhai`.

use backoffice::policy::{DecideOptions, OnHookError, Policy, PolicyRuntime};
use backoffice::routing::{
    GeoPoint, Node, NodeKind, Order, OrderLine, RoutingConfig, RoutingEngine, RoutingOutcome,
    RoutingRequest, Rule, ShipTo, StockRow,
};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal_macros::dec;

const EXAMPLE: &str = include_str!("../examples/policies/routing.rhai");

fn policy(name: &str, source: &str) -> Policy {
    Policy::compile(name, source, &PolicyRuntime::new()).unwrap()
}

fn engine(chain: &[Rule], source: &str) -> RoutingEngine {
    RoutingEngine::new(RoutingConfig {
        chain: chain.to_vec(),
        ..RoutingConfig::default()
    })
    .unwrap()
    .with_policy(policy("test.rhai", source))
    .unwrap()
}

fn located(
    id: &str,
    kind: NodeKind,
    lat: rust_decimal::Decimal,
    lon: rust_decimal::Decimal,
    priority: u32,
) -> Node {
    Node {
        priority,
        location: Some(GeoPoint {
            latitude: lat,
            longitude: lon,
        }),
        ..Node::new(id, kind, "DE")
    }
}

/// Berlin customer; a store in Berlin (priority 5), DCs in Hamburg (2) and Munich (1).
fn request(tags: &[&str], line_tags: &[&str]) -> RoutingRequest {
    let nodes = vec![
        located(
            "STORE-BERLIN",
            NodeKind::Store,
            dec!(52.5246),
            dec!(13.4027),
            5,
        ),
        located(
            "DC-HAMBURG",
            NodeKind::Warehouse,
            dec!(53.5511),
            dec!(9.9937),
            2,
        ),
        located(
            "DC-MUNICH",
            NodeKind::Warehouse,
            dec!(48.1351),
            dec!(11.582),
            1,
        ),
    ];
    let stock = nodes
        .iter()
        .map(|n| StockRow::new(n.id.clone(), "SOFA", 3))
        .collect();
    RoutingRequest {
        order: Order {
            id: "o-1".into(),
            channel: "web".into(),
            ship_to: ShipTo {
                country: "DE".into(),
                latitude: Some(dec!(52.52)),
                longitude: Some(dec!(13.405)),
                ..ShipTo::default()
            },
            preferred_node: None,
            lines: vec![OrderLine {
                tags: line_tags.iter().map(|t| t.to_string()).collect(),
                ..OrderLine::new("1", "SOFA", 1)
            }],
            kits: vec![],
            tags: tags.iter().map(|t| t.to_string()).collect(),
            holder: None,
        },
        nodes,
        stock,
        now: Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap(),
    }
}

fn shipped_from(outcome: &RoutingOutcome) -> Vec<&str> {
    outcome
        .shipments()
        .iter()
        .map(|s| s.node_id.as_str())
        .collect()
}

#[test]
fn example_policy_binds() {
    let p = policy("routing.rhai", EXAMPLE);
    for hook in ["chain", "eligible", "rank"] {
        assert!(p.has_hook(hook), "{hook}");
    }
    RoutingEngine::new(RoutingConfig::default())
        .unwrap()
        .with_policy(p)
        .unwrap();
}

#[test]
fn example_policy_sends_vip_orders_closest_first() {
    let e = engine(&[Rule::MinimizeSplits, Rule::Priority], EXAMPLE);
    // Not VIP: the configured chain; Munich has the best priority.
    let d = e.decide(&request(&[], &[])).unwrap();
    assert_eq!(shipped_from(&d.outcome), vec!["DC-MUNICH"]);
    assert!(!d.has_reason("chain_from_policy"));
    // VIP: closest first, the Berlin store.
    let d = e.decide(&request(&["vip"], &[])).unwrap();
    assert_eq!(shipped_from(&d.outcome), vec!["STORE-BERLIN"]);
    assert_eq!(d.reason_codes(), vec!["routed", "chain_from_policy"]);
    let RoutingOutcome::Routed { chain, .. } = &d.outcome else {
        panic!()
    };
    assert_eq!(
        chain,
        &vec![Rule::Closest, Rule::MinimizeSplits, Rule::Priority]
    );
}

#[test]
fn example_policy_keeps_oversized_items_out_of_stores() {
    let e = engine(&[Rule::MinimizeSplits, Rule::Priority], EXAMPLE);
    let d = e
        .decide_with(&request(&["vip"], &["oversized"]), &DecideOptions::traced())
        .unwrap();
    // Closest remaining node: Hamburg.
    assert_eq!(shipped_from(&d.outcome), vec!["DC-HAMBURG"]);
    let trace = d.trace.unwrap();
    assert!(
        trace.steps.iter().any(|s| s.stage == "eligibility"
            && s.message
                == "node STORE-BERLIN excluded by policy: stores do not ship oversized items"),
        "{:#?}",
        trace.steps
    );
}

#[test]
fn example_policy_ranks_warehouses_before_stores() {
    let e = engine(
        &[Rule::MinimizeSplits, Rule::Policy, Rule::Priority],
        EXAMPLE,
    );
    let mut r = request(&[], &[]);
    r.nodes[1].priority = 9;
    r.nodes[2].priority = 9;
    r.nodes[0].priority = 0;
    let d = e.decide(&r).unwrap();
    // The store has the best priority, but the policy rule comes first.
    assert_eq!(shipped_from(&d.outcome), vec!["DC-HAMBURG"]);
}

#[test]
fn unknown_hooks_are_refused_when_binding() {
    let err = RoutingEngine::new(RoutingConfig::default())
        .unwrap()
        .with_policy(policy("bad.rhai", "fn rnak(node, order) { 1 }"))
        .unwrap_err();
    assert_eq!(err.diagnostics()[0].code, "policy.unknown_hook");
}

#[test]
fn a_bad_rank_fails_or_falls_back() {
    let e = engine(
        &[Rule::MinimizeSplits, Rule::Policy, Rule::Priority],
        r#"fn rank(node, order) { "high" }"#,
    );
    let err = e.decide(&request(&[], &[])).unwrap_err();
    let diag = &err.diagnostics()[0];
    assert_eq!(diag.code, "policy.bad_return");
    assert_eq!(diag.hook.as_deref(), Some("rank"));
    assert!(diag.message.contains("\"high\""), "{}", diag.message);

    let options = DecideOptions {
        trace: false,
        on_hook_error: OnHookError::Fallback,
    };
    let d = e.decide_with(&request(&[], &[]), &options).unwrap();
    assert_eq!(shipped_from(&d.outcome), vec!["DC-MUNICH"]);
    assert_eq!(d.reason_codes(), vec!["routed", "policy_error"]);
}

#[test]
fn a_bad_chain_is_a_bad_return() {
    let e = engine(
        &[Rule::Priority],
        r#"fn chain(order) { ["closest", "cheapest"] }"#,
    );
    let err = e.decide(&request(&[], &[])).unwrap_err();
    assert_eq!(err.diagnostics()[0].code, "policy.bad_return");
    assert!(err.to_string().contains("cheapest"), "{err}");
    let options = DecideOptions {
        trace: false,
        on_hook_error: OnHookError::Fallback,
    };
    let d = e.decide_with(&request(&[], &[]), &options).unwrap();
    assert_eq!(shipped_from(&d.outcome), vec!["DC-MUNICH"]);
}

#[test]
fn eligible_may_return_false_and_print() {
    let e = engine(
        &[Rule::MinimizeSplits, Rule::Priority],
        r#"fn eligible(node, order) { print(`checking ${node.id} at ${node.distance_km} km`); node.id != "DC-MUNICH" }"#,
    );
    let d = e
        .decide_with(&request(&[], &[]), &DecideOptions::traced())
        .unwrap();
    assert_eq!(shipped_from(&d.outcome), vec!["DC-HAMBURG"]);
    let trace = d.trace.unwrap();
    assert_eq!(
        trace.policy_output,
        vec![
            "checking DC-HAMBURG at 255.251 km",
            "checking DC-MUNICH at 504.416 km",
            "checking STORE-BERLIN at 0.535 km"
        ]
    );
}

#[test]
fn policy_rule_without_rank_hook_is_missing_data() {
    let e = engine(&[Rule::Policy], "fn eligible(node, order) { true }");
    let err = e.decide(&request(&[], &[])).unwrap_err();
    assert_eq!(err.field(), Some("policy"));
}

// Lazy rank resolution (no trace) and eager resolution (trace) give the same plan.
const RANKER: &str = r#"
fn rank(node, order) {
    if node.kind == "dropship" { return (); }
    let score = node.priority * 10;
    for sku in node.atp.keys() { score -= node.atp[sku]; }
    score
}
"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn lazy_and_eager_ranking_agree(
        stocks in prop::collection::vec((0u32..6, 0u32..6, 0u32..4, 0u8..3), 1..7),
        demand in (1u32..8, 1u32..5),
        max_shipments in 1u32..4,
    ) {
        let kinds = [NodeKind::Warehouse, NodeKind::Store, NodeKind::Dropship];
        let nodes: Vec<Node> = stocks
            .iter()
            .enumerate()
            .map(|(i, (_, _, p, k))| Node { priority: *p, ..Node::new(format!("N{i}"), kinds[*k as usize], "DE") })
            .collect();
        let stock = stocks
            .iter()
            .enumerate()
            .flat_map(|(i, (a, b, _, _))| vec![StockRow::new(format!("N{i}"), "A", *a), StockRow::new(format!("N{i}"), "B", *b)])
            .collect();
        let r = RoutingRequest {
            order: Order {
                lines: vec![OrderLine::new("1", "A", demand.0), OrderLine::new("2", "B", demand.1)],
                ..request(&[], &[]).order
            },
            nodes,
            stock,
            now: Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap(),
        };
        let e = RoutingEngine::new(RoutingConfig {
            chain: vec![Rule::MinimizeSplits, Rule::Policy, Rule::Priority],
            max_shipments,
            ..RoutingConfig::default()
        }).unwrap().with_policy(policy("ranker.rhai", RANKER)).unwrap();
        let lazy = e.decide(&r).unwrap();
        let eager = e.decide_with(&r, &DecideOptions::traced()).unwrap();
        prop_assert_eq!(lazy.outcome, eager.outcome);
        prop_assert_eq!(lazy.reasons, eager.reasons);
    }
}

#[test]
fn hooks_cannot_change_what_the_next_call_sees() {
    // Changing the order in place is refused; a copy may be changed freely.
    let e = engine(
        &[Rule::MinimizeSplits, Rule::Priority],
        r#"fn eligible(node, order) { order.tags.push("seen"); true }"#,
    );
    let err = e.decide(&request(&[], &[])).unwrap_err();
    assert_eq!(err.diagnostics()[0].code, "policy.runtime");
    assert!(err.to_string().contains("constant"), "{err}");
    let e = engine(
        &[Rule::MinimizeSplits, Rule::Priority],
        r#"fn eligible(node, order) { let tags = order.tags; tags.push("seen"); print(tags.len()); true }"#,
    );
    let d = e
        .decide_with(&request(&["vip"], &[]), &DecideOptions::traced())
        .unwrap();
    assert_eq!(d.trace.unwrap().policy_output, vec!["2", "2", "2"]);
}

#[test]
fn assigning_into_a_hook_argument_is_refused_when_attached() {
    let source = "fn _bump() { this.priority = 0; }\nfn eligible(node, order) {\n    node.atp[\"A\"] += 1;\n    true\n}\nfn rank(node, order) {\n    let copy = node;\n    copy.extra = 1;\n    node._bump();\n    order.lines[0].extra = 1;\n    0\n}\n";
    let err = RoutingEngine::new(RoutingConfig::default())
        .unwrap()
        .with_policy(policy("test.rhai", source))
        .unwrap_err();
    let found: Vec<_> = err
        .diagnostics()
        .iter()
        .map(|d| {
            (
                d.code.as_str(),
                d.hook.as_deref().unwrap(),
                d.line.unwrap(),
                d.column.unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("policy.read_only_argument", "eligible", 3, 5),
            ("policy.read_only_argument", "rank", 9, 5),
            ("policy.read_only_argument", "rank", 10, 5),
        ]
    );
    assert_eq!(
        err.diagnostics()[0].message,
        "hook `eligible` assigns to a property of its argument `node`; hook arguments are read-only"
    );
    assert_eq!(
        err.diagnostics()[0].help.as_deref(),
        Some(
            "copy the value into a variable and change the copy (`let copy = node; copy.x = ...;`)"
        )
    );
}
