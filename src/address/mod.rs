//! Addresses: country resolution, per-country validation, canonical form, match keys.
//!
//! Everything runs offline on embedded tables generated from Google's address metadata
//! (per-country required fields, postal-code patterns, subdivisions, label formats),
//! libpostal's abbreviation dictionaries and a curated table of country names (see
//! NOTICE). Nothing is read at run time; postal-code patterns compile lazily, once per
//! country, on first use.
//!
//! ```
//! use backoffice::address::{self, Address};
//!
//! let input = Address {
//!     country: "USA".into(),
//!     address_lines: vec!["1600 Amphitheatre Parkway".into()],
//!     locality: "Mountain View".into(),
//!     administrative_area: "california".into(),
//!     postal_code: "94043".into(),
//!     ..Address::default()
//! };
//! assert!(address::validate(&input)?.is_empty());
//!
//! let canonical = address::normalize(&input)?;
//! assert_eq!(canonical.country, "US");
//! assert_eq!(canonical.address_lines, ["1600 AMPHITHEATRE PKWY"]);
//! assert_eq!(canonical.locality, "MOUNTAIN VIEW");
//! assert_eq!(canonical.administrative_area, "CA");
//!
//! assert_eq!(
//!     address::format_for_label(&input)?,
//!     ["1600 AMPHITHEATRE PKWY", "MOUNTAIN VIEW, CA 94043", "UNITED STATES"]
//! );
//!
//! let wrong_zip = Address { postal_code: "9404".into(), ..input.clone() };
//! let problems = address::validate(&wrong_zip)?;
//! assert_eq!(problems[0].code, "invalid_format");
//! assert_eq!(problems[0].field, "postal_code");
//! # Ok::<(), backoffice::Error>(())
//! ```
//!
//! Use [`AddressEngine`] to add a policy (`validate(address)` may add problems) and to
//! get a [`Decision`](crate::Decision) with reasons.
//!
//! [`expand`](mod@expand) gives every plausible normalised form of a street or place
//! string (libpostal's dictionaries, 60 languages); its items are also re-exported here.

mod country;
mod data;
mod engine;
pub mod expand;
mod label;
mod locality;
mod postal;
mod street;
mod text;
mod usps;

pub use country::{country_codes, resolve_country, subdivisions, CountryInfo, SubdivisionInfo};
pub use engine::{AddressEngine, AddressRequest, HOOKS};
pub use expand::{
    expand, expand_root, expansion_languages, ExpandOptions, DEFAULT_MAX_FORMS, MAX_FORMS,
};
pub use label::{LabelScript, LabelStyle};
pub use street::{PoBox, SecondaryUnit, StreetLine};
pub use text::fold;

use crate::Error;
use data::CountryData;
use serde::{Deserialize, Serialize};
use street::Dictionaries;

/// Stable problem codes of the built-in checks.
pub mod codes {
    /// A field the country requires is empty.
    pub const MISSING_REQUIRED_FIELD: &str = "missing_required_field";
    /// The postal code does not match the country's pattern.
    pub const INVALID_FORMAT: &str = "invalid_format";
    /// The postal code does not belong to the given subdivision.
    pub const MISMATCHING_VALUE: &str = "mismatching_value";
    /// The country or subdivision is not recognised.
    pub const UNKNOWN_VALUE: &str = "unknown_value";
    /// A field the country does not use is filled in.
    pub const UNEXPECTED_FIELD: &str = "unexpected_field";
    /// Change: the country's postal prefix (`CH-`) was removed from the postal code.
    pub const POSTAL_PREFIX_REMOVED: &str = "postal_prefix_removed";
    /// Change: lost leading zeros of the postal code were restored (repairs on).
    pub const LEADING_ZEROS_RESTORED: &str = "leading_zeros_restored";
    /// Note: a locality the country's format leaves out (a Japanese city) was kept and
    /// placed on the label where the country's practice writes it.
    pub const LOCALITY_KEPT: &str = "locality_kept";
}

