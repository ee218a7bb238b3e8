//! Label styles, scripts, domestic labels and country names (issue 16).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use backoffice::address::{
    format_for_label, format_label, Address, AddressConfig, LabelScript, LabelStyle,
};

fn config(style: LabelStyle, script: LabelScript, origin: Option<&str>) -> AddressConfig {
    AddressConfig {
        label_style: style,
        label_script: script,
        origin_country: origin.map(String::from),
        ..AddressConfig::default()
    }
}

fn postal() -> AddressConfig {
    AddressConfig::default()
}

fn display() -> AddressConfig {
    config(LabelStyle::Display, LabelScript::Auto, None)
}

fn zagreb() -> Address {
    Address {
        country: "HR".into(),
        address_lines: vec!["Ilica 1".into()],
        locality: "Zagreb".into(),
        postal_code: "HR-10105".into(),
        ..Address::default()
    }
}

#[test]
fn domestic_label_has_no_postal_prefix_and_no_country_line() {
    let home = config(LabelStyle::Postal, LabelScript::Auto, Some("Croatia"));
    assert_eq!(
        format_label(&zagreb(), &home).unwrap(),
        ["Ilica 1", "10105 ZAGREB"]
    );
    assert_eq!(
        format_label(&zagreb(), &postal()).unwrap(),
        ["Ilica 1", "HR-10105 ZAGREB", "CROATIA"]
    );
    // Another origin: international.
    let from_si = config(LabelStyle::Postal, LabelScript::Auto, Some("SI"));
    assert_eq!(
        format_label(&zagreb(), &from_si).unwrap(),
        ["Ilica 1", "HR-10105 ZAGREB", "CROATIA"]
    );
    // Generalised: every prefix written in a format (CH-, FL-, ...) goes at home.
    let ch = Address {
        country: "CH".into(),
        address_lines: vec!["Bahnhofstrasse 1".into()],
        locality: "Zürich".into(),
        postal_code: "8001".into(),
        ..Address::default()
    };
    let home = config(LabelStyle::Postal, LabelScript::Auto, Some("CH"));
    assert_eq!(
        format_label(&ch, &home).unwrap(),
        ["Bahnhofstrasse 1", "8001 Zürich"]
    );
}

#[test]
fn unknown_origin_is_an_error_naming_the_field() {
    let bad = config(LabelStyle::Postal, LabelScript::Auto, Some("Atlantis"));
    let err = format_label(&zagreb(), &bad).unwrap_err();
    assert!(err.to_string().contains("origin_country"), "{err}");
}

#[test]
fn country_names_have_no_qualifiers() {
    for (code, line, zip, name) in [
        ("GE", "Rustaveli Ave 1", "0108", "GEORGIA"),
        ("SZ", "1 Main St", "H100", "ESWATINI"),
        ("IE", "1 Main St", "D02 X285", "IRELAND"),
        ("TR", "Istiklal Cd 1", "34433", "TÜRKIYE"),
        ("MK", "Makedonija 1", "1000", "NORTH MACEDONIA"),
    ] {
        let a = Address {
            country: code.into(),
            address_lines: vec![line.into()],
            locality: "Town".into(),
            postal_code: zip.into(),
            ..Address::default()
        };
        let label = format_for_label(&a).unwrap();
        assert_eq!(label.last().unwrap(), name, "{code}: {label:?}");
    }
}

fn guadalajara() -> Address {
    Address {
        country: "MX".into(),
        address_lines: vec!["Av. Juárez 1".into()],
        locality: "Guadalajara".into(),
        administrative_area: "Jalisco".into(),
        postal_code: "44100".into(),
        ..Address::default()
    }
}

#[test]
fn upper_fields_are_upper_case_on_postal_labels() {
    // MX lists C, S and Z in `upper`: the key `Jal.` is `JAL.` on the label.
    assert_eq!(
        format_label(&guadalajara(), &postal()).unwrap(),
        ["Av. Juárez 1", "44100 GUADALAJARA, JAL.", "MEXICO"]
    );
}

