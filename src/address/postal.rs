//! Postal codes: lazily compiled patterns and per-country canonical spelling.

use super::country::country_index;
use super::data::{CountryData, COUNTRIES};
use regex::{Regex, RegexBuilder};
use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;

struct Compiled {
    postal: OnceLock<Option<Regex>>,
    subdivisions: OnceLock<Box<[OnceLock<Option<Regex>>]>>,
}

static COMPILED: OnceLock<Box<[Compiled]>> = OnceLock::new();

fn compiled(country: &CountryData) -> Option<&'static Compiled> {
    let table = COMPILED.get_or_init(|| {
        COUNTRIES
            .iter()
            .map(|_| Compiled {
                postal: OnceLock::new(),
                subdivisions: OnceLock::new(),
            })
            .collect()
    });
    table.get(country_index(country)?)
}

/// Compiles a Google pattern in ASCII mode (`\d` is `[0-9]`), falling back to Unicode
/// mode for a pattern that ASCII mode rejects. `None` only if the pattern is broken,
/// which a test rules out for the embedded data.
fn compile(pattern: &str, full: bool) -> Option<Regex> {
    let anchored = if full {
        format!("^(?:{pattern})$")
    } else {
        format!("^(?:{pattern})")
    };
    RegexBuilder::new(&anchored)
        .unicode(false)
        .build()
        .or_else(|_| Regex::new(&anchored))
        .ok()
}

/// The country's full-match postal pattern (compiled on first use).
pub(crate) fn country_regex(country: &CountryData) -> Option<&'static Regex> {
    if country.postal_pattern.is_empty() {
        return None;
    }
    compiled(country)?
        .postal
        .get_or_init(|| compile(country.postal_pattern, true))
        .as_ref()
}

/// The prefix pattern of subdivision `sub` of `country` (compiled on first use).
pub(crate) fn subdivision_regex(country: &CountryData, sub: usize) -> Option<&'static Regex> {
    let data = country.subdivisions.get(sub)?;
    if data.postal_pattern.is_empty() {
        return None;
    }
    let subs = compiled(country)?.subdivisions.get_or_init(|| {
        country
            .subdivisions
            .iter()
            .map(|_| OnceLock::new())
            .collect()
    });
    subs.get(sub)?
        .get_or_init(|| compile(data.postal_pattern, false))
        .as_ref()
}

/// Compiles every postal-code pattern (countries and subdivisions) now rather than on
/// first use; returns how many patterns are compiled.
pub(crate) fn preload() -> usize {
    let mut count = 0;
    for country in COUNTRIES {
        count += usize::from(country_regex(country).is_some());
        for sub in 0..country.subdivisions.len() {
            count += usize::from(subdivision_regex(country, sub).is_some());
        }
    }
    count + super::locality::preload()
}

/// The outcome of canonicalising one postal code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Postal {
    /// The canonical spelling (or the cleaned input when it is not valid).
    pub canonical: String,
    /// Whether it matches the country's pattern (true when the country has none).
    pub valid: bool,
    /// The postal prefix that was removed (`CH-`), if any.
    pub prefix_removed: Option<String>,
    /// Whether leading zeros were restored (only with repairs on).
    pub zeros_restored: bool,
}

/// Whether `c` is a dash of any kind (Unicode's dash punctuation and the minus sign):
/// in a postal code every one of them is a hyphen (`60642—2534`).
fn is_dash(c: char) -> bool {
    matches!(
        c,
        '\u{2010}'
            ..='\u{2015}'
                | '\u{2212}'
                | '\u{2E3A}'
                | '\u{2E3B}'
                | '\u{FE58}'
                | '\u{FE63}'
                | '\u{FF0D}'
                | '\u{058A}'
                | '\u{05BE}'
                | '\u{1806}'
                | '\u{301C}'
                | '\u{30A0}'
                | '\u{30FC}'
    )
}

/// ASCII upper case, full-width forms folded (NFKC), dashes as hyphens, whitespace
/// collapsed.
fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending_space = false;
    if raw.is_ascii() {
        for c in raw.chars() {
            if c.is_ascii_whitespace() {
                pending_space = true;
            } else if !c.is_ascii_control() {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c.to_ascii_uppercase());
            }
        }
        return out;
    }
    for c in raw.nfkc() {
        let c = if is_dash(c) { '-' } else { c };
        if c.is_whitespace() {
            pending_space = true;
        } else if c.is_control() {
            // dropped
        } else {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c.to_ascii_uppercase());
        }
    }
    out
}

/// Letters and digits only.
pub(crate) fn core(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

/// Tries the example shapes, then the cleaned text, then the bare core.
fn shape(country: &CountryData, regex: &Regex, cleaned: &str) -> Option<String> {
    if !cleaned
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
    {
        return None;
    }
    let bare = core(cleaned);
    if bare.is_empty() {
        return None;
    }
    for example in country.postal_examples.split(',') {
        if core(example).len() != bare.len() {
            continue;
        }
        let mut candidate = String::with_capacity(example.len());
        let mut letters = bare.chars();
        for e in example.chars() {
            if e.is_ascii_alphanumeric() {
                if let Some(c) = letters.next() {
                    candidate.push(c);
                }
            } else {
                candidate.push(e);
            }
        }
        if regex.is_match(&candidate) {
            return Some(candidate);
        }
    }
    if regex.is_match(cleaned) {
        return Some(cleaned.to_string());
    }
    if regex.is_match(&bare) {
        return Some(bare);
    }
    None
}

/// Strips a prefix such as `CH-`, `CH `, `FL-` (the country's postal prefix or its
/// alpha-2 code followed by a separator).
fn strip_prefix<'a>(country: &CountryData, cleaned: &'a str) -> Option<(&'a str, String)> {
    let declared: String = country
        .postal_prefix
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect();
    for prefix in [declared.as_str(), country.code] {
        if prefix.is_empty() {
            continue;
        }
        if let Some(rest) = cleaned.strip_prefix(prefix) {
            let rest_trimmed = rest.trim_start_matches(['-', ' ']);
            if rest_trimmed.len() < rest.len() || rest.starts_with(|c: char| c.is_ascii_digit()) {
                let removed_len = cleaned.len() - rest_trimmed.len();
                let removed = cleaned.get(..removed_len).unwrap_or(prefix).to_string();
                return Some((rest_trimmed, removed));
            }
        }
    }
    None
}

