//! Address benchmarks: normalise + validate one address, the match key alone, and the
//! first call of a process (including lazy table and pattern initialisation), each beside
//! a hand-written native baseline where one makes sense.
//!
//! The first-call bench re-runs this binary with `BACKOFFICE_ADDRESS_COLD=1`: the child
//! times its very first `decide` with `Instant` and prints the nanoseconds.
#![allow(missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::address::{self, Address, AddressConfig, AddressEngine, AddressRequest};
use criterion::{black_box, criterion_group, Criterion};
use std::time::{Duration, Instant};

fn sample() -> AddressRequest {
    AddressRequest::new(Address {
        country: "US".into(),
        address_lines: vec!["1600 Amphitheatre Parkway".into(), "Ste 200".into()],
        locality: "Mountain View".into(),
        administrative_area: "California".into(),
        postal_code: "94043".into(),
        recipient: "Jane Doe".into(),
        ..Address::default()
    })
}

const STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY",
];

/// What a hand-written US-only check does: upper-case, abbreviate a few suffixes, look
/// the state up in a list, check the ZIP's shape.
fn native_us(address: &Address) -> (Vec<String>, Vec<&'static str>) {
    let mut problems = Vec::new();
    let lines: Vec<String> = address
        .address_lines
        .iter()
        .map(|l| {
            l.split_whitespace()
                .map(|w| match w.to_ascii_uppercase().as_str() {
                    "PARKWAY" => "PKWY".to_string(),
                    "STREET" => "ST".to_string(),
                    "AVENUE" => "AVE".to_string(),
                    "SUITE" => "STE".to_string(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let state = match address.administrative_area.to_ascii_uppercase().as_str() {
        "CALIFORNIA" => "CA".to_string(),
        other => other.to_string(),
    };
    if !STATES.contains(&state.as_str()) {
        problems.push("unknown_value");
    }
    let zip = address.postal_code.as_bytes();
    let ok = (zip.len() == 5 || (zip.len() == 10 && zip[5] == b'-'))
        && zip
            .iter()
            .enumerate()
            .all(|(i, b)| i == 5 || b.is_ascii_digit());
    if !ok {
        problems.push("invalid_format");
    }
    if !zip.starts_with(b"9") {
        problems.push("mismatching_value");
    }
    (lines, problems)
}

fn native_key(address: &Address) -> String {
    let mut out = String::new();
    for field in [&address.postal_code, &address.locality]
        .into_iter()
        .chain(address.address_lines.iter())
    {
        for c in field.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if c == ' ' {
                out.push(' ');
            }
        }
        out.push('|');
    }
    out
}

fn bench_decide(c: &mut Criterion) {
    let engine = AddressEngine::new(AddressConfig::default()).unwrap();
    let request = sample();
    engine.decide(&request).unwrap();
    let mut group = c.benchmark_group("address_normalize_validate");
    group.bench_function("backoffice_engine_decide_full_outcome", |b| {
        b.iter(|| engine.decide(black_box(&request)).unwrap())
    });
    let config = AddressConfig::default();
    group.bench_function("backoffice_normalize_and_validate", |b| {
        b.iter(|| address::normalize_and_validate(black_box(&request.address), &config).unwrap())
    });
    group.bench_function("native_us_only_baseline", |b| {
        b.iter(|| native_us(black_box(&request.address)))
    });
    group.finish();

    let mut group = c.benchmark_group("address_match_key");
    group.bench_function("backoffice", |b| {
        b.iter(|| address::match_key(black_box(&request.address)).unwrap())
    });
    group.bench_function("native_ascii_baseline", |b| {
        b.iter(|| native_key(black_box(&request.address)))
    });
    group.finish();
}

fn cold_call_in_child() -> Duration {
    let exe = std::env::current_exe().unwrap();
    let output = std::process::Command::new(exe)
        .env("BACKOFFICE_ADDRESS_COLD", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let nanos: u64 = text
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("child said {text:?}"));
    Duration::from_nanos(nanos)
}

fn bench_first_call(c: &mut Criterion) {
    let mut group = c.benchmark_group("address_first_call");
    group.sample_size(10);
    group.bench_function("backoffice_cold_process", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| cold_call_in_child()).sum())
    });
    group.finish();
}

criterion_group!(benches, bench_decide, bench_first_call);

fn main() {
    if std::env::var_os("BACKOFFICE_ADDRESS_COLD").is_some() {
        let engine = AddressEngine::new(AddressConfig::default()).unwrap();
        let request = sample();
        let start = Instant::now();
        let decision = engine.decide(&request).unwrap();
        let elapsed = start.elapsed();
        assert!(decision.outcome.valid);
        println!("{}", elapsed.as_nanos());
        return;
    }
    let start = Instant::now();
    let patterns = address::preload();
    eprintln!(
        "address: compiling all {patterns} postal patterns eagerly took {:?}",
        start.elapsed()
    );
    benches();
    Criterion::default().configure_from_args().final_summary();
}
