//! Refunds benchmark: an FX refund of a 10-line order with proration (one unit of each
//! 3-unit line, current rate, merchant absorbs the FX difference), without a policy,
//! beside a hand-written native baseline of the same decision in integer cents, and the
//! same decision with the example policy attached.
#![allow(missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::policy::{Policy, PolicyRuntime};
use backoffice::refunds::{RateSource, RefundRequest, RefundsConfig, RefundsEngine};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde_json::json;

fn request() -> RefundRequest {
    let lines: Vec<_> = (0..10)
        .map(|i| {
            json!({"line_id": format!("L{i}"), "quantity": 3,
                   "amount": {"amount": format!("{}.{:02}", 10 + 7 * i, (13 * i) % 100), "currency": "USD"},
                   "tax": {"amount": format!("{}.{:02}", 1 + i, (29 * i) % 100), "currency": "USD"}})
        })
        .collect();
    serde_json::from_value(json!({
        "order": {
            "order_id": "o-bench", "presentment_currency": "USD", "settlement_currency": "CAD",
            "placed_at": "2026-03-01T10:00:00Z",
            "captures": [{"amount": {"amount": "1000.00", "currency": "USD"},
                          "settled": {"amount": "1350.00", "currency": "CAD"},
                          "rate": "1.35", "captured_at": "2026-03-01T10:00:00Z"}],
            "lines": lines
        },
        "refund": {"idempotency_key": "bench-1",
                   "lines": (0..10).map(|i| json!({"line_id": format!("L{i}"), "quantity": 1})).collect::<Vec<_>>(),
                   "reason": "bench", "method": "original_payment"},
        "rates": {"rates": [{"from": "USD", "to": "CAD", "rate": "1.40", "as_of": "2026-03-09T09:00:00Z"}]},
        "now": "2026-03-09T12:00:00Z"
    }))
    .unwrap()
}

/// The same decision by hand: integer cents, two-way largest remainder per line,
/// conversion at the capture and current rates in basis points, half-even rounding.
struct NativeLine {
    quantity: i64,
    amount: i64,
    tax: i64,
}

fn share(remaining: i64, part: i64, whole: i64) -> i64 {
    if part >= whole {
        return remaining;
    }
    let a = remaining * part;
    let b = remaining * (whole - part);
    let (qa, ra) = (a / whole, a % whole);
    let (qb, rb) = (b / whole, b % whole);
    let left = remaining - qa - qb;
    // the leftover unit goes to the larger remainder, ties to the larger weight, then index 0
    if left > 0 && (ra > rb || (ra == rb && part >= whole - part)) {
        qa + 1
    } else {
        qa
    }
}

fn round_half_even(numerator: i128, denominator: i128) -> i128 {
    let (q, r) = (numerator / denominator, numerator % denominator);
    match (2 * r).cmp(&denominator) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    }
}

fn native(lines: &[NativeLine], capture_bp: i128, current_bp: i128) -> (i64, i64, i64, i64) {
    let mut total = 0;
    for line in lines {
        total += share(line.amount, 1, line.quantity) + share(line.tax, 1, line.quantity);
    }
    let basis = round_half_even(i128::from(total) * capture_bp, 10_000) as i64;
    let settlement = round_half_even(i128::from(total) * current_bp, 10_000) as i64;
    (total, basis, settlement, basis - settlement)
}

fn bench_refund(c: &mut Criterion) {
    let engine = RefundsEngine::new(RefundsConfig {
        rate_source: RateSource::Current,
        ..RefundsConfig::default()
    })
    .unwrap();
    let request = request();
    let plan = engine.decide(&request).unwrap().outcome.plan;
    let native_lines: Vec<NativeLine> = request
        .order
        .lines
        .iter()
        .map(|l| NativeLine {
            quantity: l.quantity,
            amount: l.amount.to_minor(backoffice::RoundingMode::Down).unwrap(),
            tax: l.tax.to_minor(backoffice::RoundingMode::Down).unwrap(),
        })
        .collect();
    let (total, basis, settlement, gain_loss) = native(&native_lines, 13_500, 14_000);
    assert_eq!(
        plan.presentment_amount
            .to_minor(backoffice::RoundingMode::Down)
            .unwrap(),
        total
    );
    assert_eq!(
        plan.fx
            .basis
            .to_minor(backoffice::RoundingMode::Down)
            .unwrap(),
        basis
    );
    assert_eq!(
        plan.fx
            .settlement_amount
            .to_minor(backoffice::RoundingMode::Down)
            .unwrap(),
        settlement
    );
    assert_eq!(
        plan.fx
            .gain_loss
            .to_minor(backoffice::RoundingMode::Down)
            .unwrap(),
        gain_loss
    );

    let mut group = c.benchmark_group("refund_10_lines_fx_proration");
    group.bench_function("backoffice_no_policy", |b| {
        b.iter(|| engine.decide(black_box(&request)).unwrap())
    });
    // The same decision with examples/policies/refunds.rhai attached (a US customer:
    // `refund_currency` returns (), `remainder_absorbed_by` returns "merchant").
    let source = include_str!("../examples/policies/refunds.rhai");
    let policy = Policy::compile("refunds.rhai", source, &PolicyRuntime::new()).unwrap();
    let with_policy = RefundsEngine::new(RefundsConfig {
        rate_source: RateSource::Current,
        ..RefundsConfig::default()
    })
    .unwrap()
    .with_policy(policy)
    .unwrap();
    assert_eq!(
        with_policy.decide(&request).unwrap().outcome.plan.fx,
        plan.fx
    );
    group.bench_function("backoffice_example_policy", |b| {
        b.iter(|| with_policy.decide(black_box(&request)).unwrap())
    });
    group.bench_function("native_i64_baseline", |b| {
        b.iter(|| {
            native(
                black_box(&native_lines),
                black_box(13_500),
                black_box(14_000),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_refund);
criterion_main!(benches);
