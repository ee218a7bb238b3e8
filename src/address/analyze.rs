//! The analysis stage: resolution, canonical form, validation, street components, label
//! and match key of one address, behind every public function of the module.

use super::data::CountryData;
use super::street::{self, Dictionaries};
use super::{
    codes, country, label, locality, postal, text, Address, AddressConfig, AddressOutcome, Change,
    LabelStyle, Problem, StreetLine,
};
use crate::Error;

fn check_lengths(address: &Address, config: &AddressConfig) -> Result<(), Error> {
    let max = config.max_field_bytes;
    let fields: [(&str, &String); 8] = [
        ("country", &address.country),
        ("locality", &address.locality),
        ("dependent_locality", &address.dependent_locality),
        ("administrative_area", &address.administrative_area),
        ("postal_code", &address.postal_code),
        ("sorting_code", &address.sorting_code),
        ("organization", &address.organization),
        ("recipient", &address.recipient),
    ];
    let too_long = |field: String, len: usize| {
        Error::invalid(
            field,
            format!("{len} bytes is longer than the limit of {max} bytes (the configuration's `max_field_bytes`)"),
        )
    };
    for (name, value) in fields {
        if value.len() > max {
            return Err(too_long(name.to_string(), value.len()));
        }
    }
    if address.address_lines.len() > config.max_address_lines {
        return Err(Error::invalid(
            "address_lines",
            format!(
                "{} lines is more than the limit of {} (AddressConfig::max_address_lines)",
                address.address_lines.len(),
                config.max_address_lines
            ),
        ));
    }
    for (i, line) in address.address_lines.iter().enumerate() {
        if line.len() > max {
            return Err(too_long(format!("address_lines[{i}]"), line.len()));
        }
    }
    Ok(())
}

pub(crate) fn problem(field: impl Into<String>, code: &str, message: String) -> Problem {
    Problem {
        field: field.into(),
        code: code.to_string(),
        message,
    }
}

fn field_letter_name(letter: char) -> &'static str {
    match letter {
        'N' => "recipient",
        'O' => "organization",
        'A' => "address_lines",
        'D' => "dependent_locality",
        'C' => "locality",
        'S' => "administrative_area",
        'Z' => "postal_code",
        'X' => "sorting_code",
        _ => "",
    }
}

/// The format letters (`%A`, `%C`, ...) a country uses.
fn uses(country: &CountryData, letter: char) -> bool {
    let mut chars = country.fmt.chars();
    while let Some(c) = chars.next() {
        if c == '%' && chars.next() == Some(letter) {
            return true;
        }
    }
    // Countries that name no format use the default one.
    country.fmt.is_empty() && matches!(letter, 'N' | 'O' | 'A' | 'C')
}

fn describe_postal(country: &CountryData) -> &'static str {
    match country.postal_name {
        "zip" => "ZIP code",
        "pin" => "PIN code",
        "eircode" => "Eircode",
        _ => "postal code",
    }
}

fn first_example(examples: &str) -> &str {
    examples.split(',').next().unwrap_or("")
}

/// Runs every built-in step: resolution, canonical form, validation, components,
/// label and match key.
pub(crate) fn analyze(address: &Address, config: &AddressConfig) -> Result<AddressOutcome, Error> {
    analyze_for(address, config, Want::ALL)
}

/// Which optional outputs a caller needs (validation and the canonical fields other than
/// street lines are always computed).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Want {
    street: bool,
    components: bool,
    label: bool,
    key: bool,
}

impl Want {
    pub(crate) const ALL: Want = Want {
        street: true,
        components: true,
        label: true,
        key: true,
    };
    pub(crate) const PROBLEMS: Want = Want {
        street: false,
        components: false,
        label: false,
        key: false,
    };
    pub(crate) const CANONICAL: Want = Want {
        street: true,
        components: false,
        label: false,
        key: false,
    };
    pub(crate) const KEY: Want = Want {
        street: true,
        components: false,
        label: false,
        key: true,
    };
    pub(crate) const LABEL: Want = Want {
        street: true,
        components: false,
        label: true,
        key: false,
    };
}

