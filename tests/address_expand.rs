//! `address::expand` and `address::expand_root`: libpostal's published examples per
//! language (the expected phrase must be among the forms, as in libpostal's own tests:
//! `test/test_expand.c` of openvenues/libpostal and its bindings' tests), exact form
//! lists for a few strings, and properties: determinism, the bound on the number of
//! forms, and the match key as the first form.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use backoffice::address::{
    expand, expand_root, match_key, Address, ExpandOptions, DEFAULT_MAX_FORMS, MAX_FORMS,
};
use proptest::prelude::*;

fn languages(codes: &[&str]) -> ExpandOptions {
    ExpandOptions {
        languages: codes.iter().map(|c| c.to_string()).collect(),
        ..ExpandOptions::default()
    }
}

fn assert_contains(text: &str, expected: &str, options: &ExpandOptions, root: bool) {
    let forms = if root {
        expand_root(text, options)
    } else {
        expand(text, options)
    };
    assert!(
        forms.iter().any(|f| f == expected),
        "{text}: expected `{expected}` among {forms:?}"
    );
}

/// libpostal's expansion examples: (input, expected form, languages).
const LIBPOSTAL_EXPANSIONS: &[(&str, &str, &[&str])] = &[
    ("123 Main St. #2f", "123 main street number 2f", &["en"]),
    ("120 E 96th St", "120 east 96 street", &["en"]),
    ("120 E Ninety-sixth St", "120 east 96 street", &["en"]),
    (
        "4998 Vanderbilt Dr, Columbus, OH 43213",
        "4998 vanderbilt drive columbus ohio 43213",
        &["en"],
    ),
    ("S St. NW", "s street northwest", &["en"]),
    (
        "30 West Twenty-sixth St Fl No. 7",
        "30 west 26th street floor number 7",
        &["en"],
    ),
    (
        "Thirty W 26th St Fl #7",
        "30 west 26th street floor number 7",
        &["en"],
    ),
    (
        "781 Franklin Ave Crown Hts Brooklyn NY",
        "781 franklin avenue crown heights brooklyn new york",
        &["en"],
    ),
    ("MAPLE ST.", "maple street", &["en"]),
    ("123 Main St", "123 main street", &[]),
    ("st", "sankt", &["en", "fr", "de"]),
    ("st", "saint", &["en", "fr", "de"]),
    (
        "Quatre vingt douze Ave des Champs-Élysées",
        "92 avenue des champs elysees",
        &["fr"],
    ),
    (
        "Quatre vingt douze Ave des Champs-Élysées",
        "92 avenue des champselysees",
        &["fr"],
    ),
    ("Marktstrasse", "markt strasse", &["de"]),
    (
        "Friedrichstraße 128, Berlin, Germany",
        "friedrich strasse 128 berlin germany",
        &["de"],
    ),
    (
        "Friedrichstraße 128, Berlin, Germany",
        "friedrich strasse 128 berlin germany",
        &[],
    ),
    ("Hoofdstraat", "hoofdstraat", &["nl"]),
    ("มงแตร", "มงแตร", &["th"]),
    ("V XX Sett", "via 20 settembre", &["it"]),
    ("V XX Sett", "via 20 settembre", &[]),
    // libpostal finds Spanish here with its language classifier; with every language,
    // `c` has more readings than one phrase keeps, so the language is named.
    ("C/ Ocho", "calle 8", &["es"]),
];

/// libpostal's root examples: (input, expected root, languages).
const LIBPOSTAL_ROOTS: &[(&str, &str, &[&str])] = &[
    ("Malcolm X Blvd", "malcolm x", &["en"]),
    ("E 106th St", "106", &["en"]),
    ("S Park Ave", "park", &["en"]),
    ("Park South", "park", &["en"]),
    ("East 6th Street", "6th", &["en"]),
    ("Avenue Rd", "avenue", &["en"]),
    ("Broadway", "broadway", &["en"]),
    ("Apt 101", "101", &["en"]),
    ("Apt #101", "101", &["en"]),
    ("Apartment 101", "101", &["en"]),
    ("Ste 101", "101", &["en"]),
    ("Suite #101", "101", &["en"]),
    ("1st Floor", "1", &["en"]),
    ("First Fl", "1", &["en"]),
    ("2nd Fl", "2", &["en"]),
    ("Second Floor", "2", &["en"]),
    ("PO Box 1234", "1234", &["en"]),
    ("PO Box #1234", "1234", &["en"]),
    ("C/ Ocho", "8", &["es"]),
];

