//! Policy runtime benchmarks, each beside a hand-written native Rust baseline.
//!
//! Run with short times on the shared machine:
//! `cargo bench --bench policy -- --warm-up-time 1 --measurement-time 3`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![allow(missing_docs)]

use backoffice::policy::{bridge, Policy, PolicyRuntime};
use backoffice::{Currency, Money};
use chrono::{DateTime, TimeZone, Utc};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rhai::{Dynamic, Map};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Line {
    sku: String,
    price: Money,
    quantity: u32,
    category: String,
    final_sale: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Order {
    id: String,
    country: String,
    customer_orders: u32,
    express: bool,
    total: Money,
    placed_at: DateTime<Utc>,
    lines: Vec<Line>,
}

fn order() -> Order {
    let eur = |a| Money::new(a, Currency::EUR);
    let lines: Vec<Line> = [
        ("A-1", dec!(19.99), 1, "books", false),
        ("B-2", dec!(249.00), 1, "electronics", false),
        ("C-3", dec!(5.50), 4, "grocery", true),
        ("D-4", dec!(89.90), 2, "apparel", false),
        ("E-5", dec!(310.00), 1, "electronics", true),
    ]
    .into_iter()
    .map(|(sku, price, quantity, category, final_sale)| Line {
        sku: sku.to_string(),
        price: eur(price),
        quantity,
        category: category.to_string(),
        final_sale,
    })
    .collect();
    Order {
        id: "o-1001".to_string(),
        country: "FR".to_string(),
        customer_orders: 0,
        express: true,
        total: eur(dec!(780.19)),
        placed_at: Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap(),
        lines,
    }
}

/// The 10-condition scoring hook (also measured by `examples/policy_cost.rs`).
const SCORING: &str = include_str!("scoring_hook.rhai");

/// The same ten conditions in Rust.
fn native_score(order: &Order) -> Decimal {
    let mut score = Decimal::ZERO;
    if order.total.amount() > dec!(500) {
        score += dec!(20);
    }
    if order.customer_orders == 0 {
        score += dec!(15);
    }
    if order.country != "DE" {
        score += dec!(10);
    }
    if order.express {
        score += dec!(5);
    }
    if order.lines.len() > 4 {
        score += dec!(5);
    }
    for line in &order.lines {
        if line.quantity > 3 {
            score += dec!(5);
        }
        if line.category == "electronics" {
            score += dec!(10);
        }
        if line.final_sale {
            score += dec!(3);
        }
        if line.price.amount() > dec!(200) {
            score += dec!(7);
        }
    }
    if score > dec!(50) {
        score = dec!(50) + (score - dec!(50)) / dec!(2);
    }
    score
}

/// The hot-path conversion: build the maps directly instead of going through serde.
fn order_to_map(order: &Order) -> Dynamic {
    let mut map = Map::new();
    map.insert("id".into(), order.id.clone().into());
    map.insert("country".into(), order.country.clone().into());
    map.insert(
        "customer_orders".into(),
        Dynamic::from_int(i64::from(order.customer_orders)),
    );
    map.insert("express".into(), order.express.into());
    map.insert("total".into(), bridge::money(&order.total));
    map.insert("placed_at".into(), bridge::timestamp(order.placed_at));
    let lines: rhai::Array = order
        .lines
        .iter()
        .map(|line| {
            let mut m = Map::new();
            m.insert("sku".into(), line.sku.clone().into());
            m.insert("price".into(), bridge::money(&line.price));
            m.insert(
                "quantity".into(),
                Dynamic::from_int(i64::from(line.quantity)),
            );
            m.insert("category".into(), line.category.clone().into());
            m.insert("final_sale".into(), line.final_sale.into());
            Dynamic::from_map(m)
        })
        .collect();
    map.insert("lines".into(), Dynamic::from_array(lines));
    Dynamic::from_map(map)
}

/// A 100-line policy: ten hooks of ten lines each.
fn hundred_lines() -> String {
    let mut source = String::new();
    for i in 0..10 {
        source.push_str(&format!(
            "fn hook_{i}(item, request) {{
    let fee = 0;
    if item.price.amount > {i}0 {{ fee += 5; }}
    if item.category == \"c{i}\" && request.days < 30 {{ fee += 2; }}
    if item.opened {{ fee = fee * 15 / 100; }}
    let label = `hook {i}: ${{fee}}`;
    debug(label);
    if fee > 10 {{ return #{{ decision: \"review\", reason: label }}; }}
    #{{ decision: \"accept\", reason: label }}
}}
"
        ));
    }
    assert_eq!(source.lines().count(), 100);
    source
}

/// The configuration-file alternative to a 100-line policy: a table of ten rules read
/// from JSON.
#[derive(Deserialize)]
#[allow(dead_code)]
struct NativeRule {
    min_price: Decimal,
    category: String,
    max_days: u32,
    opened_fee_percent: Decimal,
    review_above: Decimal,
}

fn hundred_lines_json() -> String {
    let rules: Vec<String> = (0..10)
        .map(|i| {
            format!(
                "{{\n  \"min_price\": \"{i}0\",\n  \"category\": \"c{i}\",\n  \"max_days\": 30,\n  \"opened_fee_percent\": \"15\",\n  \"review_above\": \"10\"\n}}"
            )
        })
        .collect();
    format!("[\n{}\n]", rules.join(",\n"))
}

fn benches(c: &mut Criterion) {
    let runtime = PolicyRuntime::new();

    let source = hundred_lines();
    let json = hundred_lines_json();
    let mut group = c.benchmark_group("policy/compile_100_lines");
    group.bench_function("rhai", |b| {
        b.iter(|| Policy::compile("hundred.rhai", black_box(&source), &runtime).unwrap())
    });
    group.bench_function("native_json_rule_table", |b| {
        b.iter(|| serde_json::from_str::<Vec<NativeRule>>(black_box(&json)).unwrap())
    });
    group.finish();

    let empty = Policy::compile("empty.rhai", "fn noop() { () }", &runtime).unwrap();
    let mut group = c.benchmark_group("policy/empty_hook");
    group.bench_function("rhai", |b| b.iter(|| empty.call("noop", ()).unwrap()));
    group.bench_function("native", |b| {
        #[inline(never)]
        fn noop(x: u32) -> Option<u32> {
            black_box(x);
            None
        }
        b.iter(|| noop(black_box(1)))
    });
    group.finish();

    let order = order();
    let scoring = Policy::compile("scoring.rhai", SCORING, &runtime).unwrap();
    let expected = native_score(&order);
    let check = scoring
        .call("fraud_score", (order_to_map(&order),))
        .unwrap();
    assert_eq!(
        bridge::expect_decimal(&check.value, "fraud_score", "d").unwrap(),
        expected
    );
    let mut group = c.benchmark_group("policy/score_10_conditions_5_lines");
    group.bench_function("rhai_with_map_conversion", |b| {
        b.iter(|| {
            let input = order_to_map(black_box(&order));
            let out = scoring.call("fraud_score", (input,)).unwrap();
            bridge::expect_decimal(&out.value, "fraud_score", "a decimal").unwrap()
        })
    });
    group.bench_function("rhai_with_serde_conversion", |b| {
        b.iter(|| {
            let input = bridge::to_dynamic(black_box(&order)).unwrap();
            let out = scoring.call("fraud_score", (input,)).unwrap();
            bridge::expect_decimal(&out.value, "fraud_score", "a decimal").unwrap()
        })
    });
    // The interpreter alone: the order converted once, outside the measured loop, and
    // passed shared and read-only (as engines pass per-decision inputs to repeated hooks).
    let shared = order_to_map(&order).into_read_only().into_shared();
    group.bench_function("rhai_preconverted_input", |b| {
        b.iter(|| {
            let out = scoring
                .call("fraud_score", (black_box(&shared).clone(),))
                .unwrap();
            bridge::expect_decimal(&out.value, "fraud_score", "a decimal").unwrap()
        })
    });
    // The same hook bound (so compiled for the native evaluator at bind), and bound on a
    // runtime forcing the interpreter, with the input converted beforehand.
    let spec = [backoffice::policy::HookSpec {
        name: "fraud_score",
        params: &["order"],
        args: &[],
        returns: "a score",
        doc: "",
    }];
    let compiled = Policy::compile("scoring.rhai", SCORING, &runtime).unwrap();
    compiled.bind("bench", &spec).unwrap();
    assert!(compiled.runs_natively("fraud_score"));
    let forced = Policy::compile("scoring.rhai", SCORING, &runtime.clone().interpreted()).unwrap();
    forced.bind("bench", &spec).unwrap();
    for (name, policy) in [
        ("compiled_preconverted_input", &compiled),
        ("interpreted_preconverted_input", &forced),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let out = policy
                    .call("fraud_score", (black_box(&shared).clone(),))
                    .unwrap();
                bridge::expect_decimal(&out.value, "fraud_score", "a decimal").unwrap()
            })
        });
    }
    assert_eq!(
        compiled.native_calls().1,
        0,
        "the compiled hook handed calls back"
    );
    group.bench_function("native", |b| b.iter(|| native_score(black_box(&order))));
    group.finish();

    // How long a hostile `loop {}` runs before the default operation limit stops it.
    let hostile = Policy::compile("hostile.rhai", "fn h() { loop {} }", &runtime).unwrap();
    let mut group = c.benchmark_group("policy/hostile_loop_to_default_limit");
    group.sample_size(10);
    group.bench_function("rhai", |b| b.iter(|| hostile.call("h", ()).unwrap_err()));
    group.finish();
}

criterion_group!(policy, benches);
criterion_main!(policy);
