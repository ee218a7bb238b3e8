//! Street lines: recognising house numbers, street names and types, directionals,
//! secondary units and post-office boxes with libpostal's dictionaries.

use super::data::{DictionaryData, PairTable, DICTIONARIES};
use super::text::{ascii_words, fold};
use super::usps;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::cell::RefCell;
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
    /// A building or complex name written after the street in a part of its own
    /// (`Uptown Square` in `100 Main St, Uptown Square`); kept as written. Omitted from
    /// JSON when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub building: Option<String>,
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
    /// Which part of the line the word is in: parts are separated by commas,
    /// semicolons and brackets.
    segment: u16,
}

/// Compares a dictionary key (folded, lower case) with a token's folded form, ignoring
/// ASCII case on the token side.
fn cmp_folded(key: &[u8], token: &[u8]) -> Ordering {
    for (k, t) in key.iter().zip(token) {
        let t = t.to_ascii_lowercase();
        if *k != t {
            return k.cmp(&t);
        }
    }
    key.len().cmp(&token.len())
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
    /// Words of later parts of the line that are not units (a building name).
    trailer: Vec<Token<'a>>,
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
    /// Answers already looked up for this address (a line is parsed up to three times
    /// and its words recur across checks): table, folded key, answer.
    memo: RefCell<Vec<Memo>>,
}

/// Longest key the lookup memo keeps (longer phrases are looked up every time).
const MEMO_KEY: usize = 24;

/// One remembered lookup: the first dictionary's table (by address), whether it asked
/// for a phrase start or a word, the key in ASCII lower case, and the answer.
#[derive(Debug, Clone)]
struct Memo {
    table: usize,
    starts: bool,
    len: u8,
    key: [u8; MEMO_KEY],
    answer: Option<&'static str>,
}

impl Memo {
    fn new(table: usize, starts: bool, key: &str) -> Option<Memo> {
        let bytes = key.as_bytes();
        let len = u8::try_from(bytes.len())
            .ok()
            .filter(|l| usize::from(*l) <= MEMO_KEY)?;
        let mut out = [0u8; MEMO_KEY];
        for (slot, b) in out.iter_mut().zip(bytes) {
            *slot = b.to_ascii_lowercase();
        }
        Some(Memo {
            table,
            starts,
            len,
            key: out,
            answer: None,
        })
    }

    fn same(&self, other: &Memo) -> bool {
        self.table == other.table
            && self.starts == other.starts
            && self.len == other.len
            && self.key == other.key
    }
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
            memo: RefCell::new(Vec::new()),
        }
    }

    /// Whether English is the only language (no street type written first).
    fn english_only(&self) -> bool {
        self.dicts.iter().all(|d| d.lang == "en")
    }

    /// Whether some alias of several words starts with the word `first`.
    fn starts_phrase(&self, pick: Pick, first: &str) -> bool {
        self.remembered(pick, true, first, || {
            self.search_starts(pick, first).then_some("")
        })
        .is_some()
    }

    /// The answer for `key` from the memo, or `search`'s answer, remembered.
    fn remembered(
        &self,
        pick: Pick,
        starts: bool,
        key: &str,
        search: impl FnOnce() -> Option<&'static str>,
    ) -> Option<&'static str> {
        let table = self
            .dicts
            .first()
            .map_or(0, |d| std::ptr::from_ref(pick(d)) as usize);
        let Some(mut entry) = Memo::new(table, starts, key) else {
            return search();
        };
        if let Ok(memo) = self.memo.try_borrow() {
            if let Some(hit) = memo.iter().find(|m| m.same(&entry)) {
                return hit.answer;
            }
        }
        let answer = search();
        entry.answer = answer;
        if let Ok(mut memo) = self.memo.try_borrow_mut() {
            memo.push(entry);
        }
        answer
    }

    fn search_starts(&self, pick: Pick, first: &str) -> bool {
        self.dicts.iter().chain(self.english.iter()).any(|d| {
            let table = pick(d);
            let first = first.as_bytes();
            let start = partition_point(table, |k| cmp_folded(k, first) == Ordering::Less);
            let starts = |k: &[u8]| {
                k.get(..first.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(first))
            };
            (start..table.len())
                .map(|i| table.alias_bytes(i))
                .take_while(|k| starts(k))
                .any(|k| k.get(first.len()) == Some(&b' '))
        })
    }

    fn lookup(&self, pick: Pick, phrase: &str) -> Option<&'static str> {
        self.remembered(pick, false, phrase, || {
            self.dicts.iter().find_map(|d| find(pick(d), phrase))
        })
    }
}