#[test]
fn libpostal_expansion_examples() {
    for (text, expected, langs) in LIBPOSTAL_EXPANSIONS {
        assert_contains(text, expected, &languages(langs), false);
    }
}

#[test]
fn libpostal_root_examples() {
    for (text, expected, langs) in LIBPOSTAL_ROOTS {
        assert_contains(text, expected, &languages(langs), true);
    }
}

#[test]
fn english_forms_exactly() {
    let us = ExpandOptions {
        country: Some("US".into()),
        ..ExpandOptions::default()
    };
    assert_eq!(
        expand("E 106th St", &us),
        [
            "east 106th street",
            "e 106th st",
            "e 106th street",
            "e 106th saint",
            "e 106 st",
            "e 106 street",
            "e 106 saint",
            "east 106th st",
            "east 106th saint",
            "east 106 st",
            "east 106 street",
            "east 106 saint",
        ]
    );
    assert_eq!(
        expand("Malcolm X Blvd", &us),
        ["malcolm x boulevard", "malcolm x blvd"]
    );
    assert_eq!(expand_root("Main St NW", &us), ["main"]);
    assert_eq!(
        expand("PO Box 1234", &us),
        ["po box 1234", "post office box 1234"]
    );
}

#[test]
fn french_forms_exactly() {
    assert_eq!(
        expand(
            "Quatre-vingt-douze Ave des Champs-Élysées",
            &languages(&["fr"])
        ),
        [
            "quatre vingt douze ave des champs elysees",
            "92 avenue des champs elysees",
            "quatre vingt douze ave des champselysees",
            "quatre vingt douze avenue des champs elysees",
            "quatre vingt douze avenue des champselysees",
            "quatre vingt douze av des champs elysees",
            "quatre vingt douze av des champselysees",
            "92 ave des champs elysees",
            "92 ave des champselysees",
            "92 avenue des champselysees",
            "92 av des champs elysees",
            "92 av des champselysees",
        ]
    );
    assert_eq!(
        expand_root(
            "Quatre-vingt-douze Ave des Champs-Élysées",
            &languages(&["fr"])
        ),
        [
            "92 champs elysees",
            "quatre vingt douze champs elysees",
            "quatre vingt douze champselysees",
            "92 champselysees",
        ]
    );
}

#[test]
fn german_forms_exactly() {
    let de = ExpandOptions {
        country: Some("DE".into()),
        ..ExpandOptions::default()
    };
    assert_eq!(
        expand("Kaiserstr.", &de),
        ["kaiserstrasse", "kaiserstr", "kaiser strasse"]
    );
    assert_eq!(expand_root("Friedrichstraße 128", &de), ["friedrich 128"]);
    let numbers = expand("Einundzwanzigste Straße", &de);
    assert!(numbers.contains(&"21 strasse".to_string()), "{numbers:?}");
}

#[test]
fn other_languages() {
    assert_eq!(
        expand("milleottocento", &languages(&["it"])),
        ["milleottocento", "1800"]
    );
    assert_eq!(
        expand("Calle Doce de Octubre", &languages(&["es"])),
        [
            "calle doce de octubre",
            "calle 12 de octubre",
            "calle doce de oct",
            "calle 12 de oct",
            "c doce de octubre",
            "c doce de oct",
            "c 12 de octubre",
            "c 12 de oct",
        ]
    );
    assert_contains(
        "Rua Vinte e Cinco de Março",
        "rua 25 de marco",
        &languages(&["pt"]),
        false,
    );
    assert_contains(
        "Eenentwintigste Straat",
        "21e straat",
        &languages(&["nl"]),
        false,
    );
    // Cyrillic: the abbreviation in the local script and in ASCII.
    let ru = expand("ул Каретный Ряд", &languages(&["ru"]));
    assert!(ru.contains(&"улица каретныи ряд".to_string()), "{ru:?}");
    assert!(ru.contains(&"ulitsa karetnyi riad".to_string()), "{ru:?}");
    // Roman numerals: unambiguous ones only.
    assert_contains(
        "Papst Johannes Paul II Str",
        "papst johannes paul 2 strasse",
        &languages(&["de"]),
        false,
    );
    assert_eq!(expand("Via Mix", &languages(&["it"])), ["via mix", "v mix"]);
}

