//! Fuzz target `address`: arbitrary address fields (and JSON) through the address engine.
//! Asserts: no panic and no error other than a length limit; `valid` agrees with the
//! problems; the plain functions accept what the engine accepts. (Idempotence and the
//! match-key property are proptest properties in `tests/address_properties.rs`.)
#![no_main]

use arbitrary::Arbitrary;
use backoffice::address::{self, Address, AddressConfig, AddressEngine, AddressRequest};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    country: u8,
    country_text: String,
    lines: Vec<String>,
    locality: String,
    area: String,
    postal_code: String,
    sorting_code: String,
    repair: bool,
    json: String,
}

const COUNTRIES: [&str; 8] = ["US", "DE", "FR", "GB", "JP", "CA", "BR", "CH"];

fuzz_target!(|input: Input| {
    let _ = serde_json::from_str::<AddressRequest>(&input.json);
    let country = match COUNTRIES.get(usize::from(input.country)) {
        Some(code) => code.to_string(),
        None => input.country_text.clone(),
    };
    let address = Address {
        country,
        address_lines: input.lines,
        locality: input.locality,
        administrative_area: input.area,
        postal_code: input.postal_code,
        sorting_code: input.sorting_code,
        ..Address::default()
    };
    // Default limits, so that the plain functions below accept what the engine accepts.
    let engine = AddressEngine::new(AddressConfig {
        repair_postal_codes: input.repair,
        ..AddressConfig::default()
    });
    let Ok(decision) = engine.decide(&AddressRequest::new(address.clone())) else {
        return;
    };
    let outcome = decision.outcome;
    assert_eq!(outcome.valid, outcome.problems.is_empty());
    if input.repair {
        return;
    }
    let canonical = address::normalize(&address).unwrap();
    let _ = address::normalize(&canonical).unwrap();
    let _ = address::match_key(&address).unwrap();
    let _ = address::format_for_label(&address).unwrap();
});
