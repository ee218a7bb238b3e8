//! Fuzz target `routing`: structured orders, nodes and stock (`arbitrary`) → decide.
//! Asserts: no panic; a routed plan never takes more than ATP from a node's stock nor more
//! than its backorder allowance; reservations equal the units taken; every line is
//! covered exactly; never more shipments than `max_shipments`; inactive nodes never ship.
#![no_main]

use arbitrary::Arbitrary;
use backoffice::routing::{
    available_to_promise, BackorderAllowance, KitComponent, KitLine, Node, NodeKind, OrderLine,
    Reservation, RoutingConfig, RoutingEngine, RoutingOutcome, RoutingRequest, Rule, SplitMode,
    StockRow,
};
use chrono::{DateTime, TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

#[derive(Debug, Arbitrary)]
struct FuzzNode {
    kind: u8,
    country: u8,
    priority: u8,
    active: bool,
    capacity: Option<u8>,
    orders_today: u8,
}

#[derive(Debug, Arbitrary)]
struct FuzzRow {
    node: u8,
    sku: u8,
    on_hand: u16,
    safety_stock: u8,
    reservations: Vec<(u8, bool, Option<i8>)>,
    backorder: u8,
}

#[derive(Debug, Arbitrary)]
struct Input {
    nodes: Vec<FuzzNode>,
    rows: Vec<FuzzRow>,
    lines: Vec<(u8, u16)>,
    kit: Option<(u8, Vec<(u8, u8)>)>,
    chain: Vec<u8>,
    split_mode: u8,
    max_shipments: u8,
    country: u8,
    preferred: Option<u8>,
}

const SKUS: [&str; 4] = ["S0", "S1", "S2", "S3"];
const COUNTRIES: [&str; 3] = ["FR", "DE", "US"];
const HOLDER: &str = "o-fuzz";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

fn pick<'a>(items: &[&'a str], i: u8) -> &'a str {
    items[usize::from(i) % items.len()]
}