#[test]
fn options_switch_transformations_off() {
    let none = ExpandOptions {
        languages: vec!["en".into()],
        abbreviations: false,
        directionals: false,
        numbers: false,
        ordinals: false,
        roman_numerals: false,
        compounds: false,
        hyphens: false,
        transliterate: false,
        ..ExpandOptions::default()
    };
    // Only the match-key form and the string as written (folded) remain.
    assert_eq!(
        expand("30 W Twenty-sixth St", &none),
        ["30 west twenty sixth street", "30 w twenty sixth st"]
    );
    let one = ExpandOptions {
        max_forms: 0,
        ..languages(&["en"])
    };
    assert_eq!(expand("30 W 26th St", &one), ["30 west 26th street"]);
    assert!(expand("", &ExpandOptions::default()).is_empty());
    assert!(expand(" \t ", &ExpandOptions::default()).is_empty());
}

#[test]
fn default_bound_holds_on_long_input() {
    let long = "St Dr Ave N S E W Fl Ste Apt ".repeat(200);
    let forms = expand(&long, &ExpandOptions::default());
    assert_eq!(forms.len(), DEFAULT_MAX_FORMS);
    let many = ExpandOptions {
        max_forms: usize::MAX,
        ..ExpandOptions::default()
    };
    assert_eq!(expand(&long, &many).len(), MAX_FORMS);
}

fn street_key(country: &str, line: &str) -> String {
    let address = Address {
        country: country.into(),
        address_lines: vec![line.into()],
        ..Address::default()
    };
    let key = match_key(&address).unwrap_or_default();
    key.splitn(6, '|').nth(5).unwrap_or("").to_string()
}

fn line() -> impl Strategy<Value = String> {
    let words = prop::sample::select(vec![
        "123",
        "N",
        "Main",
        "St.",
        "Street",
        "#2f",
        "Apt",
        "5",
        "Rue",
        "de",
        "la",
        "Paix",
        "Hauptstr.",
        "Calle",
        "Mayor",
        "Via",
        "XX",
        "Settembre",
        "quatre",
        "vingt",
        "douze",
        "twenty-first",
        "26th",
        "Fl",
        "Ste",
        "PO",
        "Box",
        "South",
        "West",
        "ул",
        "Каретный",
        "Ряд",
        "Straße",
        "Champs-Élysées",
        "II",
        "Avenue",
        "Blvd",
        "NW",
        "Jr",
        "Dr",
        ",",
    ]);
    prop::collection::vec(words, 0..12).prop_map(|w| w.join(" "))
}

fn country() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "US", "FR", "DE", "ES", "IT", "RU", "GB", "", "Atlantis",
    ])
    .prop_map(str::to_string)
}

proptest! {
    #![proptest_config(common::config())]

    /// The match key's street part is the first form: the canonical member of the set.
    #[test]
    fn match_key_is_the_first_form(country in country(), line in line()) {
        let options = ExpandOptions {
            country: (!country.is_empty()).then(|| country.clone()),
            ..ExpandOptions::default()
        };
        let forms = expand(&line, &options);
        let key = street_key(&country, &line);
        if key.is_empty() {
            prop_assert!(forms.iter().all(|f| !f.is_empty()));
        } else {
            prop_assert_eq!(forms.first(), Some(&key));
        }
    }

    /// Same input, same forms; never more than the cap; no duplicates or empty forms.
    #[test]
    fn forms_are_deterministic_and_bounded(
        country in country(),
        line in line(),
        max in 0usize..400,
    ) {
        let options = ExpandOptions {
            country: Some(country),
            max_forms: max,
            ..ExpandOptions::default()
        };
        let once = expand(&line, &options);
        prop_assert_eq!(&once, &expand(&line, &options));
        prop_assert!(once.len() <= max.clamp(1, MAX_FORMS));
        let unique: std::collections::BTreeSet<_> = once.iter().collect();
        prop_assert_eq!(unique.len(), once.len());
        prop_assert!(once.iter().all(|f| !f.is_empty()));
        let roots = expand_root(&line, &options);
        prop_assert_eq!(&roots, &expand_root(&line, &options));
        prop_assert!(roots.len() <= max.clamp(1, MAX_FORMS));
    }

    /// Arbitrary text never panics and stays within the bound.
    #[test]
    fn any_text_is_bounded(text in "\\PC{0,80}") {
        let forms = expand(&text, &ExpandOptions::default());
        prop_assert!(forms.len() <= DEFAULT_MAX_FORMS);
        prop_assert!(expand_root(&text, &ExpandOptions::default()).len() <= DEFAULT_MAX_FORMS);
    }
}
