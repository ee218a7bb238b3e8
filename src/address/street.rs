//! Street lines: recognising house numbers, street names and types, directionals,
//! secondary units and post-office boxes with libpostal's dictionaries.

use super::data::{DictionaryData, PairTable, DICTIONARIES};
use super::text::{ascii_words, fold};
use super::usps;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::cmp::Ordering;

/// The components recognised in one address line.
///
/// Every component holds the text as written (cleaned of stray punctuation); the
/// canonical line is rebuilt from them for countries with a standard (USPS Publication 28
/// for the US) and kept as written elsewhere.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StreetLine {
    /// The line as written (cleaned).
    pub text: String,
    /// House (building) number, e.g. `1600`, `12a`, `12-14`.
    pub house_number: Option<String>,
    /// Directional before the street name (`N` in `123 N Main St`).
    pub pre_directional: Option<String>,
    /// The street's name without its type (`Main`, `de la Paix`).
    pub street_name: Option<String>,
    /// Street type (`St`, `Parkway`, `Rue`, `Calle`).
    pub street_type: Option<String>,
    /// Directional after the street (`NW` in `Main St NW`).
    pub post_directional: Option<String>,
    /// Secondary units in order (`Ste 5 Unit 2` gives two).
    pub units: Vec<SecondaryUnit>,
    /// The post-office box, when the line is one.
    pub po_box: Option<PoBox>,
}

impl StreetLine {
    /// Whether the line is a post-office box.
    pub fn is_po_box(&self) -> bool {
        self.po_box.is_some()
    }
}

/// A secondary unit: designator and identifier (`Apt` `2F`, `#` `5`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecondaryUnit {
    /// The designator as written (`Ste`, `Apartment`, `#`).
    pub designator: String,
    /// The identifier (`5`, `2F`).
    pub identifier: String,
}

/// A post-office box (`PO Box 12`, `Postfach 1234`, `Apartado 7`, `BP 45`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoBox {
    /// The designator as written (`P.O. Box`, `Postfach`).
    pub designator: String,
    /// The box number.
    pub number: String,
}

/// A word of a line: as written, and folded for lookups. Plain ASCII words keep their
/// written case in `folded` (lookups compare ASCII case-insensitively), which saves an
/// allocation per word.
#[derive(Debug, Clone)]
struct Token<'a> {
    text: &'a str,
    folded: Cow<'a, str>,
}

/// Compares a dictionary key (folded, lower case) with a token's folded form, ignoring
/// ASCII case on the token side.
fn cmp_folded(key: &str, token: &str) -> Ordering {
    key.bytes()
        .cmp(token.bytes().map(|b| b.to_ascii_lowercase()))
}

#[derive(Debug, Clone)]
struct Word<'a> {
    text: String,
    canonical: Option<&'a str>,
}

/// A parsed line with the dictionary words behind each component.
#[derive(Debug, Clone, Default)]
pub(crate) struct Parsed<'a> {
    house_number: Option<String>,
    pre_directional: Option<Word<'static>>,
    name: Vec<Token<'a>>,
    street_type: Option<Word<'static>>,
    type_first: bool,
    post_directional: Option<Word<'static>>,
    units: Vec<(Word<'static>, String)>,
    po_box: Option<(String, String)>,
}

/// The dictionaries that apply to a country, in order of preference.
#[derive(Debug, Clone)]
pub(crate) struct Dictionaries {
    dicts: Vec<&'static DictionaryData>,
    /// English dictionary for PO boxes written in English anywhere.
    english: Option<&'static DictionaryData>,
    /// Whether directionals are recognised (English-speaking countries).
    directionals: bool,
    /// Whether the street type usually comes first (`rue`, `calle`, `via`).
    type_first: bool,
    /// Whether house numbers usually follow the street name.
    number_last: bool,
    /// Whether street types are written as word endings (`Hauptstr.`).
    compound_types: bool,
}

fn dictionary(lang: &str) -> Option<&'static DictionaryData> {
    DICTIONARIES
        .binary_search_by(|d| d.lang.cmp(lang))
        .ok()
        .and_then(|i| DICTIONARIES.get(i))
}

