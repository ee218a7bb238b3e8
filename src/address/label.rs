//! Label lines in the country's format.

use super::data::{CountryData, SubdivisionData};
use super::Address;

enum Piece<'a> {
    Literal(&'a str),
    Field(char),
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

/// Whether any letter of the address is outside the Latin script (the administrative
/// area is left out: it is the subdivision's key, which may be in the local script).
fn has_non_latin(address: &Address) -> bool {
    let fields = [&address.locality, &address.dependent_locality];
    fields
        .into_iter()
        .chain(address.address_lines.iter())
        .any(|s| s.chars().any(|c| c.is_alphabetic() && c > '\u{024F}'))
}

/// Renders `address` (already canonical) with the country's format.
pub(crate) fn render(
    country: &CountryData,
    subdivision: Option<&SubdivisionData>,
    address: &Address,
    country_line: bool,
) -> Vec<String> {
    let latin = !country.latin_fmt.is_empty() && !has_non_latin(address);
    let fmt = if latin {
        country.latin_fmt
    } else {
        country.fmt
    };
    // A Latin-script label names the subdivision in Latin script (`Tokyo`, not `東京都`).
    let latin_area;
    let address = match subdivision {
        Some(sub) if latin && !sub.latin_name.is_empty() => {
            latin_area = Address {
                administrative_area: if country.upper.contains('S') {
                    super::text::upper(sub.latin_name)
                } else {
                    sub.latin_name.to_string()
                },
                ..address.clone()
            };
            &latin_area
        }
        _ => address,
    };
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
    if country_line && !country.name.is_empty() {
        lines.push(super::text::upper(country.name));
    }
    lines
}
