#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Routing engine: the issue's examples, bad input, backorders, eligibility, rules.

use backoffice::policy::DecideOptions;
use backoffice::routing::{
    BackorderAllowance, GeoPoint, KitComponent, KitLine, MissingData, Node, NodeKind, Order,
    OrderLine, Reservation, RoutingConfig, RoutingEngine, RoutingOutcome, RoutingRequest, Rule,
    ShipTo, ShortLine, SplitMode, StockRow,
};
use chrono::{TimeZone, Utc};
use rust_decimal_macros::dec;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn engine(chain: &[Rule], mode: SplitMode) -> RoutingEngine {
    RoutingEngine::new(RoutingConfig {
        chain: chain.to_vec(),
        split_mode: mode,
        ..RoutingConfig::default()
    })
    .unwrap()
}

fn node(id: &str, priority: u32) -> Node {
    Node {
        priority,
        ..Node::new(id, NodeKind::Warehouse, "DE")
    }
}

fn order(lines: Vec<OrderLine>) -> Order {
    Order {
        id: "order-1".into(),
        channel: "web".into(),
        ship_to: ShipTo {
            country: "DE".into(),
            ..ShipTo::default()
        },
        preferred_node: None,
        lines,
        kits: vec![],
        tags: vec![],
        holder: None,
    }
}

fn request(order: Order, nodes: Vec<Node>, stock: Vec<StockRow>) -> RoutingRequest {
    RoutingRequest {
        order,
        nodes,
        stock,
        now: now(),
    }
}

/// (node, line, quantity) triples of a routed outcome, in output order.
fn plan(outcome: &RoutingOutcome) -> Vec<(String, String, u64)> {
    outcome
        .shipments()
        .iter()
        .flat_map(|s| {
            s.lines
                .iter()
                .map(move |l| (s.node_id.clone(), l.line_id.clone(), l.quantity))
        })
        .collect()
}

fn p(node: &str, line: &str, quantity: u64) -> (String, String, u64) {
    (node.to_string(), line.to_string(), quantity)
}

fn single_sku(stocks: &[(&str, u32)]) -> RoutingRequest {
    let nodes = stocks
        .iter()
        .enumerate()
        .map(|(i, (id, _))| node(id, i as u32 + 1))
        .collect();
    let stock = stocks
        .iter()
        .map(|(id, q)| StockRow::new(*id, "SKU", *q))
        .collect();
    request(order(vec![OrderLine::new("1", "SKU", 5)]), nodes, stock)
}

// Example 1.
#[test]
fn example_1_three_by_three_ships_from_the_two_best_ranked() {
    let e = engine(&[Rule::MinimizeSplits, Rule::Priority], SplitMode::ByUnit);
    let d = e
        .decide(&single_sku(&[("N1", 3), ("N2", 3), ("N3", 3)]))
        .unwrap();
    assert_eq!(plan(&d.outcome), vec![p("N1", "1", 3), p("N2", "1", 2)]);
    assert_eq!(d.reason_codes(), vec!["routed"]);
}

#[test]
fn example_1_two_each_needs_three_shipments() {
    let e = engine(&[Rule::MinimizeSplits, Rule::Priority], SplitMode::ByUnit);
    let d = e
        .decide(&single_sku(&[("N1", 2), ("N2", 2), ("N3", 2)]))
        .unwrap();
    assert_eq!(
        plan(&d.outcome),
        vec![p("N1", "1", 2), p("N2", "1", 2), p("N3", "1", 1)]
    );
}

#[test]
fn example_1_one_each_is_unfillable() {
    let e = engine(&[Rule::MinimizeSplits, Rule::Priority], SplitMode::ByUnit);
    let d = e.decide(&single_sku(&[("N1", 1), ("N2", 1)])).unwrap();
    assert_eq!(
        d.outcome,
        RoutingOutcome::Unfillable {
            short_lines: vec![ShortLine {
                line_id: "1".into(),
                sku: "SKU".into(),
                requested: 5,
                available: 2
            }]
        }
    );
    assert_eq!(d.reason_codes(), vec!["unfillable", "insufficient_stock"]);
}

