//! Expansion benchmarks: `address::expand` on an English line with its country, a
//! French line, a line read in every language, and `expand_root`, beside a hand-written
//! native baseline that knows a dozen English abbreviations and builds every
//! combination of them.
//!
//! Run one case under callgrind for instruction counts:
//! `BACKOFFICE_EXPAND_ONCE=en valgrind --tool=callgrind target/release/deps/expand-*`
//! (`en`, `fr`, `all`, `root` or `native`).
#![allow(missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::address::{expand, expand_root, ExpandOptions};
use criterion::{black_box, criterion_group, Criterion};

const EN_LINE: &str = "30 W 26th St Fl #7";
const FR_LINE: &str = "Quatre-vingt-douze Ave des Champs-Élysées";

/// A dozen English abbreviations, both ways.
const NATIVE: &[(&str, &str)] = &[
    ("st", "street"),
    ("ave", "avenue"),
    ("rd", "road"),
    ("dr", "drive"),
    ("blvd", "boulevard"),
    ("fl", "floor"),
    ("ste", "suite"),
    ("apt", "apartment"),
    ("n", "north"),
    ("s", "south"),
    ("e", "east"),
    ("w", "west"),
    ("#", "number"),
];

/// What a hand-written expander does: lower-case, split, look each word up in a small
/// table, build every combination (at most 32).
fn native_expand(text: &str) -> Vec<String> {
    let mut forms = vec![String::new()];
    for raw in text.split_whitespace() {
        let mut words: Vec<String> = Vec::new();
        let lower = raw.to_lowercase();
        let (hash, rest) = match lower.strip_prefix('#') {
            Some(rest) => (true, rest.to_string()),
            None => (false, lower),
        };
        if hash {
            words.push("#".into());
        }
        if !rest.is_empty() {
            words.push(rest);
        }
        for word in words {
            let mut alternatives = vec![word.clone()];
            for (short, long) in NATIVE {
                if *short == word {
                    alternatives.push(long.to_string());
                } else if *long == word {
                    alternatives.push(short.to_string());
                }
            }
            let mut next = Vec::new();
            for form in &forms {
                for alternative in &alternatives {
                    if next.len() < 32 {
                        let mut f = form.clone();
                        if !f.is_empty() {
                            f.push(' ');
                        }
                        f.push_str(alternative);
                        next.push(f);
                    }
                }
            }
            forms = next;
        }
    }
    forms
}

fn options(country: Option<&str>, languages: &[&str]) -> ExpandOptions {
    ExpandOptions {
        country: country.map(str::to_string),
        languages: languages.iter().map(|l| l.to_string()).collect(),
        ..ExpandOptions::default()
    }
}

fn bench_expand(c: &mut Criterion) {
    let us = options(Some("US"), &[]);
    let fr = options(Some("FR"), &[]);
    let all = options(None, &[]);
    let mut group = c.benchmark_group("address_expand");
    group.bench_function("backoffice_en_line_us", |b| {
        b.iter(|| expand(black_box(EN_LINE), &us))
    });
    group.bench_function("backoffice_fr_line_fr", |b| {
        b.iter(|| expand(black_box(FR_LINE), &fr))
    });
    group.bench_function("backoffice_en_line_all_languages", |b| {
        b.iter(|| expand(black_box(EN_LINE), &all))
    });
    group.bench_function("backoffice_root_en_line_us", |b| {
        b.iter(|| expand_root(black_box(EN_LINE), &us))
    });
    group.bench_function("native_dozen_abbreviations_baseline", |b| {
        b.iter(|| native_expand(black_box(EN_LINE)))
    });
    group.finish();
}

criterion_group!(benches, bench_expand);

fn main() {
    if let Some(case) = std::env::var_os("BACKOFFICE_EXPAND_ONCE") {
        let forms = match case.to_str().unwrap_or("") {
            "en" => expand(EN_LINE, &options(Some("US"), &[])),
            "fr" => expand(FR_LINE, &options(Some("FR"), &[])),
            "all" => expand(EN_LINE, &options(None, &[])),
            "root" => expand_root(EN_LINE, &options(Some("US"), &[])),
            _ => native_expand(EN_LINE),
        };
        println!("{}", forms.len());
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
