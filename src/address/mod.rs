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

mod analyze;
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
pub(crate) use analyze::{analyze, analyze_for, problem, Want};
use serde::{Deserialize, Serialize};

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