/// A postal address as entered: every field free text, empty when absent.
///
/// JSON: `{"country": "DE", "address_lines": ["Hauptstr. 5"], "locality": "Berlin",
/// "postal_code": "10115"}`; omitted fields are empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Address {
    /// Country: ISO code (alpha-2, alpha-3, numeric) or a name in a supported language.
    pub country: String,
    /// Street lines (street, house number, unit, PO box), in order.
    pub address_lines: Vec<String>,
    /// City or town.
    pub locality: String,
    /// District or neighbourhood within the locality, where the country uses one.
    pub dependent_locality: String,
    /// State, province, prefecture, ... (code or name).
    pub administrative_area: String,
    /// Postal or ZIP code.
    pub postal_code: String,
    /// CEDEX-style sorting code, where the country uses one.
    pub sorting_code: String,
    /// Company or organisation.
    pub organization: String,
    /// The person the item is for.
    pub recipient: String,
}

/// One thing wrong with an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Problem {
    /// The field at fault: `country`, `address_lines[0]`, `postal_code`, ...
    pub field: String,
    /// Stable code (see [`codes`]; policies may add their own).
    pub code: String,
    /// Human-readable explanation with the value that was wrong.
    pub message: String,
}

/// One change the canonical form made to content (not just case or spacing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// The field that changed.
    pub field: String,
    /// Stable code: `postal_prefix_removed`, `leading_zeros_restored`.
    pub code: String,
    /// What was changed, from what to what.
    pub message: String,
}

/// How the address engine checks and canonicalises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AddressConfig {
    /// Check that the postal code belongs to the given subdivision (`mismatching_value`).
    /// Sources disagree on some ranges, so this can be switched off. Default: on.
    pub check_postal_code_subdivision: bool,
    /// Repair postal codes in ways that change content (restore lost leading zeros),
    /// reporting each repair as a [`Change`]. Default: off.
    pub repair_postal_codes: bool,
    /// Longest accepted field value in bytes; longer input is an
    /// [`Error::InvalidInput`] naming the field. Default: 1000.
    pub max_field_bytes: usize,
    /// Most address lines accepted. Default: 8.
    pub max_address_lines: usize,
    /// Country used when the address names none (code or name). Default: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_country: Option<String>,
    /// End label lines with the country's name (for international shipments; never
    /// on a domestic label, see `origin_country`). Default: on.
    pub label_country_line: bool,
    /// Postal (upper case where the country says so, USPS forms) or display (as a
    /// person writes it) labels. Default: postal.
    pub label_style: LabelStyle,
    /// The script of labels: local, Latin, or chosen from the address. Default: auto.
    pub label_script: LabelScript,
    /// The sender's country (code or name). When it is the destination, labels are
    /// domestic: no international postal prefix (`HR-10105 ZAGREB` is `10105 ZAGREB`)
    /// and no country line. Default: none (international labels).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_country: Option<String>,
}

impl Default for AddressConfig {
    fn default() -> Self {
        AddressConfig {
            check_postal_code_subdivision: true,
            repair_postal_codes: false,
            max_field_bytes: 1000,
            max_address_lines: 8,
            default_country: None,
            label_country_line: true,
            label_style: LabelStyle::Postal,
            label_script: LabelScript::Auto,
            origin_country: None,
        }
    }
}

/// Everything the engine found out about one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressOutcome {
    /// Whether no problem was found (the address is deliverable as written, as far as
    /// the country's rules and the policy can tell).
    pub valid: bool,
    /// The resolved country (alpha-2), when it was recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Problems, built-in first, then those the policy added.
    pub problems: Vec<Problem>,
    /// Content changes made by canonicalisation (postal prefix removed, zeros restored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// The address in canonical form.
    pub canonical: Address,
    /// The components of each address line, in order.
    pub street: Vec<StreetLine>,
    /// The lines of a shipping label in the country's format.
    pub label: Vec<String>,
    /// Deterministic deduplication key (see [`match_key`]).
    pub match_key: String,
}

