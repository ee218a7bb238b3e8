#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Routing invariants as property tests.

use backoffice::routing::{
    available_to_promise, BackorderAllowance, KitComponent, KitLine, Node, NodeKind, Order,
    OrderLine, Reservation, RoutingConfig, RoutingEngine, RoutingOutcome, RoutingRequest, Rule,
    ShipTo, SplitMode, StockRow,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

const SKUS: [&str; 3] = ["S0", "S1", "S2"];

fn reservation() -> impl Strategy<Value = Reservation> {
    (
        0u32..4,
        prop::sample::select(vec!["order-1", "other"]),
        prop::option::of(-2i64..3),
    )
        .prop_map(|(quantity, holder, hours)| Reservation {
            quantity,
            holder: holder.to_string(),
            expires_at: hours.map(|h| now() + Duration::hours(h)),
        })
}

fn allowance() -> impl Strategy<Value = BackorderAllowance> {
    prop_oneof![
        4 => Just(BackorderAllowance::None),
        1 => (0u32..4).prop_map(BackorderAllowance::UpTo),
        1 => Just(BackorderAllowance::Unlimited),
    ]
}

fn stock_row(node: usize, sku: usize) -> impl Strategy<Value = Option<StockRow>> {
    prop::option::weighted(
        0.8,
        (
            0u32..8,
            0u32..3,
            prop::collection::vec(reservation(), 0..3),
            allowance(),
        )
            .prop_map(
                move |(on_hand, safety_stock, reservations, backorder)| StockRow {
                    safety_stock,
                    reservations,
                    backorder,
                    ..StockRow::new(format!("N{node}"), SKUS[sku], on_hand)
                },
            ),
    )
}

fn chain() -> impl Strategy<Value = Vec<Rule>> {
    prop::sample::subsequence(
        vec![
            Rule::MinimizeSplits,
            Rule::StayInMarket,
            Rule::Priority,
            Rule::MostStock,
        ],
        0..=4,
    )
    .prop_shuffle()
}

fn mode() -> impl Strategy<Value = SplitMode> {
    prop::sample::select(vec![
        SplitMode::ByUnit,
        SplitMode::ByLine,
        SplitMode::WholeOrder,
    ])
}

#[derive(Debug, Clone)]
struct Case {
    config: RoutingConfig,
    request: RoutingRequest,
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..5)
        .prop_flat_map(|nodes| {
            let rows: Vec<_> = (0..nodes)
                .flat_map(|n| (0..SKUS.len()).map(move |s| stock_row(n, s)))
                .collect();
            (
                prop::collection::vec((0u32..3, prop::bool::weighted(0.8), prop::bool::ANY), nodes),
                rows,
                prop::collection::vec((0..SKUS.len(), 1u32..6), 1..4),
                prop::option::of((
                    1u32..3,
                    prop::collection::vec((0..SKUS.len(), 1u32..3), 1..3),
                )),
                chain(),
                mode(),
                1u32..4,
            )
        })
        .prop_map(
            |(node_specs, rows, lines, kit, chain, split_mode, max_shipments)| {
                let nodes = node_specs
                    .iter()
                    .enumerate()
                    .map(|(i, (priority, active, domestic))| Node {
                        priority: *priority,
                        active: *active,
                        ..Node::new(
                            format!("N{i}"),
                            NodeKind::Warehouse,
                            if *domestic { "DE" } else { "FR" },
                        )
                    })
                    .collect();
                let kits = kit
                    .map(|(quantity, parts)| {
                        let mut components: BTreeMap<&str, u32> = BTreeMap::new();
                        for (s, q) in parts {
                            *components.entry(SKUS[s]).or_insert(0) += q;
                        }
                        vec![KitLine {
                            line_id: "K".into(),
                            sku: "KIT".into(),
                            quantity,
                            components: components
                                .into_iter()
                                .map(|(sku, quantity)| KitComponent {
                                    sku: sku.into(),
                                    quantity,
                                })
                                .collect(),
                            tags: vec![],
                        }]
                    })
                    .unwrap_or_default();
                Case {
                    config: RoutingConfig {
                        chain,
                        split_mode,
                        max_shipments,
                        ..RoutingConfig::default()
                    },
                    request: RoutingRequest {
                        order: Order {
                            id: "order-1".into(),
                            channel: "web".into(),
                            ship_to: ShipTo {
                                country: "DE".into(),
                                ..ShipTo::default()
                            },
                            preferred_node: None,
                            lines: lines
                                .into_iter()
                                .enumerate()
                                .map(|(i, (s, q))| OrderLine::new(format!("L{i}"), SKUS[s], q))
                                .collect(),
                            kits,
                            tags: vec![],
                            holder: None,
                        },
                        nodes,
                        stock: rows.into_iter().flatten().collect(),
                        now: now(),
                    },
                }
            },
        )
}

