//! Street lines in USPS Publication 28 form: every example of issue 16, then the class
//! each example stands for (units before the number, levels after an ordinal, two-word
//! directionals, building names, grid numbers, dashes in ZIP+4 codes).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::address::{
    codes, match_key, normalize, Address, AddressConfig, AddressEngine, AddressRequest,
};

fn us_lines(lines: &[&str]) -> Address {
    Address {
        country: "US".into(),
        address_lines: lines.iter().map(|l| l.to_string()).collect(),
        locality: "Chicago".into(),
        administrative_area: "IL".into(),
        postal_code: "60601".into(),
        ..Address::default()
    }
}

fn canonical(lines: &[&str]) -> Vec<String> {
    normalize(&us_lines(lines)).unwrap().address_lines
}

fn assert_lines(cases: &[(&str, &str)]) {
    for (line, expected) in cases {
        assert_eq!(canonical(&[line]), [*expected], "{line}");
        // Publication 28 form is a fixed point.
        assert_eq!(canonical(&[expected]), [*expected], "{expected} again");
    }
}

#[test]
fn floor_after_an_ordinal_is_a_unit_not_a_suffix() {
    assert_lines(&[
        ("100 Gold Street, 2nd Fl.", "100 GOLD ST FL 2"),
        ("100 Gold Street 2nd Floor", "100 GOLD ST FL 2"),
        ("100 Gold Street, 21st floor", "100 GOLD ST FL 21"),
        ("100 Gold Street, Third Floor", "100 GOLD ST FL 3"),
        ("100 Gold Street Fl 2", "100 GOLD ST FL 2"),
        ("2nd Floor", "FL 2"),
    ]);
}

#[test]
fn a_number_sign_after_a_designator_belongs_to_it() {
    assert_lines(&[
        ("100 Gold Street, Fl No. 7", "100 GOLD ST FL 7"),
        ("100 Gold Street Floor No 7", "100 GOLD ST FL 7"),
        ("100 Gold Street Fl # 7", "100 GOLD ST FL 7"),
        ("100 Gold Street, Apt No. 5", "100 GOLD ST APT 5"),
        ("100 Gold Street Suite Number 210", "100 GOLD ST STE 210"),
        ("100 Gold Street Unit #3", "100 GOLD ST UNIT 3"),
        ("100 Gold Street Room No. 12", "100 GOLD ST RM 12"),
        ("100 Gold Street Bldg No 4", "100 GOLD ST BLDG 4"),
    ]);
    // The match key has the floor's number, never the street type FALL.
    let key = |line: &str| match_key(&us_lines(&[line])).unwrap();
    let expected = "us|60601|il|chicago||100 gold street 7";
    for line in [
        "100 Gold Street, Fl No. 7",
        "100 Gold Street Fl 7",
        "100 GOLD ST FL # 7",
        "100 Gold Street Floor Number 7",
    ] {
        assert_eq!(key(line), expected, "{line}");
    }
}

#[test]
fn crt_is_a_court() {
    assert_lines(&[
        ("3121 187th street crt n", "3121 187TH STREET CT N"),
        ("12 Oak Crt", "12 OAK CT"),
    ]);
}

#[test]
fn directionals_are_abbreviated_one_or_two_words() {
    assert_lines(&[
        ("43 South Broadway", "43 S BROADWAY"),
        ("43 North Broadway Street", "43 N BROADWAY ST"),
        ("100 South West Main St", "100 SW MAIN ST"),
        ("100 Main Street North West", "100 MAIN ST NW"),
        ("100 north east Elm Avenue south west", "100 NE ELM AVE SW"),
        // A directional that is all the name there is stays the name.
        ("100 North West St", "100 N WEST ST"),
        ("10 South St NW", "10 SOUTH ST NW"),
    ]);
}

#[test]
fn type_before_a_directional_shares_the_key() {
    let key = |line: &str| match_key(&us_lines(&[line])).unwrap();
    let expected = "us|60601|il|chicago||10 south street northwest";
    for line in [
        "10 South St NW",
        "10 South Street Northwest",
        "10 SOUTH STREET NW",
        "10 south st. north west",
    ] {
        assert_eq!(key(line), expected, "{line}");
    }
    assert_eq!(
        key("5 Main St N"),
        key("5 Main Street North"),
        "suffix then directional"
    );
}

#[test]
fn units_before_the_number_move_after_the_street() {
    assert_lines(&[
        ("Apt 1B 626 E Kilbourn Ave", "626 E KILBOURN AVE APT 1B"),
        ("Suite 1800 77 W Wacker Dr", "77 W WACKER DR STE 1800"),
        ("Apartment 4, 12 Elm Street", "12 ELM ST APT 4"),
        ("# 7 12 Elm Street", "12 ELM ST # 7"),
        ("Bldg 2 100 Main St Apt 5", "100 MAIN ST BLDG 2 APT 5"),
    ]);
    assert_eq!(
        match_key(&us_lines(&["Apt 1B 626 E Kilbourn Ave"])).unwrap(),
        match_key(&us_lines(&["626 East Kilbourn Avenue Apartment 1B"])).unwrap()
    );
}