impl Dictionaries {
    pub(crate) fn for_languages(languages: &[&str]) -> Self {
        let mut dicts: Vec<&'static DictionaryData> =
            languages.iter().filter_map(|l| dictionary(l)).collect();
        let mut english = dictionary("en");
        if dicts.is_empty() {
            dicts.extend(english);
        }
        if dicts.iter().any(|d| d.lang == "en") {
            english = None;
        }
        let first = dicts.first().map(|d| d.lang).unwrap_or("en");
        Dictionaries {
            directionals: first == "en",
            type_first: matches!(first, "fr" | "es" | "it" | "pt" | "ca" | "gl" | "ro" | "eu"),
            number_last: !matches!(
                first,
                "en" | "fr" | "ja" | "zh" | "ko" | "th" | "vi" | "ms" | "id"
            ),
            compound_types: matches!(first, "de" | "nl" | "da" | "nb" | "sv" | "gsw" | "lb"),
            english,
            dicts,
        }
    }

    /// Whether English is the only language (no street type written first).
    fn english_only(&self) -> bool {
        self.dicts.iter().all(|d| d.lang == "en")
    }

    /// Whether some alias of several words starts with the word `first`.
    fn starts_phrase(&self, pick: Pick, first: &str) -> bool {
        self.dicts.iter().chain(self.english.iter()).any(|d| {
            let table = pick(d);
            let start = partition_point(table, |k| cmp_folded(k, first) == Ordering::Less);
            let starts = |k: &str| {
                k.as_bytes()
                    .get(..first.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(first.as_bytes()))
            };
            (start..table.len())
                .map(|i| table.alias(i))
                .take_while(|k| starts(k))
                .any(|k| k.as_bytes().get(first.len()) == Some(&b' '))
        })
    }

    fn lookup(&self, pick: Pick, phrase: &str) -> Option<&'static str> {
        self.dicts.iter().find_map(|d| find(pick(d), phrase))
    }
}

/// The first index whose alias does not satisfy `before` (aliases are sorted).
fn partition_point(table: &PairTable, before: impl Fn(&str) -> bool) -> usize {
    let (mut low, mut high) = (0, table.len());
    while low < high {
        let mid = low + (high - low) / 2;
        if before(table.alias(mid)) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    low
}

fn find(table: &'static PairTable, key: &str) -> Option<&'static str> {
    let i = partition_point(table, |k| cmp_folded(k, key) == Ordering::Less);
    (i < table.len() && cmp_folded(table.alias(i), key) == Ordering::Equal)
        .then(|| table.canonical(i))
}

fn tokenize(line: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    for raw in line.split(|c: char| c.is_whitespace() || c == ',' || c == ';') {
        let mut piece = raw;
        // A leading `#` is a designator of its own (`#2f`).
        while let Some(rest) = piece.strip_prefix('#') {
            tokens.push(Token {
                text: "#",
                folded: Cow::Borrowed("#"),
            });
            piece = rest;
        }
        let piece = piece.trim_end_matches(['.', ':']);
        if piece.is_empty() {
            continue;
        }
        let folded = if piece.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Cow::Borrowed(piece)
        } else {
            Cow::Owned(fold(piece))
        };
        if folded.is_empty() && piece.chars().all(|c| !c.is_alphanumeric()) {
            continue;
        }
        tokens.push(Token {
            text: piece,
            folded,
        });
    }
    tokens
}

fn phrase(tokens: &[Token<'_>]) -> String {
    let mut out = String::new();
    for t in tokens {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(t.folded.chars().map(|c| c.to_ascii_lowercase()));
    }
    out
}

fn join_text(tokens: &[Token<'_>]) -> String {
    let mut out = String::new();
    for t in tokens {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(t.text);
    }
    out
}

fn is_house_number(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_digit())
        && text.chars().count() <= 12
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '/')
}

fn is_identifier(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_digit())
        || (text.chars().count() <= 2 && text.chars().all(char::is_alphanumeric))
}