/// Fisher–Yates with a small LCG, so a proptest seed drives the permutation.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (seed >> 33) as usize % (i + 1);
        items.swap(i, j);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn never_more_than_atp_plus_backorder_and_every_line_covered_exactly(c in case()) {
        let engine = RoutingEngine::new(c.config.clone()).unwrap();
        let decision = engine.decide(&c.request).unwrap();
        let request = &c.request;
        match &decision.outcome {
            RoutingOutcome::Routed { shipments, reservations, .. } => {
                prop_assert!(shipments.len() as u32 <= c.config.max_shipments);
                if c.config.split_mode == SplitMode::WholeOrder {
                    prop_assert!(shipments.len() <= 1);
                }
                // Units drawn per (node, sku), from stock and by backorder.
                let mut stock_units: BTreeMap<(String, String), u64> = BTreeMap::new();
                let mut backorder_units: BTreeMap<(String, String), u64> = BTreeMap::new();
                let mut covered: BTreeMap<String, u64> = BTreeMap::new();
                let mut nodes_per_line: BTreeMap<String, usize> = BTreeMap::new();
                for s in shipments {
                    let node = request.nodes.iter().find(|n| n.id == s.node_id).unwrap();
                    prop_assert!(node.active);
                    for l in &s.lines {
                        *covered.entry(l.line_id.clone()).or_default() += l.quantity + l.backordered;
                        *nodes_per_line.entry(l.line_id.clone()).or_default() += 1;
                        let parts: Vec<(String, u64)> = match request.order.kits.iter().find(|k| k.line_id == l.line_id) {
                            Some(kit) => kit.components.iter().map(|k| (k.sku.clone(), u64::from(k.quantity))).collect(),
                            None => vec![(l.sku.clone(), 1)],
                        };
                        for (sku, per) in parts {
                            *stock_units.entry((s.node_id.clone(), sku.clone())).or_default() += l.quantity * per;
                            *backorder_units.entry((s.node_id.clone(), sku)).or_default() += l.backordered * per;
                        }
                    }
                }
                for ((node, sku), units) in &stock_units {
                    let atp = request
                        .stock
                        .iter()
                        .find(|r| &r.node_id == node && &r.sku == sku)
                        .map_or(0, |r| available_to_promise(r, "order-1", now()));
                    prop_assert!(*units <= atp, "{node}/{sku}: {units} > ATP {atp}");
                    let held = reservations
                        .iter()
                        .find(|r| &r.node_id == node && &r.sku == sku)
                        .map_or(0, |r| r.quantity);
                    prop_assert_eq!(held, *units);
                }
                for ((node, sku), units) in &backorder_units {
                    let allowance = request
                        .stock
                        .iter()
                        .find(|r| &r.node_id == node && &r.sku == sku)
                        .map_or(0, |r| r.backorder.units());
                    prop_assert!(*units <= allowance, "{node}/{sku}: backordered {units} > {allowance}");
                }
                for line in &request.order.lines {
                    prop_assert_eq!(covered.get(&line.line_id).copied(), Some(u64::from(line.quantity)));
                    if c.config.split_mode != SplitMode::ByUnit {
                        prop_assert_eq!(nodes_per_line.get(&line.line_id).copied(), Some(1));
                    }
                }
                for kit in &request.order.kits {
                    prop_assert_eq!(covered.get(&kit.line_id).copied(), Some(u64::from(kit.quantity)));
                }
                prop_assert_eq!(covered.len(), request.order.lines.len() + request.order.kits.len());
            }
            RoutingOutcome::Unfillable { short_lines } => {
                prop_assert!(!short_lines.is_empty());
                prop_assert!(decision.has_reason("unfillable"));
            }
        }
    }

    #[test]
    fn shuffling_the_input_never_changes_the_plan(c in case(), seed in any::<u64>()) {
        let engine = RoutingEngine::new(c.config.clone()).unwrap();
        let first = engine.decide(&c.request).unwrap();
        let mut shuffled = c.request.clone();
        shuffle(&mut shuffled.nodes, seed);
        shuffle(&mut shuffled.stock, seed.rotate_left(17));
        shuffle(&mut shuffled.order.lines, seed.rotate_left(31));
        for row in &mut shuffled.stock {
            shuffle(&mut row.reservations, seed);
        }
        let second = engine.decide(&shuffled).unwrap();
        prop_assert_eq!(
            serde_json::to_string(&first).unwrap(),
            serde_json::to_string(&second).unwrap()
        );
    }
}