// Example 2.
#[test]
fn example_2_fewest_splits_picks_the_node_that_holds_everything() {
    let r = single_sku(&[("A", 2), ("B", 4), ("C", 5)]);
    let d = engine(&[Rule::MinimizeSplits, Rule::Priority], SplitMode::ByUnit)
        .decide(&r)
        .unwrap();
    assert_eq!(plan(&d.outcome), vec![p("C", "1", 5)]);
}

#[test]
fn example_2_priority_alone_fills_greedily_in_rank_order() {
    let r = single_sku(&[("A", 2), ("B", 4), ("C", 5)]);
    let d = engine(&[Rule::Priority], SplitMode::ByUnit)
        .decide(&r)
        .unwrap();
    assert_eq!(plan(&d.outcome), vec![p("A", "1", 2), p("B", "1", 3)]);
}

// Example 3.
#[test]
fn example_3_priority_versus_most_stock() {
    let mut r = request(
        order(vec![OrderLine::new("1", "SKU", 5)]),
        vec![node("W1", 2), node("W2", 1)],
        vec![StockRow::new("W1", "SKU", 4), StockRow::new("W2", "SKU", 3)],
    );
    let d = engine(&[Rule::Priority], SplitMode::ByUnit)
        .decide(&r)
        .unwrap();
    assert_eq!(plan(&d.outcome), vec![p("W2", "1", 3), p("W1", "1", 2)]);
    r.nodes.reverse();
    let d = engine(&[Rule::MostStock], SplitMode::ByUnit)
        .decide(&r)
        .unwrap();
    assert_eq!(plan(&d.outcome), vec![p("W1", "1", 4), p("W2", "1", 1)]);
}

fn kit_order(kits: u32) -> Order {
    Order {
        kits: vec![KitLine {
            line_id: "K".into(),
            sku: "KIT".into(),
            quantity: kits,
            components: vec![KitComponent {
                sku: "PART".into(),
                quantity: 3,
            }],
            tags: vec![],
        }],
        ..order(vec![])
    }
}

// Example 4.
#[test]
fn example_4_kits_ship_whole() {
    let r = request(
        kit_order(2),
        vec![node("A", 1), node("B", 2)],
        vec![StockRow::new("A", "PART", 4), StockRow::new("B", "PART", 5)],
    );
    for chain in [
        vec![Rule::MinimizeSplits, Rule::Priority],
        vec![Rule::Priority],
    ] {
        let d = engine(&chain, SplitMode::ByUnit).decide(&r).unwrap();
        assert_eq!(plan(&d.outcome), vec![p("A", "K", 1), p("B", "K", 1)]);
        let shipments = d.outcome.shipments();
        for s in shipments {
            assert_eq!(
                s.lines[0].components,
                vec![KitComponent {
                    sku: "PART".into(),
                    quantity: 3
                }]
            );
        }
        let RoutingOutcome::Routed { reservations, .. } = &d.outcome else {
            panic!("not routed")
        };
        let holds: Vec<_> = reservations
            .iter()
            .map(|r| {
                (
                    r.node_id.as_str(),
                    r.sku.as_str(),
                    r.quantity,
                    r.holder.as_str(),
                )
            })
            .collect();
        assert_eq!(
            holds,
            vec![("A", "PART", 3, "order-1"), ("B", "PART", 3, "order-1")]
        );
    }
}

