//! Routing benchmarks: a 10-line order over 10, 100 and 1,000 nodes with the fewest-splits
//! search, without and with a policy `rank` hook, beside a hand-written native baseline
//! of the same decision (best-ranked single node that holds the whole order).
//!
//! The hook ranks warehouses before stores and then by the configured priority, so the
//! native baseline with the same ranking written in Rust decides the same node.
#![allow(missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::policy::{Policy, PolicyRuntime};
use backoffice::routing::{
    Node, NodeKind, Order, OrderLine, RoutingConfig, RoutingEngine, RoutingRequest, Rule, ShipTo,
    StockRow,
};
use chrono::{TimeZone, Utc};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use std::collections::HashMap;

const LINES: usize = 10;

/// Every fifth node is a distribution centre holding 5–9 of each SKU; the others are
/// stores holding 0–3, so about a fifth of the nodes can ship the whole order.
fn request(nodes: usize) -> RoutingRequest {
    let mut node_list = Vec::with_capacity(nodes);
    let mut stock = Vec::with_capacity(nodes * LINES);
    for i in 0..nodes {
        let dc = i % 5 == 0;
        let id = format!("N{i:04}");
        node_list.push(Node {
            priority: ((i * 37) % 11) as u32,
            ..Node::new(
                id.clone(),
                if dc {
                    NodeKind::Warehouse
                } else {
                    NodeKind::Store
                },
                "DE",
            )
        });
        for s in 0..LINES {
            let spread = (i * 7 + s * 13) % 5;
            let on_hand = if dc { 5 + spread } else { spread % 4 };
            stock.push(StockRow::new(id.clone(), format!("SKU{s}"), on_hand as u32));
        }
    }
    RoutingRequest {
        order: Order {
            id: "bench".into(),
            channel: "web".into(),
            ship_to: ShipTo {
                country: "DE".into(),
                ..ShipTo::default()
            },
            preferred_node: None,
            lines: (0..LINES)
                .map(|s| OrderLine::new(format!("L{s}"), format!("SKU{s}"), (s % 3 + 1) as u32))
                .collect(),
            kits: vec![],
            tags: vec![],
            holder: None,
        },
        nodes: node_list,
        stock,
        now: Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap(),
    }
}

const RANK_POLICY: &str = r#"
fn rank(node, order) {
    let kind_rank = if node.kind == "warehouse" { 0 } else { 100 };
    kind_rank + node.priority
}
"#;

/// The same decision written directly: ATP per (node, SKU), keep the nodes that hold every
/// line, pick the lowest (priority, id); with `by_kind`, warehouses first.
fn native_route(request: &RoutingRequest, by_kind: bool) -> Option<String> {
    let mut atp: HashMap<(&str, &str), u32> = HashMap::with_capacity(request.stock.len());
    for row in &request.stock {
        atp.insert(
            (row.node_id.as_str(), row.sku.as_str()),
            row.on_hand.saturating_sub(row.safety_stock),
        );
    }
    request
        .nodes
        .iter()
        .filter(|n| n.active)
        .filter(|n| {
            request.order.lines.iter().all(|l| {
                atp.get(&(n.id.as_str(), l.sku.as_str()))
                    .copied()
                    .unwrap_or(0)
                    >= l.quantity
            })
        })
        .min_by_key(|n| {
            let kind_rank = if by_kind && n.kind != NodeKind::Warehouse {
                100
            } else {
                0
            };
            (kind_rank + n.priority, n.priority, n.id.clone())
        })
        .map(|n| n.id.clone())
}

fn bench_routing(c: &mut Criterion) {
    let engine = RoutingEngine::new(RoutingConfig {
        chain: vec![Rule::MinimizeSplits, Rule::Priority],
        ..RoutingConfig::default()
    })
    .unwrap();
    let policy = Policy::compile("rank.rhai", RANK_POLICY, &PolicyRuntime::new()).unwrap();
    let hooked = RoutingEngine::new(RoutingConfig {
        chain: vec![Rule::MinimizeSplits, Rule::Policy, Rule::Priority],
        ..RoutingConfig::default()
    })
    .unwrap()
    .with_policy(policy)
    .unwrap();
    let mut group = c.benchmark_group("route_10_lines");
    for nodes in [10usize, 100, 1000] {
        let req = request(nodes);
        // The engine and the baseline agree.
        let decision = engine.decide(&req).unwrap();
        assert_eq!(decision.outcome.shipments().len(), 1);
        assert_eq!(
            Some(decision.outcome.shipments()[0].node_id.clone()),
            native_route(&req, false)
        );
        let decision = hooked.decide(&req).unwrap();
        assert_eq!(decision.outcome.shipments().len(), 1);
        assert_eq!(
            Some(decision.outcome.shipments()[0].node_id.clone()),
            native_route(&req, true)
        );
        group.bench_with_input(BenchmarkId::new("backoffice", nodes), &req, |b, req| {
            b.iter(|| engine.decide(black_box(req)).unwrap())
        });
        group.bench_with_input(
            BenchmarkId::new("backoffice_rank_hook", nodes),
            &req,
            |b, req| b.iter(|| hooked.decide(black_box(req)).unwrap()),
        );
        group.bench_with_input(
            BenchmarkId::new("native_baseline", nodes),
            &req,
            |b, req| b.iter(|| native_route(black_box(req), false)),
        );
        group.bench_with_input(
            BenchmarkId::new("native_baseline_ranked", nodes),
            &req,
            |b, req| b.iter(|| native_route(black_box(req), true)),
        );
    }
    group.finish();
}

criterion_group!(benches, bench_routing);
criterion_main!(benches);
