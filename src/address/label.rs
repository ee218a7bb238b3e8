//! Label lines in the country's format: postal or display style, local or Latin script,
//! international or domestic.

use super::data::{CountryData, SubdivisionData};
use super::locality::{Locality, Places};
use super::text;
use super::Address;
use serde::{Deserialize, Serialize};

/// How label lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelStyle {
    /// For the post: the canonical fields, upper case where the country's data says so
    /// (`upper`), US lines in USPS Publication 28 form (`1600 AMPHITHEATRE PKWY`).
    #[default]
    Postal,
    /// As a person writes the address: the fields in the case they were typed, street
    /// types and directionals spelled out (`1600 Amphitheatre Parkway`), and the full
    /// name of a subdivision whose key is an abbreviation with full stops (Mexico's
    /// `Jal.` is `Jalisco`; codes such as `CA` or `NSW` stay, as they are written).
    Display,
}

/// Which script a label is written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelScript {
    /// Latin when the country has a Latin format (`lfmt`) and the street lines,
    /// locality and dependent locality are written without other scripts; otherwise
    /// local.
    #[default]
    Auto,
    /// The country's own format and names (`東京都`, `嘉定区`).
    Local,
    /// The Latin format (`lfmt`, the local one where there is none) and Latin names of
    /// subdivisions, cities and districts; text with no Latin name is transliterated
    /// (`中山路` is `Zhong Shan Lu`).
    Latin,
}

enum Piece<'a> {
    Literal(&'a str),
    Field(char),
}

/// Everything a label is rendered from.
pub(crate) struct LabelInput<'a> {
    pub country: &'a CountryData,
    pub subdivision: Option<&'a SubdivisionData>,
    pub places: &'a Places,
    /// The canonical address.
    pub canonical: &'a Address,
    /// The address as written (cleaned), with display street lines; for display style.
    pub written: &'a Address,
    pub style: LabelStyle,
    pub script: LabelScript,
    /// Origin and destination are the same country: no postal prefix, no country line.
    pub domestic: bool,
    pub country_line: bool,
}

fn value<'a>(address: &'a Address, field: char) -> Vec<&'a str> {
    let one = |s: &'a String| {
        if s.is_empty() {
            vec![]
        } else {
            vec![s.as_str()]
        }
    };
    match field {
        'N' => one(&address.recipient),
        'O' => one(&address.organization),
        'A' => address
            .address_lines
            .iter()
            .filter(|l| !l.is_empty())
            .map(String::as_str)
            .collect(),
        'D' => one(&address.dependent_locality),
        'C' => one(&address.locality),
        'S' => one(&address.administrative_area),
        'Z' => one(&address.postal_code),
        'X' => one(&address.sorting_code),
        _ => vec![],
    }
}

fn non_latin(s: &str) -> bool {
    s.chars().any(|c| c.is_alphabetic() && c > '\u{024F}')
}

/// Whether any letter of the address is outside the Latin script (the administrative
/// area is left out: it is the subdivision's key, which may be in the local script).
fn has_non_latin(address: &Address) -> bool {
    let fields = [&address.locality, &address.dependent_locality];
    fields
        .into_iter()
        .chain(address.address_lines.iter())
        .any(|s| non_latin(s))
}

/// `s` in Latin script: transliterated when it has other letters (`中山路` is
/// `Zhong Shan Lu`).
fn latin(s: &str) -> String {
    if non_latin(s) {
        deunicode::deunicode_with_tofu(s, "").trim().to_string()
    } else {
        s.to_string()
    }
}

/// A city's or district's name in the chosen script.
fn place_name(place: Option<Locality>, written: &str, latin_script: bool) -> String {
    match place {
        Some(p) if latin_script && !p.latin_name.is_empty() => p.latin_name.to_string(),
        Some(p) if latin_script => latin(p.key),
        Some(p) => p.key.to_string(),
        None if latin_script => latin(written),
        None => written.to_string(),
    }
}

/// The format with the fields the country's format leaves out but the address has put
/// where the country writes them: a city beside the administrative area (Japan:
/// `東京都千代田区` in the local format, `…, Chiyoda-ku, Tokyo` in the Latin one), and
/// without the postal prefix at home (`HR-%Z` is `%Z`).
fn effective_fmt(country: &CountryData, fmt: &str, address: &Address, domestic: bool) -> String {
    let mut fmt = fmt.to_string();
    if domestic && !country.postal_prefix.is_empty() {
        fmt = fmt.replace(&format!("{}%Z", country.postal_prefix), "%Z");
    }
    if !address.locality.is_empty() && !fmt.contains("%C") && fmt.contains("%S") {
        let big_endian = match (fmt.find("%S"), fmt.find("%A")) {
            (Some(s), Some(a)) => s < a,
            _ => false,
        };
        fmt = if big_endian {
            fmt.replacen("%S", "%S%C", 1)
        } else {
            fmt.replacen("%S", "%C, %S", 1)
        };
    }
    fmt
}

