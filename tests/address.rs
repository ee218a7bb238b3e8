//! Address engine: the issue's examples, every country's postal examples, mutations,
//! canonical forms, match keys, labels and hostile input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::address::{
    self, codes, format_for_label, match_key, normalize, resolve_country, validate, Address,
    AddressConfig, AddressEngine, AddressRequest,
};

fn us(postal: &str) -> Address {
    Address {
        country: "US".into(),
        address_lines: vec!["1600 Amphitheatre Parkway".into()],
        locality: "Mountain View".into(),
        administrative_area: "CA".into(),
        postal_code: postal.into(),
        ..Address::default()
    }
}

fn codes_of(a: &Address) -> Vec<(String, String)> {
    validate(a)
        .unwrap()
        .into_iter()
        .map(|p| (p.field, p.code))
        .collect()
}

fn pair(field: &str, code: &str) -> (String, String) {
    (field.to_string(), code.to_string())
}

#[test]
fn issue_examples_us() {
    assert_eq!(codes_of(&us("94043")), vec![]);
    assert_eq!(
        codes_of(&us("12345")),
        vec![pair("postal_code", codes::MISMATCHING_VALUE)]
    );
    assert_eq!(
        codes_of(&us("9404")),
        vec![pair("postal_code", codes::INVALID_FORMAT)]
    );
    let problems = validate(&us("9404")).unwrap();
    assert_eq!(
        problems[0].message,
        "ZIP code `9404` does not have the format used in US; example: 95014"
    );
}

#[test]
fn mismatch_check_can_be_switched_off() {
    let engine = AddressEngine::new(AddressConfig {
        check_postal_code_subdivision: false,
        ..AddressConfig::default()
    })
    .unwrap();
    let d = engine.decide(&AddressRequest::new(us("12345"))).unwrap();
    assert!(d.outcome.valid);
    assert_eq!(d.reason_codes(), ["valid"]);
}

#[test]
fn subdivisions_resolve_in_any_script_and_case() {
    let cases = [
        ("BR", "Maranhão", "MA"),
        ("BR", "MARANHAO", "MA"),
        ("US", "CALIFORNIA", "CA"),
        ("US", "california", "CA"),
        ("CA", "Colombie-Britannique", "BC"),
        ("CA", "british columbia", "BC"),
        ("CA", "Québec", "QC"),
        ("JP", "Tokyo", "東京都"),
        ("JP", "東京都", "東京都"),
    ];
    for (country, area, key) in cases {
        let a = Address {
            country: country.into(),
            administrative_area: area.into(),
            ..Address::default()
        };
        assert_eq!(
            normalize(&a).unwrap().administrative_area,
            key,
            "{country} {area}"
        );
    }
    let unknown = Address {
        administrative_area: "Atlantis".into(),
        ..us("94043")
    };
    assert_eq!(
        codes_of(&unknown),
        vec![pair("administrative_area", codes::UNKNOWN_VALUE)]
    );
}