/// The first index whose alias does not satisfy `before` (aliases are sorted).
fn partition_point(table: &PairTable, before: impl Fn(&[u8]) -> bool) -> usize {
    let (text, ends) = (table.text.as_bytes(), table.ends);
    // Pair `i`'s alias ends at `ends[2i]` and starts where the previous canonical word
    // ends (`ends[2i - 1]`, or 0).
    let alias = |i: usize| {
        let end = ends.get(2 * i).copied().unwrap_or(0) as usize;
        let start = match i {
            0 => 0,
            _ => ends.get(2 * i - 1).copied().unwrap_or(0) as usize,
        };
        text.get(start..end).unwrap_or(&[])
    };
    let (mut low, mut high) = (0, table.len());
    while low < high {
        let mid = low + (high - low) / 2;
        if before(alias(mid)) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    low
}

fn find(table: &'static PairTable, key: &str) -> Option<&'static str> {
    let key = key.as_bytes();
    let i = partition_point(table, |k| cmp_folded(k, key) == Ordering::Less);
    (i < table.len() && cmp_folded(table.alias_bytes(i), key) == Ordering::Equal)
        .then(|| table.canonical(i))
}

/// Characters that end a part of the line as well as a word.
fn is_part_break(c: char) -> bool {
    matches!(c, ',' | ';' | '(' | ')' | '[' | ']' | '{' | '}')
}

fn tokenize(line: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut segment: u16 = 0;
    let mut start = None;
    for (i, c) in line
        .char_indices()
        .chain(std::iter::once((line.len(), ' ')))
    {
        let part_break = is_part_break(c);
        if c.is_whitespace() || part_break {
            if let Some(s) = start.take() {
                push_piece(&mut tokens, line.get(s..i).unwrap_or(""), segment);
            }
            if part_break {
                segment = segment.saturating_add(1);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    tokens
}

fn push_piece<'a>(tokens: &mut Vec<Token<'a>>, raw: &'a str, segment: u16) {
    let mut piece = raw;
    // A leading `#` is a designator of its own (`#2f`).
    while let Some(rest) = piece.strip_prefix('#') {
        tokens.push(Token {
            text: "#",
            folded: Cow::Borrowed("#"),
            segment,
        });
        piece = rest;
    }
    let piece = piece.trim_end_matches(['.', ':']);
    if piece.is_empty() {
        return;
    }
    let folded = if piece.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Cow::Borrowed(piece)
    } else {
        Cow::Owned(fold(piece))
    };
    if folded.is_empty() && piece.chars().all(|c| !c.is_alphanumeric()) {
        return;
    }
    tokens.push(Token {
        text: piece,
        folded,
        segment,
    });
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
    (text.starts_with(|c: char| c.is_ascii_digit())
        && text.chars().count() <= 12
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '/'))
        || is_grid_number(text)
}

/// One half of a Wisconsin or Utah grid number: a compass letter and digits (`N165`).
fn grid_half(text: &str) -> Option<u8> {
    let bytes = text.as_bytes();
    let (first, digits) = bytes.split_first()?;
    let axis = first.to_ascii_uppercase();
    (matches!(axis, b'N' | b'S' | b'E' | b'W')
        && !digits.is_empty()
        && digits.len() <= 6
        && digits.iter().all(u8::is_ascii_digit))
    .then_some(axis)
}

/// Whether two compass letters lie on different axes (`N` with `W`, not `N` with `S`).
fn crosses(a: u8, b: u8) -> bool {
    matches!(a, b'N' | b'S') != matches!(b, b'N' | b'S')
}

/// A grid number written as one word (`N165W2123`).
fn is_grid_number(text: &str) -> bool {
    let Some(split) = text
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_ascii_alphabetic())
        .map(|(i, _)| i)
    else {
        return false;
    };
    match (
        text.get(..split).and_then(grid_half),
        text.get(split..).and_then(grid_half),
    ) {
        (Some(a), Some(b)) => crosses(a, b),
        _ => false,
    }
}

/// `2nd` → `2`, `21st` → `21`; English ordinal words up to twentieth.
fn ordinal_number(text: &str) -> Option<Cow<'_, str>> {
    let lower = text.to_ascii_lowercase();
    for suffix in ["st", "nd", "rd", "th"] {
        if let Some(digits) = lower.strip_suffix(suffix) {
            if !digits.is_empty() && digits.len() <= 4 && digits.bytes().all(|b| b.is_ascii_digit())
            {
                return text.get(..digits.len()).map(Cow::Borrowed);
            }
        }
    }
    const WORDS: [&str; 20] = [
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
        "twentieth",
    ];
    WORDS
        .iter()
        .position(|w| *w == lower)
        .map(|i| Cow::Owned((i + 1).to_string()))
}

