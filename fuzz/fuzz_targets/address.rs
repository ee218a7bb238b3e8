//! Fuzz target `address`: arbitrary bytes as every address field (one per line) → validate, normalize,
//! match key, label and the engine's decision. Asserts: no panic; the canonical form is
//! idempotent (normalizing it again changes nothing) and keys the same as the input;
//! match keys are ASCII lower case; `valid` agrees with the problems (with and without
//! postal-code repair); one decision takes bounded time.
#![no_main]

use backoffice::address::{
    format_for_label, match_key, normalize, validate, Address, AddressConfig, AddressEngine,
    AddressRequest,
};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const COUNTRIES: [&str; 8] = ["US", "GB", "CA", "DE", "FR", "JP", "CH", "United States"];

fn engines() -> &'static [AddressEngine; 2] {
    static ENGINES: OnceLock<[AddressEngine; 2]> = OnceLock::new();
    ENGINES.get_or_init(|| {
        [
            AddressEngine::new(AddressConfig::default()).expect("default config"),
            AddressEngine::new(AddressConfig {
                repair_postal_codes: true,
                ..AddressConfig::default()
            }).expect("default config"),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    // One field per line, in this order; address lines and tags are separated by `|`.
    // A first line of one byte picks a known country (so most inputs reach the country
    // rules); otherwise it is the country text itself.
    let text = String::from_utf8_lossy(data);
    let mut fields = text.split('\n');
    let mut next = || fields.next().unwrap_or_default().to_string();
    let country = next();
    let country = match country.as_bytes() {
        [b] if !b.is_ascii_alphabetic() => COUNTRIES[usize::from(*b) % COUNTRIES.len()].to_string(),
        _ => country,
    };
    let recipient = next();
    let organization = next();
    let address_lines = next().split('|').map(str::to_string).collect();
    let address = Address {
        country,
        recipient,
        organization,
        address_lines,
        locality: next(),
        dependent_locality: next(),
        administrative_area: next(),
        postal_code: next(),
        sorting_code: next(),
    };
    let tags: Vec<String> = next()
        .split('|')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    let start = Instant::now();
    let _ = validate(&address);
    let _ = format_for_label(&address);
    let key = match_key(&address);
    if let Ok(canonical) = normalize(&address) {
        let again = normalize(&canonical).expect("the canonical form normalizes");
        assert_eq!(again, canonical, "canonical form is not idempotent");
        let canonical_key = match_key(&canonical).expect("the canonical form has a key");
        if let Ok(key) = &key {
            assert_eq!(&canonical_key, key, "the canonical form keys differently");
            assert!(
                !key.chars().any(|c| !c.is_ascii() || c.is_ascii_uppercase()),
                "{key:?}"
            );
        }
    }
    let request = AddressRequest { address, tags };
    for engine in engines() {
        if let Ok(decision) = engine.decide(&request) {
            let outcome = decision.outcome;
            assert_eq!(outcome.valid, outcome.problems.is_empty(), "{outcome:?}");
        }
    }
    // Generous: sanitizer builds are ~10x slower than release; linear work stays far below.
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
});