pub(crate) fn analyze_for(
    address: &Address,
    config: &AddressConfig,
    want: Want,
) -> Result<AddressOutcome, Error> {
    check_lengths(address, config)?;
    let origin = match config.origin_country.as_deref() {
        Some(text) if want.label => Some(country::find_country(text).ok_or_else(|| {
            Error::invalid(
                "origin_country",
                format!("unknown country `{text}`; use an ISO 3166-1 code such as `DE`"),
            )
        })?),
        _ => None,
    };
    let mut problems = Vec::new();
    let mut changes = Vec::new();
    let clean = text::clean;
    let mut canonical = Address {
        country: clean(&address.country),
        address_lines: address
            .address_lines
            .iter()
            .map(|l| clean(l))
            .filter(|l| !l.is_empty())
            .collect(),
        locality: clean(&address.locality),
        dependent_locality: clean(&address.dependent_locality),
        administrative_area: clean(&address.administrative_area),
        postal_code: clean(&address.postal_code),
        sorting_code: clean(&address.sorting_code),
        organization: clean(&address.organization),
        recipient: clean(&address.recipient),
    };
    let country_text = if canonical.country.is_empty() {
        config.default_country.as_deref().unwrap_or("")
    } else {
        canonical.country.as_str()
    };
    let country = if country_text.is_empty() {
        problems.push(problem(
            "country",
            codes::MISSING_REQUIRED_FIELD,
            "the country is required".to_string(),
        ));
        None
    } else {
        let found = country::find_country(country_text);
        if found.is_none() {
            problems.push(problem(
                "country",
                codes::UNKNOWN_VALUE,
                format!("unknown country `{country_text}`; use an ISO 3166-1 code such as `DE` or a country name"),
            ));
        }
        found
    };
    let Some(country) = country else {
        let dicts = Dictionaries::for_languages(&["en"]);
        let mut street_words = Vec::new();
        let key = if want.key {
            for line in &canonical.address_lines {
                street::parse(line, &dicts).key_words(&dicts, &mut street_words);
            }
            key_of(&canonical, None, &street_words)
        } else {
            String::new()
        };
        return Ok(AddressOutcome {
            valid: false,
            country: None,
            problems,
            changes,
            street: canonical
                .address_lines
                .iter()
                .map(|l| StreetLine {
                    text: l.clone(),
                    ..StreetLine::default()
                })
                .collect(),
            label: Vec::new(),
            canonical,
            match_key: key,
        });
    };
    canonical.country = country.code.to_string();
    // The fields as typed, for display labels.
    let display = want.label && config.label_style == LabelStyle::Display;
    let mut written = if display {
        Address {
            address_lines: Vec::with_capacity(canonical.address_lines.len()),
            ..canonical.clone()
        }
    } else {
        Address::default()
    };

    // Subdivision.
    let mut subdivision = None;
    if !canonical.administrative_area.is_empty() && !country.subdivisions.is_empty() {
        match country::find_subdivision(country, &canonical.administrative_area) {
            Some((index, data)) => {
                subdivision = Some(index);
                canonical.administrative_area = data.key.to_string();
            }
            None if uses(country, 'S') => problems.push(problem(
                "administrative_area",
                codes::UNKNOWN_VALUE,
                format!(
                    "unknown {} `{}` in {}",
                    country.area_name.replace('_', " "),
                    canonical.administrative_area,
                    country.code
                ),
            )),
            None => {}
        }
    }

    // Cities and districts, where the data lists them; what the subdivision replaces.
    let sub_data = subdivision.and_then(|s| country.subdivisions.get(s));
    let places = match sub_data {
        Some(data) => locality::resolve(country, data, &mut canonical, &mut problems),
        None => locality::Places::default(),
    };
    let replaced = sub_data.and_then(locality::override_of);
    let replaced_pattern = sub_data.and_then(locality::override_regex);

    // Postal code.
    if !canonical.postal_code.is_empty() {
        let postal = postal::canonicalize_with(
            country,
            replaced_pattern,
            &canonical.postal_code,
            config.repair_postal_codes,
        );
        if let Some(prefix) = &postal.prefix_removed {
            changes.push(Change {
                field: "postal_code".to_string(),
                code: codes::POSTAL_PREFIX_REMOVED.to_string(),
                message: format!(
                    "removed the postal prefix `{prefix}` from `{}`; labels add `{}` themselves",
                    canonical.postal_code, country.postal_prefix
                ),
            });
        }
        if postal.zeros_restored {
            changes.push(Change {
                field: "postal_code".to_string(),
                code: codes::LEADING_ZEROS_RESTORED.to_string(),
                message: format!(
                    "restored leading zeros: `{}` became `{}`",
                    canonical.postal_code, postal.canonical
                ),
            });
        }
        if !postal.valid {
            let message = match (replaced, sub_data) {
                (Some(over), Some(data)) if replaced_pattern.is_some() => format!(
                    "{} `{}` does not have the format used in {} ({}): {}",
                    describe_postal(country),
                    canonical.postal_code,
                    data.key,
                    country.code,
                    over.postal_pattern
                ),
                _ => format!(
                    "{} `{}` does not have the format used in {}; example: {}",
                    describe_postal(country),
                    canonical.postal_code,
                    country.code,
                    first_example(country.postal_examples)
                ),
            };
            problems.push(problem("postal_code", codes::INVALID_FORMAT, message));
        } else if let Some(mismatch) = config
            .check_postal_code_subdivision
            .then(|| {
                // The subdivision's own prefix is checked once, for both checks.
                let outside = subdivision
                    .and_then(|sub| postal::subdivision_regex(country, sub))
                    .is_some_and(|r| !r.is_match(&postal.canonical));
                if outside {
                    subdivision.map(Mismatch::Subdivision)
                } else {
                    locality_postal_mismatch(country, &places, &postal.canonical)
                        .map(Mismatch::Place)
                }
            })
            .flatten()
        {
            match mismatch {
                Mismatch::Place(problem) => problems.push(problem),
                Mismatch::Subdivision(sub) => {
                    let data = country.subdivisions.get(sub);
                    let examples = data.map(|d| d.postal_examples).unwrap_or("");
                    let hint = if examples.is_empty() {
                        format!(
                            "its codes begin with {}",
                            data.map(|d| d.postal_pattern)
                                .unwrap_or("")
                                .replace('|', " or ")
                        )
                    } else {
                        format!("its codes look like {}", examples.replace(',', ", "))
                    };
                    problems.push(problem(
                        "postal_code",
                        codes::MISMATCHING_VALUE,
                        format!(
                            "{} `{}` does not belong to {} ({}); {hint}",
                            describe_postal(country),
                            postal.canonical,
                            data.map(|d| d.name).unwrap_or(""),
                            canonical.administrative_area,
                        ),
                    ));
                }
            }
        }
        canonical.postal_code = postal.canonical;
        if country.postal_pattern.is_empty() && !uses(country, 'Z') {
            problems.push(problem(
                "postal_code",
                codes::UNEXPECTED_FIELD,
                format!("{} does not use postal codes", country.name),
            ));
        }
    }

    // Required and unexpected fields.
    let require = replaced
        .map(|o| o.require)
        .filter(|r| !r.is_empty())
        .unwrap_or(country.require);
    for letter in require.chars() {
        let empty = match letter {
            'A' => canonical.address_lines.is_empty(),
            'C' => canonical.locality.is_empty(),
            'D' => canonical.dependent_locality.is_empty(),
            'S' => canonical.administrative_area.is_empty(),
            'Z' => canonical.postal_code.is_empty(),
            'X' => canonical.sorting_code.is_empty(),
            'N' => canonical.recipient.is_empty(),
            'O' => canonical.organization.is_empty(),
            _ => false,
        };
        if empty {
            let name = field_letter_name(letter);
            let what = match letter {
                'C' => format!("locality ({})", country.locality_name.replace('_', " ")),
                'S' => format!(
                    "administrative area ({})",
                    country.area_name.replace('_', " ")
                ),
                'Z' => describe_postal(country).to_string(),
                _ => name.replace('_', " "),
            };
            problems.push(problem(
                name,
                codes::MISSING_REQUIRED_FIELD,
                format!("{what} is required in {}", country.code),
            ));
        }
    }
    for (letter, value) in [
        ('D', &canonical.dependent_locality),
        ('S', &canonical.administrative_area),
        ('X', &canonical.sorting_code),
    ] {
        if !value.is_empty() && !uses(country, letter) {
            let name = field_letter_name(letter);
            problems.push(problem(
                name,
                codes::UNEXPECTED_FIELD,
                format!(
                    "{} addresses do not use {} (got `{value}`)",
                    country.code,
                    name.replace('_', " ")
                ),
            ));
        }
    }
    if !canonical.locality.is_empty() && !uses(country, 'C') && uses(country, 'S') {
        // Ordinary forms have a city field; the country writes the city with the
        // administrative area (Japan: `東京都千代田区`), so the label places it there.
        changes.push(Change {
            field: "locality".to_string(),
            code: codes::LOCALITY_KEPT.to_string(),
            message: format!(
                "{} addresses have no separate locality line; `{}` is kept and written with the {} on the label",
                country.code,
                canonical.locality,
                country.area_name.replace('_', " ")
            ),
        });
    } else if !canonical.locality.is_empty() && !uses(country, 'C') {
        problems.push(problem(
            "locality",
            codes::UNEXPECTED_FIELD,
            format!(
                "{} addresses do not use a locality (got `{}`)",
                country.code, canonical.locality
            ),
        ));
    }

    // Street lines and upper case.
    let dicts = Dictionaries::for_languages(country.languages);
    let upper = country.upper;
    let usps = matches!(country.code, "US" | "PR" | "VI" | "GU" | "AS" | "MP");
    let mut street = Vec::with_capacity(canonical.address_lines.len());
    let mut lines = Vec::with_capacity(canonical.address_lines.len());
    let mut street_words = Vec::new();
    let street_lines: &[String] = if want.street {
        &canonical.address_lines
    } else {
        &[]
    };
    for line in street_lines {
        let parsed = street::parse(line, &dicts);
        if display {
            written.address_lines.push(parsed.display_line(line));
        }
        if want.components {
            street.push(parsed.components(line));
        }
        if usps {
            // Abbreviating can change how a line reads (`Apt North` → `APT N`, where `N`
            // now looks like a unit); iterate to a fixed point so that the canonical line
            // is stable, and key the line by the parse of its canonical form.
            let mut current = text::upper(&parsed.usps_line(&dicts));
            let upper_input = text::upper(line);
            if current == upper_input {
                // Already canonical: parsing it again reads the same words (lookups
                // ignore case), so the fixed point is reached.
                if want.key {
                    parsed.key_words(&dicts, &mut street_words);
                }
                lines.push(current);
                continue;
            }
            let mut reparsed = street::parse(&current, &dicts);
            for _ in 0..3 {
                let next = text::upper(&reparsed.usps_line(&dicts));
                if next == current {
                    break;
                }
                current = next;
                reparsed = street::parse(&current, &dicts);
            }
            if want.key {
                reparsed.key_words(&dicts, &mut street_words);
            }
            lines.push(if current.is_empty() {
                line.clone()
            } else {
                current
            });
        } else {
            if want.key {
                parsed.key_words(&dicts, &mut street_words);
            }
            lines.push(if upper.contains('A') {
                text::upper(line)
            } else {
                line.clone()
            });
        }
    }
    if want.street {
        canonical.address_lines = lines;
    }
    for (letter, value) in [
        ('C', &mut canonical.locality),
        ('D', &mut canonical.dependent_locality),
        ('S', &mut canonical.administrative_area),
        ('N', &mut canonical.recipient),
        ('O', &mut canonical.organization),
        ('X', &mut canonical.sorting_code),
    ] {
        if upper.contains(letter) {
            *value = text::upper(value);
        }
    }
    // Keys of subdivisions are canonical as Google spells them.
    if let Some(data) = subdivision.and_then(|s| country.subdivisions.get(s)) {
        canonical.administrative_area = data.key.to_string();
    }

    let label = if want.label {
        if display {
            written.postal_code.clone_from(&canonical.postal_code);
            written.sorting_code.clone_from(&canonical.sorting_code);
        }
        label::render(&label::LabelInput {
            country,
            subdivision: sub_data,
            places: &places,
            canonical: &canonical,
            written: &written,
            style: config.label_style,
            script: config.label_script,
            domestic: origin.is_some_and(|o| std::ptr::eq(o, country)),
            country_line: config.label_country_line,
        })
    } else {
        Vec::new()
    };
    let key = if want.key {
        key_of(&canonical, Some(country), &street_words)
    } else {
        String::new()
    };
    Ok(AddressOutcome {
        valid: problems.is_empty(),
        country: Some(country.code.to_string()),
        problems,
        changes,
        canonical,
        street,
        label,
        match_key: key,
    })
}