/// Renders the label lines of `input`.
pub(crate) fn render(input: &LabelInput<'_>) -> Vec<String> {
    let country = input.country;
    let latin_script = match input.script {
        LabelScript::Auto => !country.latin_fmt.is_empty() && !has_non_latin(input.canonical),
        LabelScript::Local => false,
        LabelScript::Latin => true,
    };
    let base_fmt = if latin_script && !country.latin_fmt.is_empty() {
        country.latin_fmt
    } else {
        country.fmt
    };
    let display = input.style == LabelStyle::Display;
    let source = if display {
        input.written
    } else {
        input.canonical
    };
    let mut address = source.clone();
    // Subdivision, city and district names in the chosen script and style.
    if let Some(sub) = input.subdivision {
        address.administrative_area = if latin_script && non_latin(sub.key) {
            if sub.latin_name.is_empty() {
                latin(sub.name)
            } else {
                sub.latin_name.to_string()
            }
        } else if display && sub.key.contains('.') && sub.name != sub.key {
            sub.name.to_string()
        } else if display {
            // A code as it is written (`CA`), or the local name.
            if sub
                .key
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            {
                sub.key.to_string()
            } else {
                sub.name.to_string()
            }
        } else {
            sub.key.to_string()
        };
    } else if latin_script {
        address.administrative_area = latin(&address.administrative_area);
    }
    if input.places.locality.is_some() || latin_script {
        address.locality = place_name(input.places.locality, &address.locality, latin_script);
    }
    if input.places.dependent.is_some() || latin_script {
        address.dependent_locality = place_name(
            input.places.dependent,
            &address.dependent_locality,
            latin_script,
        );
    }
    if latin_script {
        for line in &mut address.address_lines {
            *line = latin(line);
        }
        address.recipient = latin(&address.recipient);
        address.organization = latin(&address.organization);
    }
    if !display {
        for (letter, value) in [
            ('C', &mut address.locality),
            ('D', &mut address.dependent_locality),
            ('S', &mut address.administrative_area),
            ('N', &mut address.recipient),
            ('O', &mut address.organization),
            ('X', &mut address.sorting_code),
        ] {
            if country.upper.contains(letter) {
                *value = text::upper(value);
            }
        }
        if country.upper.contains('A') {
            for line in &mut address.address_lines {
                *line = text::upper(line);
            }
        }
    }
    let fmt = effective_fmt(country, base_fmt, &address, input.domestic);
    let address = &address;
    let mut lines: Vec<String> = Vec::new();
    for template in fmt.split("%n") {
        // Split the template line into literals and fields.
        let mut pieces = Vec::new();
        let mut rest = template;
        while let Some(pos) = rest.find('%') {
            if pos > 0 {
                pieces.push(Piece::Literal(rest.get(..pos).unwrap_or("")));
            }
            let after = rest.get(pos + 1..).unwrap_or("");
            let mut chars = after.chars();
            match chars.next() {
                Some(c) => {
                    pieces.push(Piece::Field(c));
                    rest = chars.as_str();
                }
                None => {
                    rest = "";
                }
            }
        }
        if !rest.is_empty() {
            pieces.push(Piece::Literal(rest));
        }
        let has_fields = pieces.iter().any(|p| matches!(p, Piece::Field(_)));
        if !has_fields {
            let text: String = pieces
                .iter()
                .map(|p| match p {
                    Piece::Literal(s) => *s,
                    Piece::Field(_) => "",
                })
                .collect();
            if !text.trim().is_empty() {
                lines.push(text.trim().to_string());
            }
            continue;
        }
        // A field that expands to several lines (%A) is emitted line by line.
        let filled: Vec<Option<Vec<&str>>> = pieces
            .iter()
            .map(|p| match p {
                Piece::Field(c) => {
                    let v = value(address, *c);
                    if v.is_empty() {
                        None
                    } else {
                        Some(v)
                    }
                }
                Piece::Literal(_) => None,
            })
            .collect();
        let nonempty = |i: usize| filled.get(i).is_some_and(Option::is_some);
        let mut current = String::new();
        for (i, piece) in pieces.iter().enumerate() {
            match piece {
                Piece::Literal(text) => {
                    let before = (0..i).any(nonempty);
                    let after = (i + 1..pieces.len()).any(nonempty);
                    let first_field_after = (i + 1..pieces.len())
                        .find(|j| matches!(pieces.get(*j), Some(Piece::Field(_))));
                    let keep = if i == 0 {
                        first_field_after.is_some_and(nonempty)
                    } else {
                        before && (after || i + 1 == pieces.len())
                    };
                    if keep {
                        current.push_str(text);
                    }
                }
                Piece::Field(_) => {
                    if let Some(Some(values)) = filled.get(i) {
                        let mut iter = values.iter();
                        if let Some(first) = iter.next() {
                            current.push_str(first);
                        }
                        for more in iter {
                            lines.push(std::mem::take(&mut current));
                            current.push_str(more);
                        }
                    }
                }
            }
        }
        let trimmed = current.trim();
        if !trimmed.is_empty() {
            lines.push(trimmed.to_string());
        }
    }
    lines.retain(|l| !l.is_empty());
    if input.country_line && !input.domestic && !country.name.is_empty() {
        lines.push(if display {
            country.name.to_string()
        } else {
            text::upper(country.name)
        });
    }
    lines
}
