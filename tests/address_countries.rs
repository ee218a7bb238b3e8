//! Every country's own postal-code examples validate; mutated examples do not; every
//! subdivision's examples belong to it. The examples and patterns are Google's address
//! metadata (CC BY 4.0), copied to `tests/fixtures/address/google/postal_examples.json`
//! (see the README there) so that this test needs nothing outside the repository.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::address::{codes, normalize, validate, Address};
use serde_json::{Map, Value};
use std::path::PathBuf;

/// Every entry with postal-code examples: `(id, {zip?, zipex})`, sorted by id.
fn google() -> Vec<(String, Map<String, Value>)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/address/google/postal_examples.json");
    let doc: Map<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc.into_iter()
        .map(|(k, v)| (k, v.as_object().unwrap().clone()))
        .collect()
}

fn postal_problems(country: &str, area: &str, postal: &str) -> Vec<String> {
    let a = Address {
        country: country.into(),
        administrative_area: area.into(),
        postal_code: postal.into(),
        ..Address::default()
    };
    validate(&a)
        .unwrap()
        .into_iter()
        .filter(|p| p.field == "postal_code")
        .map(|p| p.code)
        .collect()
}

#[test]
fn all_448_country_examples_validate_and_mutations_fail() {
    let mut checked = 0;
    for (key, entry) in google() {
        if key.contains('/') {
            continue;
        }
        let Some(examples) = entry.get("zipex").and_then(Value::as_str) else {
            continue;
        };
        let country = &key[..2];
        let pattern = entry["zip"].as_str().unwrap();
        let reference = regex::Regex::new(&format!("^(?:{pattern})$")).unwrap();
        for example in examples.split(',') {
            assert!(reference.is_match(example), "{key} {example}");
            assert_eq!(
                postal_problems(country, "", example),
                Vec::<String>::new(),
                "{key} example {example}"
            );
            // The canonical spelling is valid too, and stable.
            let canonical = normalize(&Address {
                country: country.into(),
                postal_code: example.into(),
                ..Address::default()
            })
            .unwrap()
            .postal_code;
            assert!(
                reference.is_match(&canonical),
                "{key} {example} -> {canonical}"
            );
            let again = normalize(&Address {
                country: country.into(),
                postal_code: canonical.clone(),
                ..Address::default()
            })
            .unwrap()
            .postal_code;
            assert_eq!(again, canonical, "{key} {example}");
            // Mutations: trailing junk, and a letter where the first digit was.
            let mutated = format!("{example}QQ99");
            assert_eq!(
                postal_problems(country, "", &mutated),
                [codes::INVALID_FORMAT],
                "{key} mutated {mutated}"
            );
            if let Some(pos) = example.find(|c: char| c.is_ascii_digit()) {
                let mut m = example.to_string();
                m.replace_range(pos..pos + 1, "Ü");
                assert_eq!(
                    postal_problems(country, "", &m),
                    [codes::INVALID_FORMAT],
                    "{key} mutated {m}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 448);
}

#[test]
fn subdivision_examples_belong_to_their_subdivision() {
    let entries = google();
    let mut checked = 0;
    for (key, entry) in &entries {
        let parts: Vec<&str> = key.split('/').collect();
        if parts.len() != 2 || key.contains("--") {
            continue;
        }
        let (Some(_zip), Some(examples)) = (
            entry.get("zip").and_then(Value::as_str),
            entry.get("zipex").and_then(Value::as_str),
        ) else {
            continue;
        };
        let country = parts[0];
        for example in examples.split(',') {
            let problems = postal_problems(country, parts[1], example);
            // Range bounds such as `340` are prefixes, not whole codes: only codes that
            // are valid for the country are checked against the subdivision.
            if problems.contains(&codes::INVALID_FORMAT.to_string()) {
                continue;
            }
            assert_eq!(problems, Vec::<String>::new(), "{key} {example}");
            checked += 1;
        }
    }
    assert!(checked > 500, "checked {checked}");
}