// Example 5.
#[test]
fn example_5_bundle_atp_is_the_scarcest_component() {
    let bundle = KitLine {
        line_id: "B".into(),
        sku: "BUNDLE".into(),
        quantity: 2,
        components: vec![
            KitComponent {
                sku: "CASE".into(),
                quantity: 1,
            },
            KitComponent {
                sku: "PENCIL".into(),
                quantity: 2,
            },
            KitComponent {
                sku: "ERASER".into(),
                quantity: 1,
            },
        ],
        tags: vec![],
    };
    let stock = vec![
        StockRow::new("N", "CASE", 3),
        StockRow::new("N", "PENCIL", 6),
        StockRow::new("N", "ERASER", 2),
    ];
    let atp = |sku: &str| {
        stock.iter().find(|r| r.sku == sku).map_or(0, |r| {
            backoffice::routing::available_to_promise(r, "x", now())
        })
    };
    assert_eq!(
        backoffice::routing::kit_available_to_promise(&bundle.components, atp),
        2
    );
    // Through the engine: 2 bundles fit, 3 do not.
    let mut o = order(vec![]);
    o.kits = vec![bundle.clone()];
    let r = request(o.clone(), vec![node("N", 1)], stock.clone());
    let d = engine(&[Rule::MinimizeSplits], SplitMode::ByUnit)
        .decide(&r)
        .unwrap();
    assert_eq!(plan(&d.outcome), vec![p("N", "B", 2)]);
    o.kits[0].quantity = 3;
    let d = engine(&[Rule::MinimizeSplits], SplitMode::ByUnit)
        .decide(&request(o, vec![node("N", 1)], stock))
        .unwrap();
    assert_eq!(
        d.outcome,
        RoutingOutcome::Unfillable {
            short_lines: vec![ShortLine {
                line_id: "B".into(),
                sku: "BUNDLE".into(),
                requested: 3,
                available: 2
            }]
        }
    );
}

#[test]
fn reservations_safety_stock_and_expiry_shape_atp() {
    let mut row = StockRow::new("A", "SKU", 10);
    row.safety_stock = 1;
    row.reservations = vec![
        Reservation {
            quantity: 4,
            holder: "someone-else".into(),
            expires_at: None,
        },
        Reservation {
            quantity: 3,
            holder: "order-1".into(),
            expires_at: None,
        },
        Reservation {
            quantity: 9,
            holder: "stale".into(),
            expires_at: Some(now()),
        },
    ];
    // ATP = 10 − 4 − 1 = 5.
    let e = engine(&[Rule::MinimizeSplits, Rule::Priority], SplitMode::ByUnit);
    let r = request(
        order(vec![OrderLine::new("1", "SKU", 5)]),
        vec![node("A", 1), node("B", 2)],
        vec![row.clone(), StockRow::new("B", "SKU", 5)],
    );
    let d = e.decide(&r).unwrap();
    assert_eq!(plan(&d.outcome), vec![p("A", "1", 5)]);
    let mut r6 = r.clone();
    r6.order.lines[0].quantity = 6;
    let d = e.decide(&r6).unwrap();
    assert_eq!(plan(&d.outcome), vec![p("A", "1", 5), p("B", "1", 1)]);
}

#[test]
fn ineligible_nodes_are_traced() {
    let mut inactive = node("A", 1);
    inactive.active = false;
    let mut other_channel = node("B", 2);
    other_channel.channels = vec!["marketplace".into()];
    let mut full = node("C", 3);
    full.daily_capacity = Some(10);
    full.orders_today = 10;
    let r = request(
        order(vec![OrderLine::new("1", "SKU", 1)]),
        vec![inactive, other_channel, full, node("D", 4)],
        ["A", "B", "C", "D"]
            .iter()
            .map(|n| StockRow::new(*n, "SKU", 5))
            .collect(),
    );
    let d = engine(&[Rule::MinimizeSplits, Rule::Priority], SplitMode::ByUnit)
        .decide_with(&r, &DecideOptions::traced())
        .unwrap();
    assert_eq!(plan(&d.outcome), vec![p("D", "1", 1)]);
    let steps: Vec<String> = d
        .trace
        .unwrap()
        .steps
        .into_iter()
        .filter(|s| s.stage == "eligibility")
        .map(|s| s.message)
        .collect();
    assert_eq!(
        steps,
        vec![
            "node A excluded: inactive",
            "node B excluded: does not serve channel `web` (serves marketplace)",
            "node C excluded: at daily capacity (10 of 10 orders taken)",
            "1 of 4 node(s) eligible",
        ]
    );
}