#[test]
fn countries_resolve_from_codes_names_and_aliases() {
    let cases = [
        ("UK", "GB"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("United States of America", "US"),
        ("usa", "US"),
        ("Deutschland", "DE"),
        ("Allemagne", "DE"),
        ("Alemania", "DE"),
        ("Germania", "DE"),
        ("Alemanha", "DE"),
        ("Duitsland", "DE"),
        ("ドイツ", "DE"),
        ("德国", "DE"),
        ("DEU", "DE"),
        ("276", "DE"),
        ("de", "DE"),
        ("Schweiz", "CH"),
        ("Suisse", "CH"),
        ("日本", "JP"),
        ("中国", "CN"),
        ("Côte d'Ivoire", "CI"),
        ("cote divoire", "CI"),
        ("Pays-Bas", "NL"),
        ("Österreich", "AT"),
        ("España", "ES"),
        ("Brasil", "BR"),
    ];
    for (text, code) in cases {
        assert_eq!(resolve_country(text).map(|c| c.code), Some(code), "{text}");
    }
    assert!(resolve_country("Narnia").is_none());
    assert!(resolve_country("").is_none());
    assert_eq!(address::country_codes().count(), 252);
}

#[test]
fn unknown_and_missing_country() {
    let mut a = us("94043");
    a.country = "Narnia".into();
    assert_eq!(codes_of(&a), vec![pair("country", codes::UNKNOWN_VALUE)]);
    a.country = String::new();
    assert_eq!(
        codes_of(&a),
        vec![pair("country", codes::MISSING_REQUIRED_FIELD)]
    );
    let engine = AddressEngine::new(AddressConfig {
        default_country: Some("United States".into()),
        ..AddressConfig::default()
    })
    .unwrap();
    let d = engine.decide(&AddressRequest::new(a)).unwrap();
    assert!(d.outcome.valid, "{:?}", d.outcome.problems);
    assert!(AddressEngine::new(AddressConfig {
        default_country: Some("Narnia".into()),
        ..AddressConfig::default()
    })
    .is_err());
}

#[test]
fn missing_and_unexpected_fields() {
    let a = Address {
        country: "US".into(),
        sorting_code: "CEDEX 7".into(),
        ..Address::default()
    };
    assert_eq!(
        codes_of(&a),
        vec![
            pair("address_lines", codes::MISSING_REQUIRED_FIELD),
            pair("locality", codes::MISSING_REQUIRED_FIELD),
            pair("administrative_area", codes::MISSING_REQUIRED_FIELD),
            pair("postal_code", codes::MISSING_REQUIRED_FIELD),
            pair("sorting_code", codes::UNEXPECTED_FIELD),
        ]
    );
    let de = Address {
        country: "DE".into(),
        address_lines: vec!["Unter den Linden 77".into()],
        locality: "Berlin".into(),
        postal_code: "10117".into(),
        administrative_area: "Berlin".into(),
        ..Address::default()
    };
    assert_eq!(
        codes_of(&de),
        vec![pair("administrative_area", codes::UNEXPECTED_FIELD)]
    );
}

#[test]
fn postal_codes_canonical_per_country() {
    let cases = [
        ("GB", "sw1a0aa", "SW1A 0AA"),
        ("GB", "SW1A  0AA", "SW1A 0AA"),
        ("CA", "h2b2y5", "H2B 2Y5"),
        ("JP", "7300846", "730-0846"),
        ("US", "972190001", "97219-0001"),
        ("US", "97219 0001", "97219-0001"),
        ("NL", "1234ab", "1234 AB"),
        ("BR", "01310100", "01310-100"),
        ("PL", "00950", "00-950"),
        ("CH", "CH-8001", "8001"),
        ("SE", "SE-114 55", "11455"),
        ("LI", "FL-9490", "9490"),
    ];
    for (country, raw, canonical) in cases {
        let a = Address {
            country: country.into(),
            postal_code: raw.into(),
            ..Address::default()
        };
        assert_eq!(
            normalize(&a).unwrap().postal_code,
            canonical,
            "{country} {raw}"
        );
    }
}

#[test]
fn postal_prefix_removal_is_reported_and_repairs_only_when_asked() {
    let engine = AddressEngine::new(AddressConfig::default()).unwrap();
    let ch = Address {
        country: "CH".into(),
        address_lines: vec!["Bahnhofstrasse 1".into()],
        locality: "Zürich".into(),
        postal_code: "CH-8001".into(),
        ..Address::default()
    };
    let d = engine.decide(&AddressRequest::new(ch)).unwrap();
    assert_eq!(d.outcome.changes.len(), 1);
    assert_eq!(d.outcome.changes[0].code, codes::POSTAL_PREFIX_REMOVED);
    assert_eq!(d.reason_codes(), ["postal_prefix_removed", "valid"]);

    let lost_zero = Address {
        address_lines: vec!["1 Main St".into()],
        locality: "Boston".into(),
        administrative_area: "MA".into(),
        postal_code: "2134".into(),
        ..us("")
    };
    let d = engine
        .decide(&AddressRequest::new(lost_zero.clone()))
        .unwrap();
    assert_eq!(
        d.outcome
            .problems
            .iter()
            .map(|p| p.code.as_str())
            .collect::<Vec<_>>(),
        [codes::INVALID_FORMAT]
    );
    let repairing = AddressEngine::new(AddressConfig {
        repair_postal_codes: true,
        ..AddressConfig::default()
    })
    .unwrap();
    let d = repairing.decide(&AddressRequest::new(lost_zero)).unwrap();
    assert!(d.outcome.valid, "{:?}", d.outcome.problems);
    assert_eq!(d.outcome.canonical.postal_code, "02134");
    assert_eq!(d.outcome.changes[0].code, codes::LEADING_ZEROS_RESTORED);
    assert_eq!(
        d.outcome.changes[0].message,
        "restored leading zeros: `2134` became `02134`"
    );
}

#[test]
fn us_canonical_lines_follow_publication_28() {
    let cases = [
        ("1600 Amphitheatre Parkway", "1600 AMPHITHEATRE PKWY"),
        (
            "123 north main street suite 5 unit 2",
            "123 N MAIN ST STE 5 UNIT 2",
        ),
        ("123 Main St. #2f", "123 MAIN ST # 2F"),
        ("500 W. Madison Avenue, Apt 12", "500 W MADISON AVE APT 12"),
        ("12 Elm Ct SW", "12 ELM CT SW"),
        ("P.O. Box 123", "PO BOX 123"),
        ("post office box 77", "PO BOX 77"),
        ("1 Infinite Loop", "1 INFINITE LOOP"),
    ];
    for (line, canonical) in cases {
        let a = Address {
            address_lines: vec![line.into()],
            ..us("94043")
        };
        assert_eq!(normalize(&a).unwrap().address_lines, [canonical], "{line}");
    }
}

#[test]
fn street_components() {
    let engine = AddressEngine::new(AddressConfig::default()).unwrap();
    let decide = |country: &str, line: &str| {
        let a = Address {
            country: country.into(),
            address_lines: vec![line.into()],
            ..Address::default()
        };
        engine
            .decide(&AddressRequest::new(a))
            .unwrap()
            .outcome
            .street
            .remove(0)
    };
    let s = decide("US", "123 N Main St Ste 5 Unit 2");
    assert_eq!(s.house_number.as_deref(), Some("123"));
    assert_eq!(s.pre_directional.as_deref(), Some("N"));
    assert_eq!(s.street_name.as_deref(), Some("Main"));
    assert_eq!(s.street_type.as_deref(), Some("St"));
    assert_eq!(
        s.units
            .iter()
            .map(|u| (u.designator.as_str(), u.identifier.as_str()))
            .collect::<Vec<_>>(),
        [("Ste", "5"), ("Unit", "2")]
    );
    assert!(!s.is_po_box());

    let s = decide("DE", "Hauptstraße 5");
    assert_eq!(s.street_name.as_deref(), Some("Hauptstraße"));
    assert_eq!(s.house_number.as_deref(), Some("5"));

    let s = decide("FR", "12 rue de la Paix");
    assert_eq!(s.house_number.as_deref(), Some("12"));
    assert_eq!(s.street_type.as_deref(), Some("rue"));
    assert_eq!(s.street_name.as_deref(), Some("de la Paix"));

    let s = decide("ES", "Calle Mayor 5");
    assert_eq!(s.street_type.as_deref(), Some("Calle"));
    assert_eq!(s.street_name.as_deref(), Some("Mayor"));
    assert_eq!(s.house_number.as_deref(), Some("5"));

    for (country, line, designator, number) in [
        ("US", "PO Box 12", "PO Box", "12"),
        ("DE", "Postfach 1234", "Postfach", "1234"),
        ("ES", "Apartado 7", "Apartado", "7"),
        ("FR", "Boîte postale 45", "Boîte postale", "45"),
        ("BR", "Caixa Postal 2001", "Caixa Postal", "2001"),
    ] {
        let s = decide(country, line);
        let po = s.po_box.as_ref().unwrap_or_else(|| panic!("{line}"));
        assert_eq!(
            (po.designator.as_str(), po.number.as_str()),
            (designator, number)
        );
    }
}

#[test]
fn match_keys() {
    let a = Address {
        address_lines: vec!["123 Main St. #2f".into()],
        ..us("94043")
    };
    let b = Address {
        address_lines: vec!["123 MAIN STREET Number 2F".into()],
        ..us("94043")
    };
    assert_eq!(match_key(&a).unwrap(), match_key(&b).unwrap());
    assert_eq!(
        match_key(&a).unwrap(),
        "us|94043|ca|mountain view||123 main street 2f"
    );
    // `Ct` is a court in a street, Connecticut only as a subdivision.
    let court = Address {
        address_lines: vec!["12 Elm Ct".into()],
        administrative_area: "Ct".into(),
        postal_code: "06510".into(),
        locality: "New Haven".into(),
        ..us("")
    };
    assert_eq!(
        match_key(&court).unwrap(),
        "us|06510|ct|new haven||12 elm court"
    );
    // Postal codes are never expanded, only stripped of spacing.
    let gb = Address {
        country: "GB".into(),
        address_lines: vec!["10 Downing St".into()],
        locality: "London".into(),
        postal_code: "sw1a 2aa".into(),
        ..Address::default()
    };
    assert_eq!(
        match_key(&gb).unwrap(),
        "gb|sw1a2aa||london||10 downing street"
    );
    // Accents, scripts and German street-type endings.
    let de1 = Address {
        country: "Deutschland".into(),
        address_lines: vec!["Hauptstr. 5".into()],
        locality: "Köln".into(),
        postal_code: "50667".into(),
        ..Address::default()
    };
    let de2 = Address {
        country: "DE".into(),
        address_lines: vec!["HAUPTSTRASSE 5".into()],
        locality: "Koeln".into(),
        postal_code: "50667".into(),
        ..Address::default()
    };
    // The house number leads the street words whichever side it was written on.
    assert_eq!(match_key(&de1).unwrap(), "de|50667||koln||5 hauptstrasse");
    assert_eq!(
        match_key(&de2).unwrap(),
        "de|50667||koeln||5 hauptstrasse",
        "`oe` spelled out stays different from `ö`"
    );
}

#[test]
fn labels() {
    assert_eq!(
        format_for_label(&us("94043")).unwrap(),
        [
            "1600 AMPHITHEATRE PKWY",
            "MOUNTAIN VIEW, CA 94043",
            "UNITED STATES"
        ]
    );
    let jp = Address {
        country: "JP".into(),
        address_lines: vec!["1-1 Chiyoda".into()],
        administrative_area: "東京都".into(),
        postal_code: "1000001".into(),
        recipient: "Taro Yamada".into(),
        ..Address::default()
    };
    assert_eq!(
        format_for_label(&jp).unwrap(),
        ["Taro Yamada", "1-1 Chiyoda, TOKYO", "100-0001", "JAPAN"]
    );
    let fr = Address {
        country: "France".into(),
        address_lines: vec!["12 rue de la Paix".into()],
        locality: "Paris".into(),
        postal_code: "75002".into(),
        organization: "Example SA".into(),
        ..Address::default()
    };
    assert_eq!(
        format_for_label(&fr).unwrap(),
        ["Example SA", "12 rue de la Paix", "75002 PARIS", "FRANCE"]
    );
}

#[test]
fn too_long_fields_are_errors_naming_the_field() {
    let mut a = us("94043");
    a.address_lines.push("x".repeat(2000));
    let err = validate(&a).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert_eq!(err.field(), Some("address_lines[1]"));
    let mut a = us("94043");
    a.locality = "y".repeat(1001);
    assert_eq!(validate(&a).unwrap_err().field(), Some("locality"));
}
