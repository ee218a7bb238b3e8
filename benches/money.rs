//! Money benchmarks: allocation over 10 weights and an FX conversion, each beside a
//! hand-written native baseline (integer cents / a single multiplication).
#![allow(missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::fx::{Rate, RateTable};
use backoffice::money::{allocate, CurrencyOverrides, RoundingMode};
use backoffice::{Currency, Money};
use chrono::{TimeZone, Utc};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn native_allocate_cents(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i64 = weights.iter().sum();
    let mut shares: Vec<i64> = weights.iter().map(|w| total * w / sum).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse((total * weights[i]) % sum));
    let left = total - shares.iter().sum::<i64>();
    for &i in order.iter().take(left as usize) {
        shares[i] += 1;
    }
    shares
}

fn bench_allocation(c: &mut Criterion) {
    let total = Money::new(dec!(1234.57), Currency::EUR);
    let weights: Vec<Decimal> = (1..=10).map(|i| Decimal::new(i * 1999, 2)).collect();
    let int_weights: Vec<i64> = (1..=10).map(|i| i * 1999).collect();
    let overrides = CurrencyOverrides::new();
    let mut group = c.benchmark_group("allocate_10_weights");
    group.bench_function("backoffice", |b| {
        b.iter(|| allocate(black_box(total), black_box(&weights), &overrides).unwrap())
    });
    group.bench_function("native_i64_baseline", |b| {
        b.iter(|| native_allocate_cents(black_box(123457), black_box(&int_weights)))
    });
    group.finish();
}

fn bench_conversion(c: &mut Criterion) {
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
    let mut table = RateTable::new();
    for day in 1..=28 {
        let as_of = Utc.with_ymd_and_hms(2026, 2, day, 8, 0, 0).unwrap();
        table.insert(Rate::new(Currency::USD, Currency::CAD, dec!(1.35), as_of).unwrap());
        table.insert(Rate::new(Currency::EUR, Currency::USD, dec!(1.08), as_of).unwrap());
    }
    let money = Money::new(dec!(40.00), Currency::USD);
    let mut group = c.benchmark_group("convert");
    group.bench_function("backoffice_direct", |b| {
        b.iter(|| {
            table
                .convert(black_box(money), Currency::CAD, at, RoundingMode::HalfEven)
                .unwrap()
        })
    });
    let pivot = table.clone().with_pivot(Currency::USD);
    let eur = Money::new(dec!(40.00), Currency::EUR);
    group.bench_function("backoffice_triangulated", |b| {
        b.iter(|| {
            pivot
                .convert(black_box(eur), Currency::CAD, at, RoundingMode::HalfEven)
                .unwrap()
        })
    });
    group.bench_function("native_decimal_baseline", |b| {
        b.iter(|| {
            (black_box(dec!(40.00)) * black_box(dec!(1.35)))
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_allocation, bench_conversion);
criterion_main!(benches);