#[derive(Debug, Clone)]
struct SmallCase {
    mode: SplitMode,
    /// atp[node][line]
    atp: Vec<Vec<u32>>,
    demand: Vec<u32>,
}

fn small_case() -> impl Strategy<Value = SmallCase> {
    (
        2usize..5,
        1usize..3,
        prop::sample::select(vec![SplitMode::ByUnit, SplitMode::ByLine]),
    )
        .prop_flat_map(|(nodes, lines, mode)| {
            (
                prop::collection::vec(prop::collection::vec(0u32..5, lines), nodes),
                prop::collection::vec(1u32..6, lines),
                Just(mode),
            )
        })
        .prop_map(|(atp, demand, mode)| SmallCase { mode, atp, demand })
}

/// The fewest nodes any plan needs, found by trying every assignment of units to nodes.
fn brute_force_min_shipments(c: &SmallCase) -> Option<usize> {
    let nodes = c.atp.len();
    // Every way to ship each line: per node how many units.
    fn splits(
        line: usize,
        c: &SmallCase,
        node: usize,
        left: u32,
        acc: &mut Vec<u32>,
        out: &mut Vec<Vec<u32>>,
    ) {
        let nodes = c.atp.len();
        if node == nodes {
            if left == 0 {
                out.push(acc.clone());
            }
            return;
        }
        for q in 0..=left.min(c.atp[node][line]) {
            acc.push(q);
            splits(line, c, node + 1, left - q, acc, out);
            acc.pop();
        }
    }
    let options: Vec<Vec<Vec<u32>>> = (0..c.demand.len())
        .map(|line| {
            let mut out = Vec::new();
            splits(line, c, 0, c.demand[line], &mut Vec::new(), &mut out);
            if c.mode == SplitMode::ByLine {
                out.retain(|v| v.iter().filter(|q| **q > 0).count() == 1);
            }
            out
        })
        .collect();
    let mut best: Option<usize> = None;
    fn walk(options: &[Vec<Vec<u32>>], i: usize, used: &mut Vec<bool>, best: &mut Option<usize>) {
        if i == options.len() {
            let n = used.iter().filter(|u| **u).count();
            if best.is_none_or(|b| n < b) {
                *best = Some(n);
            }
            return;
        }
        for option in &options[i] {
            let before = used.clone();
            for (node, q) in option.iter().enumerate() {
                if *q > 0 {
                    used[node] = true;
                }
            }
            walk(options, i + 1, used, best);
            *used = before;
        }
    }
    walk(&options, 0, &mut vec![false; nodes], &mut best);
    best
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn minimize_splits_is_never_worse_than_brute_force(c in small_case()) {
        let nodes: Vec<Node> = (0..c.atp.len())
            .map(|i| Node { priority: (i as u32 * 7) % 3, ..Node::new(format!("N{i}"), NodeKind::Store, "DE") })
            .collect();
        let mut stock = Vec::new();
        for (n, row) in c.atp.iter().enumerate() {
            for (l, q) in row.iter().enumerate() {
                stock.push(StockRow::new(format!("N{n}"), format!("SKU{l}"), *q));
            }
        }
        let request = RoutingRequest {
            order: Order {
                id: "o".into(),
                channel: "web".into(),
                ship_to: ShipTo { country: "DE".into(), ..ShipTo::default() },
                preferred_node: None,
                lines: c.demand.iter().enumerate().map(|(l, q)| OrderLine::new(format!("L{l}"), format!("SKU{l}"), *q)).collect(),
                kits: vec![],
                tags: vec![],
                holder: None,
            },
            nodes,
            stock,
            now: now(),
        };
        let engine = RoutingEngine::new(RoutingConfig {
            chain: vec![Rule::MinimizeSplits, Rule::Priority],
            split_mode: c.mode,
            max_shipments: c.atp.len() as u32,
            search_budget: 1_000_000,
            ..RoutingConfig::default()
        }).unwrap();
        let decision = engine.decide(&request).unwrap();
        match brute_force_min_shipments(&c) {
            Some(best) => prop_assert_eq!(decision.outcome.shipments().len(), best),
            None => prop_assert!(!decision.outcome.is_routed()),
        }
    }
}