/// Checks `address` with the default configuration; returns its problems (empty when
/// it is valid).
///
/// ```
/// use backoffice::address::{validate, Address};
/// let a = Address {
///     country: "US".into(),
///     address_lines: vec!["1600 Amphitheatre Parkway".into()],
///     locality: "Mountain View".into(),
///     administrative_area: "CA".into(),
///     postal_code: "12345".into(),
///     ..Address::default()
/// };
/// let problems = validate(&a)?;
/// assert_eq!(problems.len(), 1);
/// assert_eq!(problems[0].code, "mismatching_value");
/// # Ok::<(), backoffice::Error>(())
/// ```
pub fn validate(address: &Address) -> Result<Vec<Problem>, Error> {
    Ok(analyze_for(address, &AddressConfig::default(), Want::PROBLEMS)?.problems)
}

/// The canonical form of `address` with the default configuration: country as alpha-2,
/// subdivision as its key, postal code in the country's spelling, fields upper-cased
/// where the country's data says so, US street lines in USPS Publication 28 style.
///
/// ```
/// use backoffice::address::{normalize, Address};
/// let a = Address {
///     country: "Royaume-Uni".into(),
///     address_lines: vec!["10 Downing Street".into()],
///     locality: "London".into(),
///     postal_code: "sw1a2aa".into(),
///     ..Address::default()
/// };
/// let c = normalize(&a)?;
/// assert_eq!((c.country.as_str(), c.postal_code.as_str()), ("GB", "SW1A 2AA"));
/// assert_eq!(c.locality, "LONDON");
/// # Ok::<(), backoffice::Error>(())
/// ```
pub fn normalize(address: &Address) -> Result<Address, Error> {
    Ok(analyze_for(address, &AddressConfig::default(), Want::CANONICAL)?.canonical)
}

/// A deterministic deduplication key: Unicode NFKD, accents stripped, transliterated to
/// ASCII, lower case, punctuation removed, abbreviations expanded to their canonical
/// words per component and language (street types in street types, directionals in
/// directionals; postal codes never), unit designators dropped, whitespace collapsed.
/// Components are `country|postal code|administrative area|locality|dependent
/// locality|street lines`.
///
/// ```
/// use backoffice::address::{match_key, Address};
/// let a = Address {
///     country: "US".into(),
///     address_lines: vec!["123 Main St. #2f".into()],
///     locality: "Springfield".into(),
///     administrative_area: "IL".into(),
///     postal_code: "62701".into(),
///     ..Address::default()
/// };
/// let b = Address {
///     country: "United States".into(),
///     address_lines: vec!["123 MAIN STREET Number 2F".into()],
///     locality: "SPRINGFIELD".into(),
///     administrative_area: "Illinois".into(),
///     postal_code: "62701".into(),
///     ..Address::default()
/// };
/// assert_eq!(match_key(&a)?, match_key(&b)?);
/// assert_eq!(match_key(&a)?, "us|62701|il|springfield||123 main street 2f");
/// # Ok::<(), backoffice::Error>(())
/// ```
pub fn match_key(address: &Address) -> Result<String, Error> {
    Ok(analyze_for(address, &AddressConfig::default(), Want::KEY)?.match_key)
}

/// The lines of a shipping label for `address` (canonicalised first) in its country's
/// format, ending with the country's name.
///
/// ```
/// use backoffice::address::{format_for_label, Address};
/// let a = Address {
///     country: "CH".into(),
///     address_lines: vec!["Bahnhofstrasse 1".into()],
///     locality: "Zürich".into(),
///     postal_code: "CH-8001".into(),
///     recipient: "Anna Muster".into(),
///     ..Address::default()
/// };
/// assert_eq!(
///     format_for_label(&a)?,
///     ["Anna Muster", "Bahnhofstrasse 1", "CH-8001 Zürich", "SWITZERLAND"]
/// );
/// # Ok::<(), backoffice::Error>(())
/// ```
pub fn format_for_label(address: &Address) -> Result<Vec<String>, Error> {
    Ok(analyze_for(address, &AddressConfig::default(), Want::LABEL)?.label)
}

