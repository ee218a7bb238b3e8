//! The levels below the first (cities, districts) where Google's data lists them (CN, KR,
//! TW, HK, BR, CL): lookup by key, local or Latin name, canonical keys, postal prefixes,
//! and the subdivisions that replace their country's postal pattern (Taiwan, Hong Kong
//! and Macau under `CN`).

use super::data::{
    Children, CountryData, SubdivisionData, SubdivisionOverride, LOCALITIES, LOCALITY_ALIASES,
    LOCALITY_ALIAS_TEXT, LOCALITY_TEXT, SUBDIVISION_OVERRIDES,
};
use super::text::fold;
use super::{codes, problem, Address, Problem};
use regex::Regex;
use std::sync::OnceLock;

/// The strings of one locality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Locality {
    /// Its position in `LOCALITIES`.
    pub index: usize,
    /// Google's key: the canonical value.
    pub key: &'static str,
    /// Its name when it differs from the key (`香港仔` for `Aberdeen`), else `""`.
    pub name: &'static str,
    /// Its name in Latin script, `""` when none is listed.
    pub latin_name: &'static str,
    /// Postal prefix pattern, `""` when none.
    pub postal_pattern: &'static str,
    /// Its own children.
    pub children: Children,
}

/// Locality `index`, `None` out of range.
pub(crate) fn get(index: usize) -> Option<Locality> {
    let data = LOCALITIES.get(index)?;
    let start = match index.checked_sub(1) {
        Some(prev) => LOCALITIES.get(prev).map_or(0, |p| p.text_end as usize),
        None => 0,
    };
    let text = LOCALITY_TEXT.get(start..data.text_end as usize)?;
    let mut parts = text.split('\u{1f}');
    let mut next = || parts.next().unwrap_or("");
    Some(Locality {
        index,
        key: next(),
        name: next(),
        latin_name: next(),
        postal_pattern: next(),
        children: data.children,
    })
}

fn alias(k: usize) -> &'static str {
    let start = match k.checked_sub(1) {
        Some(prev) => LOCALITY_ALIASES.get(prev).map_or(0, |p| p.0 as usize),
        None => 0,
    };
    let end = LOCALITY_ALIASES.get(k).map_or(start, |p| p.0 as usize);
    LOCALITY_ALIAS_TEXT.get(start..end).unwrap_or("")
}

/// Finds one of `children` by its key, name or Latin name (folded; a Latin name also
/// without its kind word: `Jiading` for `Jiading Qu`).
pub(crate) fn find(children: Children, text: &str) -> Option<Locality> {
    if children.is_empty() {
        return None;
    }
    let folded = fold(text);
    if folded.is_empty() {
        return None;
    }
    let (mut lo, mut hi) = (children.alias_first as usize, children.alias_end as usize);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match alias(mid).cmp(folded.as_str()) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => {
                let node = LOCALITY_ALIASES.get(mid)?.1;
                return get(usize::from(node));
            }
        }
    }
    None
}

/// What `sub` replaces of its country's rules, if anything.
pub(crate) fn override_of(sub: &SubdivisionData) -> Option<&'static SubdivisionOverride> {
    usize::from(sub.special)
        .checked_sub(1)
        .and_then(|i| SUBDIVISION_OVERRIDES.get(i))
}

fn compile(pattern: &str, full: bool) -> Option<Regex> {
    let anchored = if full {
        format!("^(?:{pattern})$")
    } else {
        format!("^(?:{pattern})")
    };
    regex::RegexBuilder::new(&anchored)
        .unicode(false)
        .build()
        .ok()
}

static OVERRIDE_REGEX: OnceLock<Box<[OnceLock<Option<Regex>>]>> = OnceLock::new();
static LOCALITY_REGEX: OnceLock<Box<[OnceLock<Option<Regex>>]>> = OnceLock::new();

/// The full-match postal pattern replacing the country's for `sub` (compiled on first
/// use), `None` when it keeps the country's.
pub(crate) fn override_regex(sub: &SubdivisionData) -> Option<&'static Regex> {
    let over = override_of(sub)?;
    if over.postal_pattern.is_empty() {
        return None;
    }
    let slots = OVERRIDE_REGEX.get_or_init(|| {
        SUBDIVISION_OVERRIDES
            .iter()
            .map(|_| OnceLock::new())
            .collect()
    });
    slots
        .get(usize::from(sub.special).checked_sub(1)?)?
        .get_or_init(|| compile(over.postal_pattern, true))
        .as_ref()
}

/// The postal prefix pattern of `place` (compiled on first use), `None` when it has none.
pub(crate) fn postal_regex(place: &Locality) -> Option<&'static Regex> {
    if place.postal_pattern.is_empty() {
        return None;
    }
    let slots = LOCALITY_REGEX.get_or_init(|| LOCALITIES.iter().map(|_| OnceLock::new()).collect());
    slots
        .get(place.index)?
        .get_or_init(|| compile(place.postal_pattern, false))
        .as_ref()
}

