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
fn an_empty_chain_is_a_bad_return_at_the_returned_array() {
    let e = engine(
        &[Rule::Priority],
        "fn chain(order) {\n    if order.tags.len() > 5 { return (); }\n    []\n}",
    );
    let err = e.decide(&request(&[], &[])).unwrap_err();
    let diag = &err.diagnostics()[0];
    assert_eq!(diag.code, "policy.bad_return");
    assert_eq!(diag.hook.as_deref(), Some("chain"));
    assert_eq!(
        diag.message,
        "hook `chain` returned array [], expected a non-empty array of rule names (preferred_node, minimize_splits, stay_in_market, closest, priority, most_stock, lowest_cost, policy) or ()"
    );
    assert_eq!(
        diag.help.as_deref(),
        Some("an empty chain ranks nodes by id alone; return at least one rule name, or () for the configured chain")
    );
    // The array the hook handed back (the only one it returns): line 3, column 5.
    assert_eq!((diag.line, diag.column), (Some(3), Some(5)));
    // Under the fallback switch the configured chain decides, with a `policy_error`.
    let options = DecideOptions {
        trace: false,
        on_hook_error: OnHookError::Fallback,
    };
    let d = e.decide_with(&request(&[], &[]), &options).unwrap();
    assert_eq!(shipped_from(&d.outcome), vec!["DC-MUNICH"]);
    assert_eq!(d.reason_codes(), vec!["routed", "policy_error"]);
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

#[test]
fn a_misspelt_field_is_refused_when_attached() {
    let source = "fn rank(node, order) {\n    node.priorty + order.ship_to.contry.len()\n}\n";
    let err = RoutingEngine::new(RoutingConfig::default())
        .unwrap()
        .with_policy(policy("typo.rhai", source))
        .unwrap_err();
    let found: Vec<_> = err
        .diagnostics()
        .iter()
        .map(|d| {
            (
                d.code.as_str(),
                d.message.as_str(),
                d.line.unwrap(),
                d.column.unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "policy.unknown_field",
                "no field `priorty` on `node`; did you mean `priority`?",
                2,
                10
            ),
            (
                "policy.unknown_field",
                "no field `contry` on `ship_to`; did you mean `country`?",
                2,
                34
            ),
        ]
    );
    assert_eq!(
        err.diagnostics()[0].help.as_deref(),
        Some(
            "`node` has the fields `atp`, `country`, `daily_capacity`, `distance_km`, `id`, `in_market`, `kind`, `market`, `orders_today`, `priority`, `tags`; test an optional field with `\"name\" in node`"
        )
    );
}

#[test]
fn comparing_a_field_with_a_literal_of_another_type_is_refused_when_attached() {
    let source = "fn eligible(node, order) {\n    node.priority == \"1\"\n}\n";
    let err = RoutingEngine::new(RoutingConfig::default())
        .unwrap()
        .with_policy(policy("types.rhai", source))
        .unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(err.diagnostics().len(), 1);
    assert_eq!(d.code, "policy.type_mismatch");
    assert_eq!(
        d.message,
        "`node.priority` is an int and `\"1\"` is a string: `==` between them is never true"
    );
    assert_eq!(d.help.as_deref(), Some("write the number without quotes"));
    assert_eq!((d.line, d.column), (Some(2), Some(5)));
}

#[test]
fn a_missing_key_read_through_a_variable_fails_when_the_hook_runs() {
    // The field checks see only names written in the script; a key held in a variable is
    // looked up when the hook runs (and the whole node is built for it).
    let e = engine(
        &[Rule::MinimizeSplits, Rule::Policy, Rule::Priority],
        "fn rank(node, order) {\n    let k = \"nope\";\n    node[k]\n}\n",
    );
    let err = e.decide(&request(&[], &[])).unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.code, "policy.runtime");
    assert_eq!(d.hook.as_deref(), Some("rank"));
    assert_eq!(d.message, "property `nope` not found");
}

#[test]
fn hooks_see_what_the_engine_computed() {
    // ATP is on hand less safety stock and live holds of other orders; the distance, the
    // market flag and the order's units are the engine's.
    let source = r#"
fn eligible(node, order) {
    print(`${node.id}: atp ${node.atp.SOFA}, ${node.distance_km} km, in market ${node.in_market}, ${order.units} unit(s) for ${order.holder}`);
}
fn rank(node, order) {
    print(`rank ${node.id} ${node.kind} ${node.priority} ${node.atp}`);
    node.priority
}
"#;
    let e = engine(&[Rule::MinimizeSplits, Rule::Policy], source);
    let mut r = request(&[], &[]);
    r.order.holder = Some("cart-7".into());
    r.nodes[0].market = Some("EU".into());
    r.nodes[0].country = "PL".into();
    r.order.ship_to.market = Some("EU".into());
    r.nodes[1].country = "AT".into();
    r.stock[1].safety_stock = 1;
    r.stock[1].reservations = vec![
        backoffice::routing::Reservation {
            quantity: 1,
            holder: "o-2".into(),
            expires_at: None,
        },
        backoffice::routing::Reservation {
            quantity: 1,
            holder: "cart-7".into(),
            expires_at: None,
        },
    ];
    let d = e.decide_with(&r, &DecideOptions::traced()).unwrap();
    assert_eq!(shipped_from(&d.outcome), vec!["DC-MUNICH"]);
    assert_eq!(
        d.trace.unwrap().policy_output,
        vec![
            "DC-HAMBURG: atp 1, 255.251 km, in market false, 1 unit(s) for cart-7",
            "DC-MUNICH: atp 3, 504.416 km, in market true, 1 unit(s) for cart-7",
            "STORE-BERLIN: atp 3, 0.535 km, in market true, 1 unit(s) for cart-7",
            "rank DC-HAMBURG warehouse 2 #{\"SOFA\": 1}",
            "rank DC-MUNICH warehouse 1 #{\"SOFA\": 3}",
            "rank STORE-BERLIN store 5 #{\"SOFA\": 3}",
        ]
    );
}

#[test]
fn hooks_see_kits_and_the_units_they_make() {
    let source = r#"
fn chain(order) {
    let kit = order.kits[0];
    print(`${order.units} units; kit ${kit.sku} x${kit.quantity}: ${kit.components.map(|c| `${c.quantity} ${c.sku}`)}; line ${order.lines[0].sku}; to ${order.ship_to.country} ${order.ship_to.latitude}`);
}
"#;
    let e = engine(&[Rule::MinimizeSplits, Rule::Priority], source);
    let mut r = request(&[], &[]);
    r.order.kits = vec![backoffice::routing::KitLine {
        line_id: "2".into(),
        sku: "SET".into(),
        quantity: 2,
        components: vec![
            backoffice::routing::KitComponent {
                sku: "SOFA".into(),
                quantity: 1,
            },
            backoffice::routing::KitComponent {
                sku: "CUSHION".into(),
                quantity: 3,
            },
        ],
        tags: vec![],
    }];
    let d = e.decide_with(&r, &DecideOptions::traced()).unwrap();
    assert_eq!(
        d.trace.unwrap().policy_output,
        vec!["9 units; kit SET x2: [\"1 SOFA\", \"3 CUSHION\"]; line SOFA; to DE 52.52"]
    );
}