/// The label lines of `address` with a configuration: style, script, and a domestic
/// label when `origin_country` is the destination.
///
/// ```
/// use backoffice::address::{format_label, Address, AddressConfig, LabelStyle};
/// let a = Address {
///     country: "HR".into(),
///     address_lines: vec!["Ilica 1".into()],
///     locality: "Zagreb".into(),
///     postal_code: "10105".into(),
///     ..Address::default()
/// };
/// let home = AddressConfig { origin_country: Some("HR".into()), ..AddressConfig::default() };
/// assert_eq!(format_label(&a, &home)?, ["Ilica 1", "10105 ZAGREB"]);
/// assert_eq!(
///     format_label(&a, &AddressConfig::default())?,
///     ["Ilica 1", "HR-10105 ZAGREB", "CROATIA"]
/// );
/// let display = AddressConfig { label_style: LabelStyle::Display, ..AddressConfig::default() };
/// assert_eq!(format_label(&a, &display)?, ["Ilica 1", "HR-10105 Zagreb", "Croatia"]);
/// # Ok::<(), backoffice::Error>(())
/// ```
pub fn format_label(address: &Address, config: &AddressConfig) -> Result<Vec<String>, Error> {
    Ok(analyze_for(address, config, Want::LABEL)?.label)
}

/// Compiles every postal-code pattern now instead of lazily on first use (once per
/// country, on the first address of that country). Servers that want the first request
/// to be as fast as the rest call this at start-up; returns the number of patterns.
///
/// ```
/// assert!(backoffice::address::preload() > 250);
/// ```
pub fn preload() -> usize {
    postal::preload()
}

/// Normalises and validates in one pass with a configuration: the canonical address and
/// its problems, without the label, the match key or the street components (the
/// cheapest way to get both).
///
/// ```
/// use backoffice::address::{normalize_and_validate, Address, AddressConfig};
/// let a = Address {
///     country: "CA".into(),
///     address_lines: vec!["1 Rue Sainte-Catherine".into()],
///     locality: "Montréal".into(),
///     administrative_area: "Québec".into(),
///     postal_code: "h2x1k4".into(),
///     ..Address::default()
/// };
/// let (canonical, problems) = normalize_and_validate(&a, &AddressConfig::default())?;
/// assert!(problems.is_empty());
/// assert_eq!(canonical.postal_code, "H2X 1K4");
/// assert_eq!(canonical.administrative_area, "QC");
/// assert_eq!(canonical.locality, "MONTRÉAL");
/// # Ok::<(), backoffice::Error>(())
/// ```
pub fn normalize_and_validate(
    address: &Address,
    config: &AddressConfig,
) -> Result<(Address, Vec<Problem>), Error> {
    let outcome = analyze_for(address, config, Want::CANONICAL)?;
    Ok((outcome.canonical, outcome.problems))
}

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

fn problem(field: impl Into<String>, code: &str, message: String) -> Problem {
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
    const ALL: Want = Want {
        street: true,
        components: true,
        label: true,
        key: true,
    };
    const PROBLEMS: Want = Want {
        street: false,
        components: false,
        label: false,
        key: false,
    };
    const CANONICAL: Want = Want {
        street: true,
        components: false,
        label: false,
        key: false,
    };
    const KEY: Want = Want {
        street: true,
        components: false,
        label: false,
        key: true,
    };
    const LABEL: Want = Want {
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
            .then(|| locality_postal_mismatch(country, subdivision, &places, &postal.canonical))
            .flatten()
        {
            problems.push(mismatch);
        } else if let Some(sub) = subdivision {
            if config.check_postal_code_subdivision {
                if let Some(regex) = postal::subdivision_regex(country, sub) {
                    if !regex.is_match(&postal.canonical) {
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

/// The first city or district whose postal prefix `code` does not start with, as a
/// `mismatching_value` problem; `None` also when the code does not start with the
/// subdivision's own prefix, which the caller reports instead.
fn locality_postal_mismatch(
    country: &CountryData,
    subdivision: Option<usize>,
    places: &locality::Places,
    code: &str,
) -> Option<Problem> {
    let sub_regex = subdivision.and_then(|sub| postal::subdivision_regex(country, sub));
    if sub_regex.is_some_and(|r| !r.is_match(code)) {
        return None;
    }
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