/// Restores lost leading zeros group by group: each group of digits written between
/// separators is padded to the length of the matching group of one of the country's
/// examples (by at most two zeros), so `2134` becomes `02134` and `97219-00` becomes
/// `97219-0000`, never `00972-1900`. Digits only; `None` when no example fits.
fn restore_zeros(country: &CountryData, regex: &Regex, body: &str) -> Option<String> {
    let groups: Vec<&str> = body.split(['-', ' ']).filter(|g| !g.is_empty()).collect();
    if groups.is_empty() || !groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    for example in country.postal_examples.split(',') {
        let wanted: Vec<usize> = example
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|g| !g.is_empty())
            .map(str::len)
            .collect();
        // A code written without separators is one group, as long as the example's.
        let wanted = if groups.len() == 1 && wanted.len() > 1 {
            vec![wanted.iter().sum()]
        } else {
            wanted
        };
        if wanted.len() != groups.len() {
            continue;
        }
        let mut padded = String::with_capacity(example.len());
        let mut fits = true;
        let mut grew = false;
        for (group, want) in groups.iter().zip(&wanted) {
            if group.len() > *want || group.len() + 2 < *want {
                fits = false;
                break;
            }
            grew |= group.len() < *want;
            if !padded.is_empty() {
                padded.push('-');
            }
            padded.extend(std::iter::repeat_n('0', want - group.len()));
            padded.push_str(group);
        }
        if fits && grew {
            if let Some(canonical) = shape(country, regex, &padded) {
                return Some(canonical);
            }
        }
    }
    None
}

/// Canonicalises `raw` for `country`: case, spacing and hyphens follow the country's
/// examples; a postal prefix is removed; with `repair`, lost leading zeros are restored.
#[cfg(test)]
pub(crate) fn canonicalize(country: &CountryData, raw: &str, repair: bool) -> Postal {
    canonicalize_with(country, None, raw, repair)
}

/// [`canonicalize`] against `pattern` instead of the country's pattern when a
/// subdivision replaces it (Taiwan's `407` under `CN`); zeros are then never restored,
/// since the country's examples do not describe the replacement.
pub(crate) fn canonicalize_with(
    country: &CountryData,
    pattern: Option<&'static Regex>,
    raw: &str,
    repair: bool,
) -> Postal {
    let cleaned = clean(raw);
    let repair = repair && pattern.is_none();
    let Some(regex) = pattern.or_else(|| country_regex(country)) else {
        return Postal {
            canonical: cleaned,
            valid: true,
            prefix_removed: None,
            zeros_restored: false,
        };
    };
    if let Some(canonical) = shape(country, regex, &cleaned) {
        return Postal {
            canonical,
            valid: true,
            prefix_removed: None,
            zeros_restored: false,
        };
    }
    let (body, prefix_removed) = match strip_prefix(country, &cleaned) {
        Some((rest, removed)) => match shape(country, regex, rest) {
            Some(canonical) => {
                return Postal {
                    canonical,
                    valid: true,
                    prefix_removed: Some(removed),
                    zeros_restored: false,
                }
            }
            None => (rest.to_string(), Some(removed)),
        },
        None => (cleaned.clone(), None),
    };
    if repair {
        if let Some(canonical) = restore_zeros(country, regex, &body) {
            return Postal {
                canonical,
                valid: true,
                prefix_removed,
                zeros_restored: true,
            };
        }
    }
    Postal {
        canonical: cleaned,
        valid: false,
        prefix_removed: None,
        zeros_restored: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::country::find_country;

    fn canon(code: &str, raw: &str) -> (String, bool) {
        let c = find_country(code).unwrap();
        let p = canonicalize(c, raw, false);
        (p.canonical, p.valid)
    }

    #[test]
    fn canonical_spellings() {
        assert_eq!(canon("GB", "sw1a0aa"), ("SW1A 0AA".into(), true));
        assert_eq!(canon("CA", "h2b2y5"), ("H2B 2Y5".into(), true));
        assert_eq!(canon("JP", "7300846"), ("730-0846".into(), true));
        assert_eq!(canon("US", "972190001"), ("97219-0001".into(), true));
        assert_eq!(canon("US", "94043"), ("94043".into(), true));
        assert_eq!(canon("US", "9404"), ("9404".into(), false));
        assert_eq!(canon("NL", "1234ab"), ("1234 AB".into(), true));
        assert_eq!(canon("DE", "１０１１５"), ("10115".into(), true));
    }

    #[test]
    fn prefix_removed_and_zero_repair() {
        let ch = find_country("CH").unwrap();
        let p = canonicalize(ch, "CH-8001", false);
        assert_eq!(p.canonical, "8001");
        assert_eq!(p.prefix_removed.as_deref(), Some("CH-"));
        let us = find_country("US").unwrap();
        let p = canonicalize(us, "2134", false);
        assert!(!p.valid);
        let p = canonicalize(us, "2134", true);
        assert_eq!(
            (p.canonical.as_str(), p.valid, p.zeros_restored),
            ("02134", true, true)
        );
    }
}