#[test]
fn by_line_never_splits_a_line() {
    let r = request(
        order(vec![
            OrderLine::new("1", "X", 4),
            OrderLine::new("2", "Y", 2),
        ]),
        vec![node("A", 1), node("B", 2)],
        vec![
            StockRow::new("A", "X", 3),
            StockRow::new("A", "Y", 2),
            StockRow::new("B", "X", 4),
        ],
    );
    let d = engine(&[Rule::MinimizeSplits, Rule::Priority], SplitMode::ByLine)
        .decide(&r)
        .unwrap();
    assert_eq!(plan(&d.outcome), vec![p("A", "2", 2), p("B", "1", 4)]);
    // Whole order: nobody has everything.
    let d = engine(
        &[Rule::MinimizeSplits, Rule::Priority],
        SplitMode::WholeOrder,
    )
    .decide(&r)
    .unwrap();
    assert!(!d.outcome.is_routed());
    assert!(d.has_reason("split_constraints"));
}

#[test]
fn max_shipments_limits_the_plan() {
    let r = single_sku(&[("N1", 2), ("N2", 2), ("N3", 2)]);
    let e = RoutingEngine::new(RoutingConfig {
        chain: vec![Rule::MinimizeSplits, Rule::Priority],
        max_shipments: 2,
        ..RoutingConfig::default()
    })
    .unwrap();
    let d = e.decide(&r).unwrap();
    assert_eq!(
        d.outcome,
        RoutingOutcome::Unfillable {
            short_lines: vec![ShortLine {
                line_id: "1".into(),
                sku: "SKU".into(),
                requested: 5,
                available: 6
            }]
        }
    );
    assert_eq!(d.reason_codes(), vec!["unfillable", "split_constraints"]);
}

#[test]
fn shortfall_goes_to_the_best_backorderable_node() {
    let mut r = single_sku(&[("N1", 2), ("N2", 1), ("N3", 0)]);
    let expected = Utc.with_ymd_and_hms(2026, 3, 9, 0, 0, 0).unwrap();
    r.stock[2].backorder = BackorderAllowance::UpTo(2);
    r.stock[2].backorder_expected_at = Some(expected);
    r.stock[1].backorder = BackorderAllowance::UpTo(1);
    let d = engine(&[Rule::MinimizeSplits, Rule::Priority], SplitMode::ByUnit)
        .decide(&r)
        .unwrap();
    // 2 + 1 from stock; 2 short: N2 may backorder only 1, so N3 takes the 2.
    let shipments = d.outcome.shipments();
    assert_eq!(shipments.len(), 3);
    assert_eq!(shipments[2].node_id, "N3");
    assert_eq!(shipments[2].lines[0].quantity, 0);
    assert_eq!(shipments[2].lines[0].backordered, 2);
    assert_eq!(shipments[2].lines[0].expected_at, Some(expected));
    assert_eq!(d.reason_codes(), vec!["routed", "backordered"]);
    // The reservations hold stock units only.
    let RoutingOutcome::Routed { reservations, .. } = &d.outcome else {
        panic!()
    };
    let held: u64 = reservations.iter().map(|r| r.quantity).sum();
    assert_eq!(held, 3);

    // Without any allowance: unfillable.
    r.stock[2].backorder = BackorderAllowance::None;
    r.stock[1].backorder = BackorderAllowance::None;
    let d = engine(&[Rule::MinimizeSplits, Rule::Priority], SplitMode::ByUnit)
        .decide(&r)
        .unwrap();
    assert!(!d.outcome.is_routed());
}

#[test]
fn backorder_in_by_line_keeps_the_line_whole() {
    let mut r = single_sku(&[("N1", 3), ("N2", 4)]);
    r.stock[1].backorder = BackorderAllowance::Unlimited;
    let d = engine(&[Rule::MinimizeSplits, Rule::Priority], SplitMode::ByLine)
        .decide(&r)
        .unwrap();
    let shipments = d.outcome.shipments();
    assert_eq!(shipments.len(), 1);
    assert_eq!(shipments[0].node_id, "N2");
    assert_eq!(
        (
            shipments[0].lines[0].quantity,
            shipments[0].lines[0].backordered
        ),
        (4, 1)
    );
}