#[test]
fn display_labels_write_as_a_person_does() {
    assert_eq!(
        format_label(&guadalajara(), &display()).unwrap(),
        ["Avenida Juárez 1", "44100 Guadalajara, Jalisco", "Mexico"]
    );
    let us = Address {
        country: "US".into(),
        address_lines: vec!["1600 Amphitheatre Pkwy".into(), "Ste 200".into()],
        locality: "Mountain View".into(),
        administrative_area: "california".into(),
        postal_code: "94043".into(),
        recipient: "Jane Doe".into(),
        ..Address::default()
    };
    assert_eq!(
        format_label(&us, &display()).unwrap(),
        [
            "Jane Doe",
            "1600 Amphitheatre Parkway",
            "Ste 200",
            "Mountain View, CA 94043",
            "United States"
        ]
    );
    assert_eq!(
        format_label(&us, &postal()).unwrap(),
        [
            "Jane Doe",
            "1600 AMPHITHEATRE PKWY",
            "STE 200",
            "MOUNTAIN VIEW, CA 94043",
            "UNITED STATES"
        ]
    );
    let directional = Address {
        address_lines: vec!["12 N Main St".into()],
        ..us
    };
    assert_eq!(
        format_label(&directional, &display()).unwrap()[1],
        "12 North Main Street"
    );
    // The house number stays where it was written.
    assert_eq!(
        format_label(&zagreb(), &display()).unwrap(),
        ["Ilica 1", "HR-10105 Zagreb", "Croatia"]
    );
}

fn tokyo() -> Address {
    Address {
        country: "JP".into(),
        address_lines: vec!["丸の内1-1".into()],
        locality: "千代田区".into(),
        administrative_area: "東京都".into(),
        postal_code: "1000005".into(),
        ..Address::default()
    }
}

#[test]
fn japanese_city_is_written_with_the_prefecture() {
    assert_eq!(
        format_for_label(&tokyo()).unwrap(),
        ["〒100-0005", "東京都千代田区", "丸の内1-1", "JAPAN"]
    );
    let latin = Address {
        address_lines: vec!["1-1 Marunouchi".into()],
        locality: "Chiyoda-ku".into(),
        administrative_area: "Tokyo".into(),
        ..tokyo()
    };
    assert_eq!(
        format_for_label(&latin).unwrap(),
        ["1-1 Marunouchi, Chiyoda-ku, TOKYO", "100-0005", "JAPAN"]
    );
}

fn shanghai() -> Address {
    Address {
        country: "CN".into(),
        address_lines: vec!["曹安公路4800号".into()],
        locality: "Jiading".into(),
        administrative_area: "Shanghai".into(),
        postal_code: "201800".into(),
        ..Address::default()
    }
}

#[test]
fn script_is_chosen_explicitly() {
    let local = config(LabelStyle::Postal, LabelScript::Local, None);
    let latin = config(LabelStyle::Postal, LabelScript::Latin, None);
    assert_eq!(
        format_label(&shanghai(), &local).unwrap(),
        ["201800", "上海市嘉定区", "曹安公路4800号", "CHINA"]
    );
    // Latin names of the province and the district; the street line has none and is
    // transliterated.
    assert_eq!(
        format_label(&shanghai(), &latin).unwrap(),
        [
            "Cao An Gong Lu 4800Hao",
            "Jiading Qu",
            "SHANGHAI SHI, 201800",
            "CHINA"
        ]
    );
    let display_latin = config(LabelStyle::Display, LabelScript::Latin, None);
    assert_eq!(
        format_label(&shanghai(), &display_latin).unwrap(),
        [
            "Cao An Gong Lu 4800Hao",
            "Jiading Qu",
            "Shanghai Shi, 201800",
            "China"
        ]
    );
    // Latin asked for a Japanese address written in kanji: the Latin format, the
    // prefecture's Latin name, the rest transliterated.
    assert_eq!(
        format_label(&tokyo(), &latin).unwrap(),
        [
            "Wan noNei 1-1, Qian Dai Tian Qu, TOKYO",
            "100-0005",
            "JAPAN"
        ]
    );
    // Local asked for a Japanese address written in Latin letters: the local format.
    let romaji = Address {
        address_lines: vec!["1-1 Marunouchi".into()],
        locality: "Chiyoda-ku".into(),
        ..tokyo()
    };
    assert_eq!(
        format_label(&romaji, &local).unwrap(),
        ["〒100-0005", "東京都Chiyoda-ku", "1-1 Marunouchi", "JAPAN"]
    );
}

#[test]
fn label_options_in_json() {
    let json = r#"{"label_style": "display", "label_script": "latin", "origin_country": "CN"}"#;
    let config: AddressConfig = serde_json::from_str(json).unwrap();
    assert_eq!(config.label_style, LabelStyle::Display);
    assert_eq!(config.label_script, LabelScript::Latin);
    assert_eq!(
        format_label(&shanghai(), &config).unwrap(),
        [
            "Cao An Gong Lu 4800Hao",
            "Jiading Qu",
            "Shanghai Shi, 201800"
        ]
    );
}