fuzz_target!(|input: Input| {
    let nodes: Vec<Node> = input
        .nodes
        .iter()
        .take(8)
        .enumerate()
        .map(|(i, n)| Node {
            priority: u32::from(n.priority),
            active: n.active,
            daily_capacity: n.capacity.map(u32::from),
            orders_today: u32::from(n.orders_today),
            ..Node::new(
                format!("N{i}"),
                if n.kind % 2 == 0 {
                    NodeKind::Warehouse
                } else {
                    NodeKind::Store
                },
                pick(&COUNTRIES, n.country),
            )
        })
        .collect();
    if nodes.is_empty() {
        return;
    }
    let mut stock: Vec<StockRow> = Vec::new();
    for r in input.rows.iter().take(24) {
        let node = format!("N{}", usize::from(r.node) % nodes.len());
        let sku = pick(&SKUS, r.sku);
        if stock.iter().any(|s| s.node_id == node && s.sku == sku) {
            continue;
        }
        stock.push(StockRow {
            safety_stock: u32::from(r.safety_stock),
            reservations: r
                .reservations
                .iter()
                .take(4)
                .map(|(q, mine, hours)| Reservation {
                    quantity: u32::from(*q),
                    holder: if *mine { HOLDER.into() } else { "other".into() },
                    expires_at: hours.map(|h| now() + chrono::Duration::hours(i64::from(h))),
                })
                .collect(),
            backorder: match r.backorder % 4 {
                0 | 1 => BackorderAllowance::None,
                2 => BackorderAllowance::UpTo(u32::from(r.backorder / 4)),
                _ => BackorderAllowance::Unlimited,
            },
            ..StockRow::new(node, sku, u32::from(r.on_hand))
        });
    }
    let lines: Vec<OrderLine> = input
        .lines
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, (sku, q))| OrderLine::new(format!("L{i}"), pick(&SKUS, *sku), u32::from(*q)))
        .collect();
    let kits: Vec<KitLine> = input
        .kit
        .iter()
        .map(|(q, parts)| KitLine {
            line_id: "K".into(),
            sku: "KIT".into(),
            quantity: u32::from(*q),
            components: parts
                .iter()
                .take(3)
                .map(|(s, q)| KitComponent {
                    sku: pick(&SKUS, *s).into(),
                    quantity: u32::from(*q),
                })
                .collect(),
            tags: Vec::new(),
        })
        .collect();
    let rules = [
        Rule::MinimizeSplits,
        Rule::StayInMarket,
        Rule::Priority,
        Rule::MostStock,
        Rule::Closest,
        Rule::LowestCost,
        Rule::PreferredNode,
    ];
    let mut chain: Vec<Rule> = Vec::new();
    for c in input.chain.iter().take(6) {
        let rule = rules[usize::from(*c) % rules.len()];
        if !chain.contains(&rule) {
            chain.push(rule);
        }
    }
    let config = RoutingConfig {
        chain,
        split_mode: [SplitMode::ByUnit, SplitMode::ByLine, SplitMode::WholeOrder]
            [usize::from(input.split_mode % 3)],
        max_shipments: u32::from(input.max_shipments % 6),
        search_budget: 20_000,
        ..RoutingConfig::default()
    };
    let Ok(engine) = RoutingEngine::new(config.clone()) else {
        return;
    };
    let mut order_json = serde_json::json!({
        "id": "o-fuzz", "channel": "web", "ship_to": {"country": pick(&COUNTRIES, input.country)},
        "lines": lines, "kits": kits, "holder": HOLDER,
    });
    if let Some(p) = input.preferred {
        order_json["preferred_node"] =
            serde_json::json!(format!("N{}", usize::from(p) % nodes.len()));
    }
    let Ok(order) = serde_json::from_value(order_json) else {
        return;
    };
    let request = RoutingRequest {
        order,
        nodes,
        stock,
        now: now(),
    };
    let Ok(decision) = engine.decide(&request) else {
        return;
    };
    let RoutingOutcome::Routed {
        shipments,
        reservations,
        ..
    } = &decision.outcome
    else {
        return;
    };
    assert!(shipments.len() as u32 <= config.max_shipments.max(1));
    if config.split_mode == SplitMode::WholeOrder {
        assert!(shipments.len() <= 1);
    }
    let mut taken: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut backordered: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut covered: BTreeMap<&str, u64> = BTreeMap::new();
    for s in shipments {
        let node = request.nodes.iter().find(|n| n.id == s.node_id).unwrap();
        assert!(node.active, "inactive node {} ships", node.id);
        for l in &s.lines {
            *covered.entry(&l.line_id).or_default() += l.quantity + l.backordered;
            let parts: Vec<(&str, u64)> =
                match request.order.kits.iter().find(|k| k.line_id == l.line_id) {
                    Some(kit) => kit
                        .components
                        .iter()
                        .map(|k| (k.sku.as_str(), u64::from(k.quantity)))
                        .collect(),
                    None => vec![(l.sku.as_str(), 1)],
                };
            for (sku, per) in parts {
                *taken.entry((&s.node_id, sku)).or_default() += l.quantity * per;
                *backordered.entry((&s.node_id, sku)).or_default() += l.backordered * per;
            }
        }
    }
    for ((node, sku), units) in &taken {
        let row = request
            .stock
            .iter()
            .find(|r| r.node_id == *node && r.sku == *sku);
        let atp = row.map_or(0, |r| available_to_promise(r, HOLDER, now()));
        assert!(*units <= atp, "{node}/{sku}: {units} > ATP {atp}");
        let held = reservations
            .iter()
            .find(|r| r.node_id == *node && r.sku == *sku)
            .map_or(0, |r| r.quantity);
        assert_eq!(u64::from(held), *units);
    }
    for ((node, sku), units) in &backordered {
        let row = request
            .stock
            .iter()
            .find(|r| r.node_id == *node && r.sku == *sku);
        let allowance = row.map_or(0, |r| r.backorder.units());
        assert!(
            *units <= allowance,
            "{node}/{sku}: backordered {units} > {allowance}"
        );
    }
    for line in &request.order.lines {
        assert_eq!(
            covered.get(line.line_id.as_str()).copied(),
            Some(u64::from(line.quantity))
        );
    }
    for kit in &request.order.kits {
        assert_eq!(
            covered.get(kit.line_id.as_str()).copied(),
            Some(u64::from(kit.quantity))
        );
    }
});