fn located(
    id: &str,
    lat: rust_decimal::Decimal,
    lon: rust_decimal::Decimal,
    country: &str,
) -> Node {
    Node {
        location: Some(GeoPoint {
            latitude: lat,
            longitude: lon,
        }),
        ..Node::new(id, NodeKind::Warehouse, country)
    }
}

fn berlin_order() -> Order {
    let mut o = order(vec![OrderLine::new("1", "SKU", 1)]);
    o.ship_to.latitude = Some(dec!(52.52));
    o.ship_to.longitude = Some(dec!(13.405));
    o
}

#[test]
fn default_chain_stays_in_market_then_goes_closest() {
    let nodes = vec![
        located("HAMBURG", dec!(53.5511), dec!(9.9937), "DE"),
        located("MUNICH", dec!(48.1351), dec!(11.582), "DE"),
        located("POZNAN", dec!(52.4064), dec!(16.9252), "PL"),
    ];
    let stock = nodes
        .iter()
        .map(|n| StockRow::new(n.id.clone(), "SKU", 5))
        .collect();
    let e = RoutingEngine::new(RoutingConfig::default()).unwrap();
    let d = e
        .decide_with(
            &request(berlin_order(), nodes, stock),
            &DecideOptions::traced(),
        )
        .unwrap();
    let shipments = d.outcome.shipments();
    assert_eq!(shipments.len(), 1);
    // Poznań is nearer (239 km) but abroad; Hamburg (255 km) beats Munich (504 km).
    assert_eq!(shipments[0].node_id, "HAMBURG");
    assert_eq!(shipments[0].distance_km, Some(dec!(255.251)));
    let trace = d.trace.unwrap();
    let rules: Vec<(String, String)> = trace
        .steps
        .iter()
        .filter(|s| s.stage.starts_with("rule:"))
        .map(|s| (s.stage.clone(), s.message.clone()))
        .collect();
    assert_eq!(
        rules,
        vec![
            ("rule:preferred_node".to_string(), "abstains".to_string()),
            (
                "rule:minimize_splits".to_string(),
                "best score 1; kept {HAMBURG}, {MUNICH}, {POZNAN}; eliminated none".to_string()
            ),
            (
                "rule:stay_in_market".to_string(),
                "best score 0; kept {HAMBURG}, {MUNICH}; eliminated {POZNAN} (1)".to_string()
            ),
            (
                "rule:closest".to_string(),
                "best score 255.251; kept {HAMBURG}; eliminated {MUNICH} (504.416)".to_string()
            ),
        ]
    );
}

#[test]
fn preferred_node_wins_first() {
    let nodes = vec![node("STORE", 9), node("DC", 1)];
    let stock = vec![
        StockRow::new("STORE", "SKU", 1),
        StockRow::new("DC", "SKU", 9),
    ];
    let mut o = order(vec![OrderLine::new("1", "SKU", 2)]);
    o.preferred_node = Some("STORE".into());
    let e = engine(
        &[Rule::PreferredNode, Rule::MinimizeSplits, Rule::Priority],
        SplitMode::ByUnit,
    );
    let d = e.decide(&request(o.clone(), nodes.clone(), stock)).unwrap();
    // Within a node set a line goes whole to the best node that can fill it: the store
    // cannot, so {STORE, DC} is the same plan as {DC} alone.
    assert_eq!(plan(&d.outcome), vec![p("DC", "1", 2)]);
    let stock = vec![
        StockRow::new("STORE", "SKU", 2),
        StockRow::new("DC", "SKU", 9),
    ];
    let d = e
        .decide(&request(o.clone(), nodes.clone(), stock.clone()))
        .unwrap();
    assert_eq!(plan(&d.outcome), vec![p("STORE", "1", 2)]);
    // By unit with a second line only the DC has: the store still ships its line.
    let mut o2 = o;
    o2.lines.push(OrderLine::new("2", "OTHER", 1));
    let mut stock2 = stock;
    stock2.push(StockRow::new("DC", "OTHER", 1));
    let d = e.decide(&request(o2, nodes, stock2)).unwrap();
    assert_eq!(plan(&d.outcome), vec![p("STORE", "1", 2), p("DC", "2", 1)]);
}