#[test]
fn a_word_and_a_number_alone_are_a_unit() {
    assert_eq!(
        canonical(&["1200 Main St", "Ave 345"]),
        ["1200 MAIN ST", "UNIT 345"]
    );
    assert_eq!(
        canonical(&["1200 Main St", "Unit 345"]),
        ["1200 MAIN ST", "UNIT 345"]
    );
    assert_eq!(
        canonical(&["1200 Main St", "Room 12"]),
        ["1200 MAIN ST", "RM 12"]
    );
}

#[test]
fn brackets_are_separators() {
    assert_lines(&[
        (
            "1234 Main Street (BLDG A1 RIGHT)",
            "1234 MAIN ST BLDG A1 RIGHT",
        ),
        ("(BLDG A1 RIGHT)", "BLDG A1 RIGHT"),
        ("1234 Main Street [Apt 5]", "1234 MAIN ST APT 5"),
        ("1234 Main Street (Unit 3 Rear)", "1234 MAIN ST UNIT 3 REAR"),
    ]);
}

#[test]
fn building_names_are_not_abbreviated() {
    assert_lines(&[
        ("Overlook Park Flats", "OVERLOOK PARK FLATS"),
        ("Uptown Square", "UPTOWN SQUARE"),
        ("Lakeside Commons North", "LAKESIDE COMMONS NORTH"),
        (
            "100 Main Street, Uptown Square",
            "100 MAIN ST, UPTOWN SQUARE",
        ),
        (
            "100 Main Street, Overlook Park Flats, Apt 5",
            "100 MAIN ST, OVERLOOK PARK FLATS APT 5",
        ),
    ]);
    assert_eq!(
        canonical(&["Overlook Park Flats", "100 Main Street"]),
        ["OVERLOOK PARK FLATS", "100 MAIN ST"]
    );
    let engine = AddressEngine::new(AddressConfig::default()).unwrap();
    let d = engine
        .decide(&AddressRequest::new(us_lines(&[
            "100 Main Street, Uptown Square",
        ])))
        .unwrap();
    let street = &d.outcome.street[0];
    assert_eq!(street.street_name.as_deref(), Some("Main"));
    assert_eq!(street.street_type.as_deref(), Some("Street"));
    assert_eq!(street.building.as_deref(), Some("Uptown Square"));
}

#[test]
fn grid_numbers_are_house_numbers() {
    assert_lines(&[
        ("N165 W2123 Bluemound Rd", "N165W2123 BLUEMOUND RD"),
        ("N165W2123 Bluemound Road", "N165W2123 BLUEMOUND RD"),
        ("w156 n9725 Main Street", "W156N9725 MAIN ST"),
        // Utah: the street name is a grid line with its directions.
        ("842 East 1700 South", "842 E 1700 S"),
    ]);
    let engine = AddressEngine::new(AddressConfig::default()).unwrap();
    let d = engine
        .decide(&AddressRequest::new(us_lines(&["N165 W2123 Bluemound Rd"])))
        .unwrap();
    let street = &d.outcome.street[0];
    assert_eq!(street.house_number.as_deref(), Some("N165W2123"));
    assert_eq!(street.street_name.as_deref(), Some("Bluemound"));
    assert_eq!(street.pre_directional, None);
    assert_eq!(
        d.outcome.match_key,
        "us|60601|il|chicago||n165w2123 bluemound road"
    );
}

fn postal(code: &str, repair: bool) -> (String, Vec<String>) {
    let config = AddressConfig {
        repair_postal_codes: repair,
        check_postal_code_subdivision: false,
        ..AddressConfig::default()
    };
    let engine = AddressEngine::new(config).unwrap();
    let a = Address {
        postal_code: code.into(),
        ..us_lines(&["1 Main St"])
    };
    let d = engine.decide(&AddressRequest::new(a)).unwrap();
    (
        d.outcome.canonical.postal_code,
        d.outcome.problems.into_iter().map(|p| p.code).collect(),
    )
}

#[test]
fn every_dash_is_a_hyphen_in_zip_plus_4() {
    for dash in [
        '\u{2014}', '\u{2013}', '\u{2010}', '\u{2011}', '\u{2012}', '\u{2015}', '\u{2212}',
        '\u{FE63}', '\u{FF0D}',
    ] {
        let code = format!("60642{dash}2534");
        assert_eq!(
            postal(&code, false),
            ("60642-2534".into(), vec![]),
            "{code}"
        );
    }
}

#[test]
fn zero_repair_respects_the_hyphen() {
    assert_eq!(postal("97219-00", true), ("97219-0000".into(), vec![]));
    assert_eq!(
        postal("97219-00", false),
        ("97219-00".into(), vec![codes::INVALID_FORMAT.to_string()])
    );
    assert_eq!(postal("2134-1234", true), ("02134-1234".into(), vec![]));
    assert_eq!(postal("2134", true), ("02134".into(), vec![]));
    // Too short to be a lost zero: still an error naming the format.
    assert_eq!(
        postal("97-1", true),
        ("97-1".into(), vec![codes::INVALID_FORMAT.to_string()])
    );
}