/// Longest dictionary phrase (up to 4 tokens) that ends at `end` (exclusive).
fn phrase_ending_at(
    dicts: &Dictionaries,
    pick: Pick,
    tokens: &[Token<'_>],
    end: usize,
) -> Option<(usize, &'static str)> {
    for len in (1..=4usize).rev() {
        let Some(start) = end.checked_sub(len) else {
            continue;
        };
        let Some(slice) = tokens.get(start..end) else {
            continue;
        };
        if len > 1
            && !slice
                .first()
                .is_some_and(|t| dicts.starts_phrase(pick, &t.folded))
        {
            continue;
        }
        let found = match slice {
            [one] => dicts.lookup(pick, &one.folded),
            _ => dicts.lookup(pick, &phrase(slice)),
        };
        if let Some(canonical) = found {
            return Some((start, canonical));
        }
    }
    None
}

/// Parses one cleaned address line.
pub(crate) fn parse<'a>(line: &'a str, dicts: &Dictionaries) -> Parsed<'a> {
    let tokens = tokenize(line);
    let mut parsed = Parsed::default();
    if tokens.is_empty() {
        return parsed;
    }
    // Post-office box: a designator at the start followed by a number.
    let multiword_box = tokens
        .first()
        .is_some_and(|t| dicts.starts_phrase(|d| &d.po_boxes, &t.folded));
    for len in (1..=4usize).rev() {
        if len > 1 && !multiword_box {
            continue;
        }
        let Some(head) = tokens.get(..len) else {
            continue;
        };
        let key = match head {
            [one] => Cow::Borrowed(&*one.folded),
            _ => Cow::Owned(phrase(head)),
        };
        let found = dicts
            .lookup(|d| &d.po_boxes, &key)
            .or_else(|| dicts.english.and_then(|d| find(&d.po_boxes, &key)));
        if found.is_some() {
            let rest = tokens.get(len..).unwrap_or(&[]);
            let rest: Vec<Token<'_>> = rest.iter().filter(|t| t.folded != "#").cloned().collect();
            if rest
                .iter()
                .any(|t| t.text.chars().any(|c| c.is_ascii_digit()))
            {
                parsed.po_box = Some((join_text(head), join_text(&rest)));
                return parsed;
            }
        }
    }
    // Secondary units, from the end: designator + identifier pairs.
    let mut end = tokens.len();
    let mut units = Vec::new();
    while end >= 2 {
        let Some(identifier) = tokens.get(end - 1) else {
            break;
        };
        if !is_identifier(identifier.text) {
            break;
        }
        let Some((start, canonical)) = phrase_ending_at(dicts, |d| &d.units, &tokens, end - 1)
        else {
            break;
        };
        units.push((
            Word {
                text: join_text(tokens.get(start..end - 1).unwrap_or(&[])),
                canonical: Some(canonical),
            },
            identifier.text.to_string(),
        ));
        end = start;
    }
    units.reverse();
    parsed.units = units;
    let mut street: &[Token<'a>] = tokens.get(..end).unwrap_or(&[]);
    let mut street_tokens: Vec<Token<'a>>;
    // House number first (`123 Main St`) or last (`Hauptstraße 5`).
    if street.len() >= 2 {
        let first_is_number = street.first().is_some_and(|t| is_house_number(t.text));
        let last_is_number = street.last().is_some_and(|t| is_house_number(t.text));
        if first_is_number && (!dicts.number_last || !last_is_number) {
            parsed.house_number = street.first().map(|t| t.text.to_string());
            street = street.get(1..).unwrap_or(&[]);
        } else if last_is_number {
            parsed.house_number = street.last().map(|t| t.text.to_string());
            street = street.get(..street.len() - 1).unwrap_or(&[]);
        }
    }
    street_tokens = street.to_vec();
    let street_type_of = |t: &Token<'_>| dicts.lookup(|d| &d.street_types, &t.folded);
    if dicts.directionals {
        let direction_of = |t: &Token<'_>| dicts.lookup(|d| &d.directionals, &t.folded);
        if street_tokens.len() >= 2 {
            let lone_type =
                street_tokens.len() == 2 && street_tokens.get(1).and_then(street_type_of).is_some();
            if !lone_type {
                if let Some(word) = street_tokens.first().and_then(direction_of) {
                    let token = street_tokens.remove(0);
                    parsed.pre_directional = Some(Word {
                        text: token.text.to_string(),
                        canonical: Some(word),
                    });
                }
            }
        }
        if street_tokens.len() >= 2 {
            if let Some(word) = street_tokens.last().and_then(direction_of) {
                if let Some(token) = street_tokens.pop() {
                    parsed.post_directional = Some(Word {
                        text: token.text.to_string(),
                        canonical: Some(word),
                    });
                }
            }
        }
    }
    if street_tokens.len() >= 2 {
        let suffix = street_tokens.last().and_then(street_type_of);
        // English writes the type last (`Avenue of the Americas` is a name); other
        // languages of the country may write it first (`Rue Sainte-Catherine`).
        let prefix = if dicts.english_only() {
            None
        } else {
            street_tokens.first().and_then(street_type_of)
        };
        let choice = if dicts.type_first {
            prefix.map(|w| (true, w)).or(suffix.map(|w| (false, w)))
        } else {
            suffix.map(|w| (false, w)).or(prefix.map(|w| (true, w)))
        };
        match choice {
            Some((true, word)) => {
                let token = street_tokens.remove(0);
                parsed.street_type = Some(Word {
                    text: token.text.to_string(),
                    canonical: Some(word),
                });
                parsed.type_first = true;
            }
            Some((false, word)) => {
                if let Some(token) = street_tokens.pop() {
                    parsed.street_type = Some(Word {
                        text: token.text.to_string(),
                        canonical: Some(word),
                    });
                }
            }
            None => {}
        }
    }
    parsed.name = street_tokens;
    parsed
}