#[test]
fn closest_without_coordinates_is_an_error_or_abstains() {
    let r = single_sku(&[("A", 5)]);
    let e = engine(&[Rule::Closest], SplitMode::ByUnit);
    let err = e.decide(&r).unwrap_err();
    assert_eq!(err.field(), Some("order.ship_to.latitude"));
    assert!(err.to_string().contains("rule `closest`"), "{err}");
    let e = RoutingEngine::new(RoutingConfig {
        chain: vec![Rule::Closest, Rule::Priority],
        on_missing_data: MissingData::Abstain,
        ..RoutingConfig::default()
    })
    .unwrap();
    let d = e.decide(&r).unwrap();
    assert_eq!(d.reason_codes(), vec!["routed", "rule_abstained"]);

    // Ship-to known, a node without location.
    let mut r = request(
        berlin_order(),
        vec![located("A", dec!(50), dec!(10), "DE"), node("B", 1)],
        vec![],
    );
    r.stock = vec![StockRow::new("A", "SKU", 1), StockRow::new("B", "SKU", 1)];
    let err = engine(&[Rule::Closest], SplitMode::ByUnit)
        .decide(&r)
        .unwrap_err();
    assert_eq!(err.field(), Some("nodes[1].location"));
}

#[test]
fn lowest_cost_uses_the_cost_models() {
    use backoffice::routing::CostModel;
    use backoffice::{Currency, Money};
    let eur = |v| Money::new(v, Currency::EUR);
    let cost = |shipment, unit| CostModel {
        per_shipment: eur(shipment),
        per_unit: eur(unit),
        per_km: eur(dec!(0)),
    };
    let mut a = node("A", 1);
    a.cost = Some(cost(dec!(5), dec!(1)));
    let mut b = node("B", 2);
    b.cost = Some(cost(dec!(2), dec!(1.5)));
    let r = request(
        order(vec![OrderLine::new("1", "SKU", 4)]),
        vec![a, b.clone()],
        vec![StockRow::new("A", "SKU", 4), StockRow::new("B", "SKU", 4)],
    );
    // A: 5 + 4 = 9; B: 2 + 6 = 8.
    let d = engine(&[Rule::LowestCost, Rule::Priority], SplitMode::ByUnit)
        .decide(&r)
        .unwrap();
    assert_eq!(plan(&d.outcome), vec![p("B", "1", 4)]);
    let d = engine(&[Rule::MinimizeSplits, Rule::LowestCost], SplitMode::ByUnit)
        .decide(&r)
        .unwrap();
    assert_eq!(plan(&d.outcome), vec![p("B", "1", 4)]);
    // A node without a cost model.
    let mut r2 = r.clone();
    r2.nodes[1].cost = None;
    let err = engine(&[Rule::LowestCost], SplitMode::ByUnit)
        .decide(&r2)
        .unwrap_err();
    assert_eq!(err.field(), Some("nodes[1].cost"));
    // Two currencies.
    let mut r3 = r;
    r3.nodes[1].cost = Some(CostModel {
        per_shipment: Money::new(dec!(1), Currency::USD),
        ..cost(dec!(1), dec!(1))
    });
    let err = engine(&[Rule::LowestCost], SplitMode::ByUnit)
        .decide(&r3)
        .unwrap_err();
    assert_eq!(err.code(), "currency_mismatch");
}

#[test]
fn policy_rule_without_a_policy_is_an_error() {
    let err = engine(&[Rule::Policy], SplitMode::ByUnit)
        .decide(&single_sku(&[("A", 5)]))
        .unwrap_err();
    assert_eq!(err.field(), Some("policy"));
}

