//! Returns benchmark: a 3-item request decided with the example policy
//! (`examples/policies/returns.rhai`: eligibility, window, settlement and fraud hooks),
//! beside the same engine without a policy and a hand-written native version of the
//! same decision (window check with loyalty windows, opened-cosmetics rule, fraud score
//! with the policy's extra signal, refund amount by largest remainder in integer cents).
//! Budget: ≤ 5 µs median with the policy.
#![allow(missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::policy::{DecideOptions, Policy, PolicyRuntime};
use backoffice::returns::{ReturnRequest, ReturnsConfig, ReturnsEngine};
use chrono::{DateTime, Utc};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn request() -> ReturnRequest {
    serde_json::from_value(serde_json::json!({
        "order": {
            "order_id": "SO-1", "currency": "EUR", "customer_id": "cust-1", "payment_method": "card",
            "placed_at": "2025-02-24T18:12:00Z", "delivered_at": "2025-02-28T13:40:00Z", "ship_to_country": "DE",
            "order_discount": {"amount": "10.00", "currency": "EUR"},
            "lines": [
                {"line_id": "1", "sku": "DRESS-S", "product_id": "DRESS", "category": "apparel", "quantity": 1,
                 "unit_price": {"amount": "129.00", "currency": "EUR"}, "attributes": {"size": "S"}},
                {"line_id": "2", "sku": "BOOT-42", "category": "shoes", "quantity": 3,
                 "unit_price": {"amount": "100.00", "currency": "EUR"}, "tax": {"amount": "57.00", "currency": "EUR"}},
                {"line_id": "3", "sku": "LIPSTICK-07", "category": "cosmetics", "quantity": 2,
                 "unit_price": {"amount": "24.00", "currency": "EUR"}}
            ]
        },
        "items": [
            {"line_id": "1", "quantity": 1, "reason": "changed_mind", "condition": "new"},
            {"line_id": "2", "quantity": 2, "reason": "size_too_small", "condition": "new"},
            {"line_id": "3", "quantity": 1, "reason": "changed_mind", "condition": "opened"}
        ],
        "customer": {"account_age_days": 400, "loyalty_tier": "gold", "orders_365d": 12, "returns_365d": 3},
        "now": "2025-03-20T09:00:00Z"
    }))
    .unwrap()
}

/// The same decision written by hand: what a merchant would code without the engine.
struct NativeLine {
    unit_cents: i64,
    quantity: i64,
    tax_cents: i64,
    category: &'static str,
}

struct NativeItem {
    line: usize,
    quantity: i64,
    opened: bool,
    changed_mind: bool,
}

fn native_decide(
    lines: &[NativeLine],
    items: &[NativeItem],
    order_discount: i64,
    delivered: DateTime<Utc>,
    now: DateTime<Utc>,
    gold: bool,
    account_age_days: i64,
) -> (i64, i64, [bool; 3]) {
    let days = (now.date_naive() - delivered.date_naive()).num_days();
    let window = if gold { 60 } else { 30 };
    let nets: Vec<i64> = lines.iter().map(|l| l.unit_cents * l.quantity).collect();
    let total_net: i64 = nets.iter().sum();
    // Order discount by largest remainder over line values.
    let mut shares: Vec<i64> = nets
        .iter()
        .map(|n| order_discount * n / total_net)
        .collect();
    let mut order: Vec<usize> = (0..nets.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse((order_discount * nets[i]) % total_net));
    let left = order_discount - shares.iter().sum::<i64>();
    for &i in order.iter().take(left as usize) {
        shares[i] += 1;
    }
    let mut refund = 0;
    let mut accepted = [false; 3];
    let mut score = 0;
    for (k, item) in items.iter().enumerate() {
        let line = &lines[item.line];
        let ok = days <= window && !(line.category == "cosmetics" && item.opened);
        accepted[k] = ok;
        if !ok {
            continue;
        }
        let paid = nets[item.line] - shares[item.line] + line.tax_cents;
        let base = paid / line.quantity;
        let extra = paid % line.quantity;
        refund += base * item.quantity + extra.min(item.quantity);
        if item.changed_mind && line.unit_cents >= 25_000 {
            score += 15;
        }
    }
    if account_age_days < 30 {
        score += 10;
    }
    (refund, score.clamp(0, 100), accepted)
}

fn bench(c: &mut Criterion) {
    let request = request();
    let config: ReturnsConfig =
        serde_json::from_value(serde_json::json!({"validators": {"hygiene": "off"}})).unwrap();
    let plain = ReturnsEngine::new(config.clone()).unwrap();
    let policy = Policy::compile(
        "returns.rhai",
        include_str!("../examples/policies/returns.rhai"),
        &PolicyRuntime::new(),
    )
    .unwrap();
    let with_policy = ReturnsEngine::new(config.clone())
        .unwrap()
        .with_policy(policy)
        .unwrap();
    // The same policy on a runtime that forces the interpreter.
    let interpreted = ReturnsEngine::new(config)
        .unwrap()
        .with_policy(
            Policy::compile(
                "returns.rhai",
                include_str!("../examples/policies/returns.rhai"),
                &PolicyRuntime::new().interpreted(),
            )
            .unwrap(),
        )
        .unwrap();
    let options = DecideOptions::default();

    // Both engines agree with the hand-written version on the amounts.
    let decided = with_policy.decide_with(&request, &options).unwrap();
    let lines = [
        NativeLine {
            unit_cents: 12_900,
            quantity: 1,
            tax_cents: 0,
            category: "apparel",
        },
        NativeLine {
            unit_cents: 10_000,
            quantity: 3,
            tax_cents: 5_700,
            category: "shoes",
        },
        NativeLine {
            unit_cents: 2_400,
            quantity: 2,
            tax_cents: 0,
            category: "cosmetics",
        },
    ];
    let items = [
        NativeItem {
            line: 0,
            quantity: 1,
            opened: false,
            changed_mind: true,
        },
        NativeItem {
            line: 1,
            quantity: 2,
            opened: false,
            changed_mind: false,
        },
        NativeItem {
            line: 2,
            quantity: 1,
            opened: true,
            changed_mind: true,
        },
    ];
    let delivered: DateTime<Utc> = "2025-02-28T13:40:00Z".parse().unwrap();
    let now: DateTime<Utc> = "2025-03-20T09:00:00Z".parse().unwrap();
    let (refund, _score, accepted) =
        native_decide(&lines, &items, 1_000, delivered, now, true, 400);
    assert_eq!(
        decided
            .outcome
            .refund
            .total
            .to_minor(backoffice::RoundingMode::HalfEven)
            .unwrap(),
        refund
    );
    assert_eq!(accepted, [true, true, false]);

    let mut group = c.benchmark_group("returns");
    group.bench_function("3_items_with_policy", |b| {
        b.iter(|| {
            with_policy
                .decide_with(black_box(&request), &options)
                .unwrap()
        })
    });
    group.bench_function("3_items_with_policy_interpreted", |b| {
        b.iter(|| {
            interpreted
                .decide_with(black_box(&request), &options)
                .unwrap()
        })
    });
    group.bench_function("3_items_builtin_only", |b| {
        b.iter(|| plain.decide_with(black_box(&request), &options).unwrap())
    });
    group.bench_function("3_items_native_baseline", |b| {
        b.iter(|| {
            native_decide(
                black_box(&lines),
                black_box(&items),
                1_000,
                delivered,
                now,
                true,
                400,
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