impl Parsed<'_> {
    /// The public components of the line.
    pub(crate) fn components(&self, text: &str) -> StreetLine {
        let name = join_text(&self.name);
        StreetLine {
            text: text.to_string(),
            house_number: self.house_number.clone(),
            pre_directional: self.pre_directional.as_ref().map(|w| w.text.clone()),
            street_name: if name.is_empty() { None } else { Some(name) },
            street_type: self.street_type.as_ref().map(|w| w.text.clone()),
            post_directional: self.post_directional.as_ref().map(|w| w.text.clone()),
            units: self
                .units
                .iter()
                .map(|(d, id)| SecondaryUnit {
                    designator: d.text.clone(),
                    identifier: id.clone(),
                })
                .collect(),
            po_box: self.po_box.as_ref().map(|(d, n)| PoBox {
                designator: d.clone(),
                number: n.clone(),
            }),
        }
    }

    /// The line in USPS Publication 28 style: upper case, standard abbreviations.
    ///
    /// An abbreviation is used only when the dictionaries read it back as the same word,
    /// so that the canonical line parses to the same components (idempotence).
    pub(crate) fn usps_line(&self, dicts: &Dictionaries) -> String {
        let mut out = String::with_capacity(48);
        let push = |out: &mut String, word: &str| {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        };
        if let Some((_, number)) = &self.po_box {
            push(&mut out, "PO BOX");
            push(&mut out, number);
            return out;
        }
        if let Some(n) = &self.house_number {
            push(&mut out, n);
        }
        let abbreviate = |w, table, pick| abbreviate(dicts, w, table, pick);
        if let Some(d) = &self.pre_directional {
            push(
                &mut out,
                abbreviate(d, usps::directional, |d| &d.directionals),
            );
        }
        let type_word = self
            .street_type
            .as_ref()
            .map(|t| abbreviate(t, usps::suffix, |d| &d.street_types));
        if self.type_first {
            if let Some(t) = &type_word {
                push(&mut out, t);
            }
        }
        for token in &self.name {
            push(&mut out, token.text);
        }
        if !self.type_first {
            if let Some(t) = &type_word {
                push(&mut out, t);
            }
        }
        if let Some(d) = &self.post_directional {
            push(
                &mut out,
                abbreviate(d, usps::directional, |d| &d.directionals),
            );
        }
        for (designator, identifier) in &self.units {
            push(&mut out, abbreviate(designator, usps::unit, |d| &d.units));
            push(&mut out, identifier);
        }
        out
    }

    /// Appends the line's match-key words (ASCII, lower case, abbreviations expanded
    /// within their component, unit designators dropped) to `out`.
    pub(crate) fn key_words(&self, dicts: &Dictionaries, out: &mut Vec<String>) {
        if let Some((_, number)) = &self.po_box {
            out.push("po box".to_string());
            out.push(ascii_words(&fold(number)));
            return;
        }
        let mut push = |s: String| {
            if !s.is_empty() {
                out.push(s);
            }
        };
        let word = |w: &Word<'_>| ascii_words(w.canonical.unwrap_or(&fold(&w.text)));
        if let Some(n) = &self.house_number {
            push(ascii_words(&fold(n)));
        }
        if let Some(d) = &self.pre_directional {
            push(word(d));
        }
        if self.type_first {
            if let Some(t) = &self.street_type {
                push(word(t));
            }
        }
        let last = self.name.len().saturating_sub(1);
        for (i, token) in self.name.iter().enumerate() {
            if i == last && dicts.compound_types && self.street_type.is_none() {
                push(ascii_words(&expand_compound(
                    dicts,
                    &token.folded.to_ascii_lowercase(),
                )));
            } else {
                push(ascii_words(&token.folded));
            }
        }
        if !self.type_first {
            if let Some(t) = &self.street_type {
                push(word(t));
            }
        }
        if let Some(d) = &self.post_directional {
            push(word(d));
        }
        for (_, identifier) in &self.units {
            push(ascii_words(&fold(identifier)));
        }
    }
}