#[test]
fn search_budget_exhaustion_falls_back_to_greedy() {
    // 12 nodes with 1 unit each, order 5: sets of size 1..=4 would be searched.
    let stocks: Vec<(String, u32)> = (0..12).map(|i| (format!("N{i:02}"), 1)).collect();
    let refs: Vec<(&str, u32)> = stocks.iter().map(|(n, q)| (n.as_str(), *q)).collect();
    let r = single_sku(&refs);
    let e = RoutingEngine::new(RoutingConfig {
        chain: vec![Rule::MinimizeSplits, Rule::Priority],
        max_shipments: 5,
        search_budget: 50,
        ..RoutingConfig::default()
    })
    .unwrap();
    let d = e.decide(&r).unwrap();
    assert!(d.has_reason("search_budget_exhausted"));
    assert_eq!(
        plan(&d.outcome),
        vec![
            p("N00", "1", 1),
            p("N01", "1", 1),
            p("N02", "1", 1),
            p("N03", "1", 1),
            p("N04", "1", 1)
        ]
    );
}

// Bad input.
fn expect_invalid(r: &RoutingRequest, field: &str, needle: &str) {
    let err = engine(&[Rule::MinimizeSplits], SplitMode::ByUnit)
        .decide(r)
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input", "{err}");
    assert_eq!(err.field(), Some(field), "{err}");
    assert!(err.to_string().contains(needle), "{err} lacks {needle}");
}

#[test]
fn bad_input_names_the_offending_item() {
    let base = single_sku(&[("A", 5), ("B", 5)]);

    let mut r = base.clone();
    r.nodes[1].id = "A".into();
    expect_invalid(&r, "nodes[1].id", "duplicate node id `A` (also nodes[0])");

    let mut r = base.clone();
    r.order.lines.push(OrderLine::new("1", "OTHER", 1));
    expect_invalid(&r, "order.lines[1].line_id", "duplicate line id `1`");

    let mut r = base.clone();
    r.order.kits = kit_order(1).kits;
    r.order.kits[0].line_id = "1".into();
    expect_invalid(
        &r,
        "order.kits[0].line_id",
        "duplicate line id `1` (also order.lines[0].line_id)",
    );

    let mut r = base.clone();
    r.stock.push(StockRow::new("GHOST", "SKU", 1));
    expect_invalid(&r, "stock[2].node_id", "unknown node `GHOST`");

    let mut r = base.clone();
    r.stock.push(StockRow::new("A", "SKU", 1));
    expect_invalid(
        &r,
        "stock[2]",
        "duplicate stock row for node `A` and SKU SKU (also stock[0])",
    );

    let mut r = base.clone();
    r.order.lines[0].quantity = 0;
    expect_invalid(
        &r,
        "order.lines[0].quantity",
        "line `1` (SKU) has quantity 0",
    );

    let mut r = base.clone();
    r.order.kits = kit_order(0).kits;
    expect_invalid(
        &r,
        "order.kits[0].quantity",
        "kit line `K` (KIT) has quantity 0",
    );

    let mut r = base.clone();
    r.order.kits = kit_order(1).kits;
    r.order.kits[0].components[0].quantity = 0;
    expect_invalid(&r, "order.kits[0].components[0].quantity", "component PART");

    let mut r = base.clone();
    r.order.ship_to.latitude = Some(dec!(90.5));
    r.order.ship_to.longitude = Some(dec!(0));
    expect_invalid(
        &r,
        "order.ship_to.latitude",
        "latitude 90.5 is outside ±90 degrees",
    );

    let mut r = base.clone();
    r.nodes[1].location = Some(GeoPoint {
        latitude: dec!(0),
        longitude: dec!(-180.01),
    });
    expect_invalid(
        &r,
        "nodes[1].location.longitude",
        "longitude -180.01 is outside ±180 degrees",
    );

    let mut r = base.clone();
    r.order.preferred_node = Some("NOPE".into());
    expect_invalid(&r, "order.preferred_node", "preferred node `NOPE`");

    let mut r = base.clone();
    r.order.lines.clear();
    expect_invalid(&r, "order.lines", "has no lines and no kits");
}

