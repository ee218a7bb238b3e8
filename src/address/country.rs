//! Country and subdivision resolution.

use super::data::{CountryData, SubdivisionData, COUNTRIES, COUNTRY_INDEX};
use super::text::fold;
use serde::Serialize;

/// A country (or territory) the address data knows, as resolved from free text.
///
/// ```
/// use backoffice::address::resolve_country;
/// let de = resolve_country("Allemagne").unwrap();
/// assert_eq!((de.code, de.alpha3, de.numeric), ("DE", "DEU", 276));
/// assert_eq!(resolve_country("U.S.A.").unwrap().code, "US");
/// assert_eq!(resolve_country("uk").unwrap().code, "GB");
/// assert!(resolve_country("Atlantis").is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CountryInfo {
    /// ISO 3166-1 alpha-2 code (Google's `AC`, `TA` and `XK` for the three territories
    /// ISO does not code).
    pub code: &'static str,
    /// ISO 3166-1 alpha-3 code, empty when there is none.
    pub alpha3: &'static str,
    /// ISO 3166-1 numeric code, 0 when there is none.
    pub numeric: u16,
    /// English short name.
    pub name: &'static str,
}

/// Resolves a country from its alpha-2, alpha-3 or numeric code, or from its name or a
/// common alias in English, German, French, Spanish, Italian, Portuguese, Dutch,
/// Japanese or Chinese; case, accents and punctuation do not matter.
pub fn resolve_country(text: &str) -> Option<CountryInfo> {
    find_country(text).map(|c| CountryInfo {
        code: c.code,
        alpha3: c.alpha3,
        numeric: c.numeric,
        name: c.name,
    })
}

/// Every country code the data knows, sorted.
pub fn country_codes() -> impl Iterator<Item = &'static str> {
    COUNTRIES.iter().map(|c| c.code)
}

pub(crate) fn find_country(text: &str) -> Option<&'static CountryData> {
    let folded = fold(text);
    if folded.is_empty() {
        return None;
    }
    let index = COUNTRY_INDEX
        .binary_search_by(|(alias, _)| (*alias).cmp(folded.as_str()))
        .ok()?;
    let (_, country) = COUNTRY_INDEX.get(index)?;
    COUNTRIES.get(usize::from(*country))
}

pub(crate) fn country_index(country: &CountryData) -> Option<usize> {
    // Every `&CountryData` the crate hands around points into `COUNTRIES`: its position
    // follows from the address (checked, so a stray reference gives `None`).
    let base = COUNTRIES.as_ptr() as usize;
    let offset = (country as *const CountryData as usize).checked_sub(base)?;
    let index = offset / std::mem::size_of::<CountryData>().max(1);
    let found = COUNTRIES.get(index)?;
    std::ptr::eq(found, country).then_some(index)
}

/// Resolves a subdivision of `country` from its key, ISO code or a name in any listed
/// script; returns its position and data.
pub(crate) fn find_subdivision(
    country: &'static CountryData,
    text: &str,
) -> Option<(usize, &'static SubdivisionData)> {
    let folded = fold(text);
    if folded.is_empty() {
        return None;
    }
    let index = country
        .subdivision_index
        .binary_search_by(|(alias, _)| (*alias).cmp(folded.as_str()))
        .ok()?;
    let (_, sub) = country.subdivision_index.get(index)?;
    let sub = usize::from(*sub);
    country.subdivisions.get(sub).map(|data| (sub, data))
}

/// A first-level subdivision (state, province, prefecture, ...) of a country.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SubdivisionInfo {
    /// The canonical value of the administrative area (Google's key: `CA`, `東京都`).
    pub key: &'static str,
    /// ISO 3166-2 code suffix (`CA` of `US-CA`), empty when unknown.
    pub iso: &'static str,
    /// Name in the local script.
    pub name: &'static str,
    /// Name in Latin script, empty when the same as `name`.
    pub latin_name: &'static str,
}

/// The subdivisions of a country (resolved like [`resolve_country`]), in the order of
/// Google's data; `None` for an unknown country, empty when the country lists none.
///
/// ```
/// use backoffice::address::subdivisions;
/// let br = subdivisions("Brasil").unwrap();
/// assert!(br.iter().any(|s| s.key == "MA" && s.name == "Maranhão"));
/// ```
pub fn subdivisions(country: &str) -> Option<Vec<SubdivisionInfo>> {
    let country = find_country(country)?;
    Some(
        country
            .subdivisions
            .iter()
            .map(|s| SubdivisionInfo {
                key: s.key,
                iso: s.iso,
                name: s.name,
                latin_name: s.latin_name,
            })
            .collect(),
    )
}