/// A postal code outside its subdivision's prefix, or outside a city's or district's.
enum Mismatch {
    /// The code does not start with the prefix of this subdivision.
    Subdivision(usize),
    /// The code starts with the subdivision's prefix, not with a place's.
    Place(Problem),
}

/// The first city or district whose postal prefix `code` does not start with, as a
/// `mismatching_value` problem (the caller checks the subdivision's own prefix first).
fn locality_postal_mismatch(
    country: &CountryData,
    places: &locality::Places,
    code: &str,
) -> Option<Problem> {
    for place in [places.locality, places.dependent].into_iter().flatten() {
        let Some(regex) = locality::postal_regex(&place) else {
            continue;
        };
        if !regex.is_match(code) {
            return Some(problem(
                "postal_code",
                codes::MISMATCHING_VALUE,
                format!(
                    "{} `{code}` does not belong to {} ({}); its codes begin with {}",
                    describe_postal(country),
                    place.key,
                    if place.latin_name.is_empty() {
                        country.code
                    } else {
                        place.latin_name
                    },
                    place.postal_pattern.replace('|', " or ")
                ),
            ));
        }
    }
    None
}

/// The match key of an address whose fields are already canonical.
fn key_of(canonical: &Address, country: Option<&CountryData>, street_words: &[String]) -> String {
    let words = |s: &str| text::ascii_words(&text::fold(s));
    let mut out = String::new();
    match country {
        Some(c) => out.push_str(&c.code.to_ascii_lowercase()),
        None => out.push_str(&words(&canonical.country)),
    }
    out.push('|');
    out.push_str(&postal::core(&canonical.postal_code).to_ascii_lowercase());
    out.push('|');
    out.push_str(&words(&canonical.administrative_area));
    out.push('|');
    out.push_str(&words(&canonical.locality));
    out.push('|');
    out.push_str(&words(&canonical.dependent_locality));
    out.push('|');
    out.push_str(&street_words.join(" "));
    out
}