#[test]
fn negative_counts_cannot_be_represented() {
    let json = r#"{"node_id":"A","sku":"S","on_hand":-1}"#;
    let err = serde_json::from_str::<StockRow>(json).unwrap_err();
    assert!(
        err.to_string().contains("invalid value: integer `-1`"),
        "{err}"
    );
}

#[test]
fn bad_config_is_rejected() {
    let err = RoutingEngine::new(RoutingConfig {
        chain: vec![Rule::Priority, Rule::Closest, Rule::Priority],
        ..RoutingConfig::default()
    })
    .unwrap_err();
    assert_eq!(err.field(), Some("chain[2]"));
    let err = RoutingEngine::new(RoutingConfig {
        max_shipments: 0,
        ..RoutingConfig::default()
    })
    .unwrap_err();
    assert_eq!(err.field(), Some("max_shipments"));
}

#[test]
fn outcome_json_shape() {
    let d = engine(&[Rule::MinimizeSplits, Rule::Priority], SplitMode::ByUnit)
        .decide(&single_sku(&[("N1", 3), ("N2", 3)]))
        .unwrap();
    let json = serde_json::to_value(&d.outcome).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "status": "routed",
            "shipments": [
                {"node_id": "N1", "lines": [{"line_id": "1", "sku": "SKU", "quantity": 3}]},
                {"node_id": "N2", "lines": [{"line_id": "1", "sku": "SKU", "quantity": 2}]}
            ],
            "reservations": [
                {"node_id": "N1", "sku": "SKU", "quantity": 3, "holder": "order-1"},
                {"node_id": "N2", "sku": "SKU", "quantity": 2, "holder": "order-1"}
            ],
            "chain": ["minimize_splits", "priority"]
        })
    );
    let back: RoutingOutcome = serde_json::from_value(json).unwrap();
    assert_eq!(back, d.outcome);
}

#[test]
fn any_engine_speaks_routing_json() {
    use backoffice::engine::{hooks_of, AnyEngine, ENGINE_KINDS};
    assert!(ENGINE_KINDS.contains(&"routing"));
    let hooks: Vec<&str> = hooks_of("routing")
        .unwrap()
        .iter()
        .map(|h| h.name)
        .collect();
    assert_eq!(hooks, vec!["eligible", "rank", "chain"]);
    let engine = AnyEngine::new(
        "routing",
        Some(r#"{"chain": ["minimize_splits", "priority"]}"#),
        None,
    )
    .unwrap();
    assert_eq!(engine.kind(), "routing");
    let request = serde_json::to_string(&single_sku(&[("N1", 3), ("N2", 3)])).unwrap();
    let out = engine
        .decide_json(&request, &DecideOptions::default())
        .unwrap();
    assert_eq!(out["outcome"]["status"], "routed");
    assert_eq!(out["outcome"]["shipments"][0]["node_id"], "N1");
    let batch = format!("[{request}, {{\"order\": 1}}]");
    let out = engine
        .decide_batch_json(&batch, &DecideOptions::default())
        .unwrap();
    assert_eq!(out[0]["outcome"]["status"], "routed");
    assert_eq!(out[1]["error"]["code"], "invalid_json");
}

#[test]
fn nodes_holding_nothing_for_the_order_are_skipped() {
    // Node B has no row for the order's SKU: no location needed, traced as holding nothing.
    let r = request(
        berlin_order(),
        vec![located("A", dec!(50), dec!(10), "DE"), node("B", 1)],
        vec![StockRow::new("A", "SKU", 1), StockRow::new("B", "OTHER", 9)],
    );
    let d = engine(&[Rule::Closest], SplitMode::ByUnit)
        .decide_with(&r, &DecideOptions::traced())
        .unwrap();
    assert_eq!(plan(&d.outcome), vec![p("A", "1", 1)]);
    assert!(d
        .trace
        .unwrap()
        .steps
        .iter()
        .any(|s| s.message == "node B holds nothing for this order"));
}