/// Unit designators that take an ordinal (`2nd Fl`).
fn is_level(canonical: &str) -> bool {
    matches!(canonical, "floor" | "level" | "storey")
}

fn is_identifier(text: &str) -> bool {
    // Two characters take at most 8 bytes: longer text is counted only when it is short.
    text.bytes().any(|b| b.is_ascii_digit())
        || (text.len() <= 8 && text.chars().count() <= 2 && text.chars().all(char::is_alphanumeric))
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

/// Longest dictionary phrase (up to 4 tokens) that starts at `start`; returns its end
/// (exclusive) and canonical word.
fn phrase_starting_at(
    dicts: &Dictionaries,
    pick: Pick,
    tokens: &[Token<'_>],
    start: usize,
) -> Option<(usize, &'static str)> {
    let first = tokens.get(start)?;
    let multiword = dicts.starts_phrase(pick, &first.folded);
    for len in (1..=4usize).rev() {
        if len > 1 && !multiword {
            continue;
        }
        let Some(slice) = tokens.get(start..start + len) else {
            continue;
        };
        let found = match slice {
            [one] => dicts.lookup(pick, &one.folded),
            _ => dicts.lookup(pick, &phrase(slice)),
        };
        if let Some(canonical) = found {
            return Some((start + len, canonical));
        }
    }
    None
}

fn word_of(tokens: &[Token<'_>], canonical: &'static str) -> Word<'static> {
    Word {
        text: join_text(tokens),
        canonical: Some(canonical),
    }
}

/// Parses one cleaned address line.
pub(crate) fn parse<'a>(line: &'a str, dicts: &Dictionaries) -> Parsed<'a> {
    let tokens = tokenize(line);
    let mut parsed = Parsed::default();
    if tokens.is_empty() {
        return parsed;
    }
    if let Some(po_box) = po_box(&tokens, dicts) {
        parsed.po_box = Some(po_box);
        return parsed;
    }
    let number_first = !dicts.number_last;
    // Units written before the house number (`Apt 1B 626 E Kilbourn Ave`) belong after
    // the street.
    let mut begin = 0;
    let mut leading = Vec::new();
    while number_first && begin < tokens.len() {
        let Some((id_at, canonical)) = phrase_starting_at(dicts, |d| &d.units, &tokens, begin)
        else {
            break;
        };
        let (Some(identifier), Some(number)) = (tokens.get(id_at), tokens.get(id_at + 1)) else {
            break;
        };
        if !is_identifier(identifier.text)
            || !is_house_number(number.text)
            || tokens.len() < id_at + 3
        {
            break;
        }
        leading.push((
            word_of(tokens.get(begin..id_at).unwrap_or(&[]), canonical),
            identifier.text.to_string(),
        ));
        begin = id_at + 1;
    }
    let tokens = tokens.get(begin..).unwrap_or(&[]);
    let (end, mut units) = trailing_units(tokens, dicts, number_first);
    units.reverse();
    leading.extend(units);
    parsed.units = leading;
    let mut street: &[Token<'a>] = tokens.get(..end).unwrap_or(&[]);
    // A line of one word and a number and nothing else (`Ave 345` on a second line) is
    // a unit where the number comes first in street lines.
    if number_first && parsed.units.is_empty() {
        if let [word, number] = street {
            if is_house_number(number.text)
                && !is_house_number(word.text)
                && word.text.chars().all(char::is_alphabetic)
            {
                parsed.units.push((
                    Word {
                        text: word.text.to_string(),
                        canonical: Some("unit"),
                    },
                    number.text.to_string(),
                ));
                return parsed;
            }
        }
    }
    // House number first (`123 Main St`), as a grid number (`N165 W2123 Bluemound Rd`),
    // or last (`Hauptstraße 5`).
    if street.len() >= 2 {
        let grid = match street {
            [a, b, _, ..] => match (grid_half(a.text), grid_half(b.text)) {
                (Some(x), Some(y)) if crosses(x, y) => Some(format!("{}{}", a.text, b.text)),
                _ => None,
            },
            _ => None,
        };
        let first_is_number = street.first().is_some_and(|t| is_house_number(t.text));
        let last_is_number = street.last().is_some_and(|t| is_house_number(t.text));
        if let Some(grid) = grid {
            parsed.house_number = Some(grid);
            street = street.get(2..).unwrap_or(&[]);
        } else if first_is_number && (!dicts.number_last || !last_is_number) {
            parsed.house_number = street.first().map(|t| t.text.to_string());
            street = street.get(1..).unwrap_or(&[]);
        } else if last_is_number {
            parsed.house_number = street.last().map(|t| t.text.to_string());
            street = street.get(..street.len() - 1).unwrap_or(&[]);
        }
    }
    // Later parts of the line that are not units name a building or complex
    // (`100 Main St, Uptown Square`).
    let mut street_tokens: Vec<Token<'a>> = street.to_vec();
    if number_first {
        if let Some(first) = street_tokens.first().map(|t| t.segment) {
            if let Some(split) = street_tokens.iter().position(|t| t.segment != first) {
                parsed.trailer = street_tokens.split_off(split);
            }
        }
    }
    let street_type_of = |t: &Token<'_>| dicts.lookup(|d| &d.street_types, &t.folded);
    if dicts.directionals {
        take_directionals(&mut parsed, &mut street_tokens, dicts);
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

/// Post-office box: a designator at the start followed by a number.
fn po_box(tokens: &[Token<'_>], dicts: &Dictionaries) -> Option<(String, String)> {
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
                return Some((join_text(head), join_text(&rest)));
            }
        }
    }
    None
}

/// Secondary units from the end of the line, last first: designator + identifier
/// pairs (`Ste 5`), a level after its ordinal (`2nd Fl`) and a word such as `Right` or
/// `Rear` after a numbered unit (`Bldg A1 Right`). Returns where the units begin.
fn trailing_units(
    tokens: &[Token<'_>],
    dicts: &Dictionaries,
    english_ordinals: bool,
) -> (usize, Vec<(Word<'static>, String)>) {
    let mut end = tokens.len();
    let mut units = Vec::new();
    while end >= 2 {
        let (Some(last), Some(before)) = (tokens.get(end - 1), tokens.get(end - 2)) else {
            break;
        };
        if end >= 3 && is_identifier(before.text) {
            let standalone = dicts.lookup(|d| &d.standalone_units, &last.folded);
            if let Some(canonical) = standalone {
                if phrase_ending_at(dicts, |d| &d.units, tokens, end - 2).is_some() {
                    units.push((
                        word_of(std::slice::from_ref(last), canonical),
                        String::new(),
                    ));
                    end -= 1;
                    continue;
                }
            }
        }
        if english_ordinals {
            let level = dicts
                .lookup(|d| &d.units, &last.folded)
                .filter(|c| is_level(c));
            let ordinal = level.and_then(|c| Some((c, ordinal_number(before.text)?)));
            if let Some((canonical, number)) = ordinal {
                units.push((
                    word_of(std::slice::from_ref(last), canonical),
                    number.into_owned(),
                ));
                end -= 2;
                continue;
            }
        }
        if !is_identifier(last.text) {
            break;
        }
        let Some((mut start, mut canonical)) =
            phrase_ending_at(dicts, |d| &d.units, tokens, end - 1)
        else {
            break;
        };
        let mut designator_end = end - 1;
        // A number sign after a designator (`Fl No. 7`, `Apt # 5`, `Ste Number 210`)
        // belongs to the designator: the unit is the floor, apartment or suite.
        if canonical == NUMBER_SIGN {
            if let Some((outer, word)) = phrase_ending_at(dicts, |d| &d.units, tokens, start)
                .filter(|(_, word)| *word != NUMBER_SIGN)
            {
                designator_end = start;
                start = outer;
                canonical = word;
            }
        }
        units.push((
            word_of(tokens.get(start..designator_end).unwrap_or(&[]), canonical),
            last.text.to_string(),
        ));
        end = start;
    }
    (end, units)
}

/// The canonical word of a bare number sign used as a unit designator (`#`, `No.`).
const NUMBER_SIGN: &str = "number";

/// Whether the only word left would be a Publication 28 suffix (`South St`: `South` is
/// the name, not a directional).
fn lone_suffix(dicts: &Dictionaries, rest: &[Token<'_>]) -> bool {
    match rest {
        [one] => dicts
            .lookup(|d| &d.street_types, &one.folded)
            .is_some_and(|c| usps::suffix(c).is_some()),
        _ => false,
    }
}

/// Directionals before and after the street name, one or two words each (`South
/// West`), keeping at least one word that is not a bare suffix as the name.
fn take_directionals<'a>(
    parsed: &mut Parsed<'a>,
    tokens: &mut Vec<Token<'a>>,
    dicts: &Dictionaries,
) {
    let pick: Pick = |d| &d.directionals;
    if tokens.len() >= 2 {
        for len in [2usize, 1] {
            let Some(start) = tokens.len().checked_sub(len) else {
                continue;
            };
            if start == 0 {
                continue;
            }
            let Some(slice) = tokens.get(start..) else {
                continue;
            };
            let found = match slice {
                [one] => dicts.lookup(pick, &one.folded),
                _ => slice
                    .first()
                    .filter(|t| dicts.starts_phrase(pick, &t.folded))
                    .and_then(|_| dicts.lookup(pick, &phrase(slice))),
            };
            if let Some(word) = found {
                parsed.post_directional = Some(word_of(slice, word));
                tokens.truncate(start);
                break;
            }
        }
    }
    if tokens.len() >= 2 {
        for len in [2usize, 1] {
            if tokens.len() <= len {
                continue;
            }
            let (Some(slice), Some(rest)) = (tokens.get(..len), tokens.get(len..)) else {
                continue;
            };
            if lone_suffix(dicts, rest) {
                continue;
            }
            let found = match slice {
                [one] => dicts.lookup(pick, &one.folded),
                _ => slice
                    .first()
                    .filter(|t| dicts.starts_phrase(pick, &t.folded))
                    .and_then(|_| dicts.lookup(pick, &phrase(slice))),
            };
            if let Some(word) = found {
                parsed.pre_directional = Some(word_of(slice, word));
                tokens.drain(..len);
                break;
            }
        }
    }
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
            building: (!self.trailer.is_empty()).then(|| join_text(&self.trailer)),
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
        // Without a house number the line is not a delivery line but a building or
        // complex name (`Overlook Park Flats`): its words stay as written.
        let delivery = self.house_number.is_some();
        fn written_or<'w>(
            delivery: bool,
            dicts: &Dictionaries,
            word: &'w Word<'static>,
            table: fn(&str) -> Option<&'static str>,
            pick: Pick,
        ) -> &'w str {
            if delivery {
                abbreviate(dicts, word, table, pick)
            } else {
                word.text.as_str()
            }
        }
        let abbreviate = |w, table, pick| written_or(delivery, dicts, w, table, pick);
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
        // The comma keeps the building name a part of its own when the line is read
        // again (`UPTOWN SQUARE` is not a suffix).
        for (i, token) in self.trailer.iter().enumerate() {
            if i == 0 && !out.is_empty() {
                out.push(',');
            }
            push(&mut out, token.text);
        }
        for (designator, identifier) in &self.units {
            let standalone = identifier.is_empty();
            let word = if standalone {
                unit_abbreviation(dicts, designator, |d| &d.standalone_units)
            } else {
                unit_abbreviation(dicts, designator, |d| &d.units)
            };
            push(&mut out, word);
            if !standalone {
                push(&mut out, identifier);
            }
        }
        out
    }

    /// The line as a person writes it, for display labels: the words as written, with
    /// abbreviated street types and directionals spelled out in title case
    /// (`123 N Main St.` is `123 North Main Street`). Units, boxes and building names
    /// stay as written.
    pub(crate) fn display_line(&self, written: &str) -> String {
        let Some(number) = &self.house_number else {
            return written.to_string();
        };
        if self.po_box.is_some() {
            return written.to_string();
        }
        let mut out = String::with_capacity(written.len() + 16);
        let push = |out: &mut String, word: &str| {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        };
        let spelled = |w: &Word<'_>| match w.canonical {
            Some(canonical) if fold(&w.text) != canonical => title_case(canonical),
            _ => w.text.clone(),
        };
        // The number where it was written: first (`1600 Amphitheatre Parkway`) or after
        // the street (`Ilica 1`, `Hauptstraße 5`).
        let number_first = written.trim_start().starts_with(number.as_str());
        if number_first {
            push(&mut out, number);
        }
        if let Some(d) = &self.pre_directional {
            push(&mut out, &spelled(d));
        }
        let type_word = self.street_type.as_ref().map(spelled);
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
            push(&mut out, &spelled(d));
        }
        if !number_first {
            push(&mut out, number);
        }
        for (i, token) in self.trailer.iter().enumerate() {
            if i == 0 {
                out.push(',');
            }
            push(&mut out, token.text);
        }
        for (designator, identifier) in &self.units {
            push(&mut out, &designator.text);
            if !identifier.is_empty() {
                push(&mut out, identifier);
            }
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
        for token in &self.trailer {
            push(ascii_words(&token.folded));
        }
        for (designator, identifier) in &self.units {
            if identifier.is_empty() {
                // A standalone unit word (`Rear`, `Right`) is all there is to key.
                push(word(designator));
            } else {
                push(ascii_words(&fold(identifier)));
            }
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

/// A unit designator in Publication 28 form (units are abbreviated on every line).
/// Each word with its first letter in upper case (`county road` → `County Road`).
fn title_case(words: &str) -> String {
    let mut out = String::with_capacity(words.len());
    let mut start = true;
    for c in words.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = c == ' ' || c == '-';
    }
    out
}

fn unit_abbreviation<'w>(dicts: &Dictionaries, word: &'w Word<'static>, pick: Pick) -> &'w str {
    abbreviate(dicts, word, usps::unit, pick)
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