type Pick = fn(&'static DictionaryData) -> &'static PairTable;

/// The USPS abbreviation (stored in lower case) when the dictionaries read it back as the
/// same word, else the canonical word when it reads back, else the word as written.
fn abbreviate<'w>(
    dicts: &Dictionaries,
    word: &'w Word<'static>,
    table: fn(&str) -> Option<&'static str>,
    pick: Pick,
) -> &'w str {
    let Some(canonical) = word.canonical else {
        return &word.text;
    };
    let reads_back = |candidate: &str| dicts.lookup(pick, candidate) == Some(canonical);
    match table(canonical) {
        Some(abbr) if reads_back(abbr) => abbr,
        _ if reads_back(canonical) => canonical,
        _ => &word.text,
    }
}

/// `hauptstr` → `hauptstrasse`: expands a street type written as a word ending.
fn expand_compound(dicts: &Dictionaries, folded: &str) -> String {
    for dict in &dicts.dicts {
        for (alias, canonical) in dict.street_types.iter() {
            if alias.len() >= 3 && folded.len() > alias.len() && !alias.contains(' ') {
                if let Some(stem) = folded.strip_suffix(alias) {
                    return format!("{stem}{canonical}");
                }
            }
        }
    }
    folded.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn en() -> Dictionaries {
        Dictionaries::for_languages(&["en"])
    }

    #[test]
    fn parses_us_line() {
        let d = en();
        let p = parse("123 N Main St. Ste 5 Unit 2", &d);
        let c = p.components("x");
        assert_eq!(c.house_number.as_deref(), Some("123"));
        assert_eq!(c.pre_directional.as_deref(), Some("N"));
        assert_eq!(c.street_name.as_deref(), Some("Main"));
        assert_eq!(c.street_type.as_deref(), Some("St"));
        assert_eq!(c.units.len(), 2);
        assert_eq!(p.usps_line(&d).to_uppercase(), "123 N MAIN ST STE 5 UNIT 2");
    }

    #[test]
    fn usps_lines_are_stable() {
        let d = en();
        for (word, abbr) in super::usps::tests_suffixes() {
            for line in [format!("1 Oak {abbr}"), format!("1 Oak {word}")] {
                let once = parse(&line, &d).usps_line(&d);
                let twice = parse(&once, &d).usps_line(&d);
                assert_eq!(once, twice, "{line}");
            }
        }
    }
}