/// Compiles every locality and override pattern now; returns how many there are.
pub(crate) fn preload() -> usize {
    let mut count = 0;
    for index in 0..LOCALITIES.len() {
        if let Some(place) = get(index) {
            count += usize::from(postal_regex(&place).is_some());
        }
    }
    for country in super::data::COUNTRIES {
        for sub in country.subdivisions {
            count += usize::from(override_regex(sub).is_some());
        }
    }
    count
}

/// The locality and dependent locality an address names, where its subdivision lists
/// them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Places {
    /// The city (or the district, where that is the second level: TW, KR).
    pub locality: Option<Locality>,
    /// The district below it.
    pub dependent: Option<Locality>,
}

/// Looks the locality and the dependent locality of `canonical` up below `sub`:
/// a known one is rewritten to its key, an unknown one is an `unknown_value` problem.
/// Levels the data does not list are left alone.
pub(crate) fn resolve(
    country: &CountryData,
    sub: &SubdivisionData,
    canonical: &mut Address,
    problems: &mut Vec<Problem>,
) -> Places {
    let mut places = Places::default();
    if sub.localities.is_empty() || canonical.locality.is_empty() {
        return places;
    }
    let unknown = |field: &str, what: &str, value: &str, parent: &str| {
        problem(
            field,
            codes::UNKNOWN_VALUE,
            format!(
                "unknown {what} `{value}` in {parent} ({}): not one of those Google's address data lists there",
                country.code
            ),
        )
    };
    let locality_word = country.locality_name.replace('_', " ");
    match find(sub.localities, &canonical.locality) {
        Some(place) => {
            canonical.locality = place.key.to_string();
            places.locality = Some(place);
        }
        None => {
            problems.push(unknown(
                "locality",
                &locality_word,
                &canonical.locality,
                sub.key,
            ));
            return places;
        }
    }
    let Some(city) = places.locality else {
        return places;
    };
    if city.children.is_empty() || canonical.dependent_locality.is_empty() {
        return places;
    }
    match find(city.children, &canonical.dependent_locality) {
        Some(place) => {
            canonical.dependent_locality = place.key.to_string();
            places.dependent = Some(place);
        }
        None => problems.push(unknown(
            "dependent_locality",
            "district",
            &canonical.dependent_locality,
            city.key,
        )),
    }
    places
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::country::{find_country, find_subdivision};

    #[test]
    fn finds_by_key_and_latin_name() {
        let cn = find_country("CN").unwrap();
        let (_, shanghai) = find_subdivision(cn, "Shanghai").unwrap();
        let by_key = find(shanghai.localities, "嘉定区").unwrap();
        assert_eq!((by_key.key, by_key.latin_name), ("嘉定区", "Jiading Qu"));
        assert_eq!(find(shanghai.localities, "jiading qu"), Some(by_key));
        assert_eq!(find(shanghai.localities, "Jiading"), Some(by_key));
        assert_eq!(find(shanghai.localities, "Nowhere"), None);
    }

    /// Every locality is found by its own key and Latin name below its parent, and
    /// every postal prefix compiles.
    #[test]
    fn every_locality_finds_itself() {
        fn walk(children: Children, seen: &mut usize) {
            for index in usize::from(children.first)..usize::from(children.end) {
                let place = get(index).unwrap();
                assert_eq!(find(children, place.key), Some(place), "{}", place.key);
                if !place.latin_name.is_empty() {
                    // Itself, or a sibling whose Latin name folds alike (`Yun'an Xian`
                    // and `Yunan Xian`: the first listed wins).
                    let found = find(children, place.latin_name).unwrap();
                    assert!(
                        found == place || fold(found.latin_name) == fold(place.latin_name),
                        "{} found {}",
                        place.latin_name,
                        found.key
                    );
                }
                if !place.postal_pattern.is_empty() {
                    assert!(postal_regex(&place).is_some(), "{}", place.postal_pattern);
                }
                *seen += 1;
                walk(place.children, seen);
            }
        }
        let mut seen = 0;
        for country in crate::address::data::COUNTRIES {
            for sub in country.subdivisions {
                walk(sub.localities, &mut seen);
            }
        }
        assert_eq!(seen, LOCALITIES.len());
    }

    #[test]
    fn taiwan_replaces_the_country_pattern() {
        let cn = find_country("CN").unwrap();
        let (_, taiwan) = find_subdivision(cn, "台湾").unwrap();
        let regex = override_regex(taiwan).unwrap();
        assert!(regex.is_match("407"));
        assert!(regex.is_match("40756"));
        assert!(!regex.is_match("4075"));
        let (_, beijing) = find_subdivision(cn, "北京市").unwrap();
        assert!(override_regex(beijing).is_none());
    }
}
