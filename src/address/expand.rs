//! Expansion: every plausible normalised form of a street or place string, in the
//! manner of libpostal's `expand_address`, over libpostal's abbreviation dictionaries
//! (60 languages, see NOTICE).
//!
//! A string is folded ([`fold`]: lower case, accents and punctuation removed) and read
//! word by word. Each phrase of up to four words that a dictionary of the selected
//! languages knows becomes a choice between the phrase as written, its canonical words
//! (`st` → `street`, `saint`) and their usual abbreviation (`street` → `st`), at most six
//! readings a phrase. Besides:
//! - number words become digits in English, French, German, Spanish, Italian,
//!   Portuguese and Dutch (`quatre vingt douze` → `92`, `twenty first` → `21st` and
//!   `21`, `einundzwanzig` → `21`, `milleottocento` → `1800`);
//! - English digit ordinals also become words and bare digits (`26th` → `twenty sixth`,
//!   `26`);
//! - unambiguous Roman numerals become digits (`XX` → `20`; see
//!   [`ExpandOptions::roman_numerals`]);
//! - street types joined to the name are split off (`friedrichstrasse` →
//!   `friedrich strasse`) in the languages whose dictionaries list such endings;
//! - words joined by a hyphen are also written as one (`champselysees`);
//! - every form is also given in ASCII (`улица` → `ulitsa`).
//!
//! The forms are, in order: the match-key form (below), every abbreviation expanded
//! to its first reading and every number in digits, the string as written (folded), then every combination of readings when
//! there are no more than twice [`ExpandOptions::max_forms`] of them, otherwise each
//! single change from the first two.
//!
//! The forms are deterministic (same input and options, same list in the same order)
//! and bounded: at most [`ExpandOptions::max_forms`] forms, never more than
//! [`MAX_FORMS`]; the work is linear in the length of the input (a bounded number of
//! dictionary look-ups per word, a bounded number of forms each as long as the input).
//!
//! The first form is always the street part of the [`match_key`](super::match_key) of
//! an address in [`ExpandOptions::country`] whose only address line is the text: the
//! match key is, by definition, the canonical member of the set.

#[rustfmt::skip]
#[path = "data/expansions.rs"]
mod tables;

#[rustfmt::skip]
#[path = "data/number_words.rs"]
mod words;

use super::data::PairTable;
use super::text::{ascii_words, fold};
use super::{Address, AddressConfig, Want};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// The most forms [`expand`] and [`expand_root`] ever return, whatever
/// [`ExpandOptions::max_forms`] asks for.
pub const MAX_FORMS: usize = 256;

/// The default of [`ExpandOptions::max_forms`].
pub const DEFAULT_MAX_FORMS: usize = 32;

/// Most alternatives considered for one phrase (the phrase as written included).
const MAX_ALTERNATIVES: usize = 6;

/// Longest word (in bytes) searched for joined street types, number words and Roman
/// numerals; longer words are kept as written.
const MAX_WORD_SEARCH: usize = 64;

/// Which forms [`expand`] produces, and for which languages.
///
/// ```
/// use backoffice::address::ExpandOptions;
/// let options = ExpandOptions {
///     languages: vec!["de".into()],
///     roman_numerals: false,
///     ..ExpandOptions::default()
/// };
/// assert!(options.abbreviations && !options.roman_numerals);
/// assert_eq!(options.max_forms, backoffice::address::DEFAULT_MAX_FORMS);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandOptions {
    /// Country of the string (code or name): it names the dictionaries when
    /// [`languages`](Self::languages) is empty, and the match key of the first form.
    /// Default: none.
    pub country: Option<String>,
    /// Dictionary languages (ISO 639 codes such as `en`, `de`, `gsw`; see
    /// [`expansion_languages`]), in order of preference; codes without a dictionary are
    /// ignored. Empty (the default): the country's languages, or every language when
    /// there is no country or it has none.
    pub languages: Vec<String>,
    /// Abbreviations both ways: street types, units, titles, place words (`st` ↔
    /// `street`, `saint`). Default: on.
    pub abbreviations: bool,
    /// Directionals both ways (`n` ↔ `north`, `sw` ↔ `southwest`). Default: on.
    pub directionals: bool,
    /// Number words to digits (`quatre vingt douze` → `92`). Default: on.
    pub numbers: bool,
    /// Ordinal words to digits and English digit ordinals to words (`twenty first` ↔
    /// `21st`). Default: on.
    pub ordinals: bool,
    /// Unambiguous Roman numerals to digits (`XIV` → `14`): two or more of the letters
    /// `I V X L C` (`D` and `M` only in numerals of four letters or more), in canonical
    /// form, that no dictionary of the languages knows as a word. Default: on.
    pub roman_numerals: bool,
    /// Street types joined to the name split off (`hauptstr` → `hauptstrasse`,
    /// `haupt strasse`), in languages that join them. Default: on.
    pub compounds: bool,
    /// Words joined by a hyphen also written as one (`champs elysees`,
    /// `champselysees`). Default: on.
    pub hyphens: bool,
    /// Every form also in ASCII (`ulitsa`), as match keys are. Default: on.
    pub transliterate: bool,
    /// Most forms returned; `0` means one, and at most [`MAX_FORMS`] are ever returned.
    /// Default: [`DEFAULT_MAX_FORMS`].
    pub max_forms: usize,
}

impl Default for ExpandOptions {
    fn default() -> Self {
        ExpandOptions {
            country: None,
            languages: Vec::new(),
            abbreviations: true,
            directionals: true,
            numbers: true,
            ordinals: true,
            roman_numerals: true,
            compounds: true,
            hyphens: true,
            transliterate: true,
            max_forms: DEFAULT_MAX_FORMS,
        }
    }
}

/// Languages with an expansion dictionary (ISO 639 codes, sorted).
///
/// ```
/// let languages: Vec<_> = backoffice::address::expansion_languages().collect();
/// assert_eq!(languages.len(), 60);
/// assert!(languages.contains(&"fr"));
/// ```
pub fn expansion_languages() -> impl Iterator<Item = &'static str> {
    tables::EXPANSIONS.iter().map(|(lang, _)| *lang)
}

/// Every plausible normalised form of a street or place string, the match-key form
/// first (see the [module documentation](self)). Empty input gives no forms.
///
/// ```
/// use backoffice::address::{expand, ExpandOptions};
///
/// let options = ExpandOptions { country: Some("US".into()), ..ExpandOptions::default() };
/// let forms = expand("30 W 26th St", &options);
/// assert_eq!(forms[0], "30 west 26th street");
/// assert!(forms.contains(&"30 w 26th st".to_string()));
/// assert!(forms.contains(&"30 west twenty sixth street".to_string()));
///
/// let fr = ExpandOptions { languages: vec!["fr".into()], ..ExpandOptions::default() };
/// let forms = expand("Quatre-vingt-douze Ave des Champs-Élysées", &fr);
/// assert!(forms.contains(&"92 avenue des champs elysees".to_string()));
/// assert!(forms.contains(&"92 avenue des champselysees".to_string()));
/// assert!(forms.len() <= options.max_forms);
/// ```
pub fn expand(text: &str, options: &ExpandOptions) -> Vec<String> {
    let mut forms = Forms::new(options);
    if let Some(key) = key_form(text, options) {
        forms.push(key);
    }
    let words = words(text);
    let slots = slots(&words, options, false);
    enumerate(&slots, &mut forms);
    forms.list
}

/// The roots of a street or place string: the forms of [`expand`] without the words
/// that only say what kind of place it is (street types, directionals, unit and level
/// designators, stopwords), as libpostal's `expand_address_root` gives them; a string
/// made only of such words keeps them. The match-key form is not among them.
///
/// ```
/// use backoffice::address::{expand_root, ExpandOptions};
/// let en = ExpandOptions { languages: vec!["en".into()], ..ExpandOptions::default() };
/// assert_eq!(expand_root("Main St NW", &en), ["main"]);
/// let fr = ExpandOptions { languages: vec!["fr".into()], ..ExpandOptions::default() };
/// assert!(expand_root("Rue de la Paix", &fr).contains(&"paix".to_string()));
/// ```
pub fn expand_root(text: &str, options: &ExpandOptions) -> Vec<String> {
    let mut forms = Forms::new(options);
    let words = words(text);
    let slots = slots(&words, options, true);
    enumerate(&slots, &mut forms);
    forms.list
}

/// The street part of the match key of `text` as the only line of an address in the
/// options' country.
fn key_form(text: &str, options: &ExpandOptions) -> Option<String> {
    let address = Address {
        country: options.country.clone().unwrap_or_default(),
        address_lines: vec![text.to_string()],
        ..Address::default()
    };
    let config = AddressConfig {
        max_field_bytes: usize::MAX,
        max_address_lines: 1,
        ..AddressConfig::default()
    };
    let key = super::analyze_for(&address, &config, Want::KEY)
        .ok()?
        .match_key;
    key.splitn(6, '|').nth(5).map(str::to_string)
}

/// The forms found so far: deduplicated, in order, bounded.
struct Forms {
    list: Vec<String>,
    seen: BTreeSet<String>,
    max: usize,
    transliterate: bool,
}

impl Forms {
    fn new(options: &ExpandOptions) -> Self {
        Forms {
            list: Vec::new(),
            seen: BTreeSet::new(),
            max: options.max_forms.clamp(1, MAX_FORMS),
            transliterate: options.transliterate,
        }
    }

    fn full(&self) -> bool {
        self.list.len() >= self.max
    }

    fn push(&mut self, form: String) {
        if self.full() || form.is_empty() {
            return;
        }
        let ascii = (self.transliterate && !form.is_ascii()).then(|| ascii_words(&form));
        if !self.seen.contains(&form) {
            self.seen.insert(form.clone());
            self.list.push(form);
        }
        if let Some(ascii) = ascii {
            if !self.full() && !ascii.is_empty() && !self.seen.contains(&ascii) {
                self.seen.insert(ascii.clone());
                self.list.push(ascii);
            }
        }
    }
}

/// A folded word, and whether a hyphen joined it to the next one as written.
#[derive(Debug)]
struct FoldedWord {
    text: String,
    hyphen_after: bool,
}

fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
    )
}

fn words(text: &str) -> Vec<FoldedWord> {
    let mut out = Vec::new();
    for piece in text.split_whitespace() {
        let hyphenated = piece.contains(is_dash);
        let folded = fold(piece);
        let mut parts = folded.split(' ').filter(|w| !w.is_empty()).peekable();
        while let Some(word) = parts.next() {
            out.push(FoldedWord {
                text: word.to_string(),
                hyphen_after: hyphenated && parts.peek().is_some(),
            });
        }
    }
    out
}

/// One choice in a form: a phrase with its alternatives (the first as written), or the
/// space between two phrases.
#[derive(Debug)]
struct Slot<'a> {
    alternatives: Vec<Cow<'a, str>>,
    /// The alternative of the "everything expanded" form.
    expanded: usize,
    gap: bool,
}

impl<'a> Slot<'a> {
    fn add(&mut self, alternative: Cow<'a, str>) {
        if self.alternatives.len() < MAX_ALTERNATIVES && !self.alternatives.contains(&alternative) {
            self.alternatives.push(alternative);
        }
    }
}

/// The dictionaries of the options.
fn selected_tables(options: &ExpandOptions) -> Vec<Selected> {
    // Every language, English first (its readings are the most common in addresses
    // written in Latin script), then by code.
    let all = || {
        let indexed = || tables::EXPANSIONS.iter().enumerate();
        let english = indexed().filter(|(_, (l, _))| *l == "en");
        let others = indexed().filter(|(_, (l, _))| *l != "en");
        english
            .chain(others)
            .map(|(i, (l, t))| (*l, t, language_bit(i)))
            .collect()
    };
    let find = |lang: &str| {
        let i = tables::EXPANSIONS
            .binary_search_by(|(l, _)| l.cmp(&lang))
            .ok()?;
        tables::EXPANSIONS
            .get(i)
            .map(|(l, t)| (*l, t, language_bit(i)))
    };
    if !options.languages.is_empty() {
        let mut out: Vec<Selected> = Vec::new();
        for lang in &options.languages {
            let lang = lang.trim().to_ascii_lowercase();
            if let Some(found) = find(&lang) {
                if !out.iter().any(|(l, _, _)| *l == found.0) {
                    out.push(found);
                }
            }
        }
        return out;
    }
    let country = options
        .country
        .as_deref()
        .and_then(super::country::find_country);
    match country {
        Some(c) if !c.languages.is_empty() => c.languages.iter().filter_map(|l| find(l)).collect(),
        _ => all(),
    }
}

/// A selected dictionary: its language, its table and its bit in the prefilter.
type Selected = (&'static str, &'static PairTable, u128);

/// The bit of the `i`-th language of `tables::EXPANSIONS` (at most 128 languages; the
/// generated-table test checks there are fewer).
fn language_bit(i: usize) -> u128 {
    1u128
        .checked_shl(u32::try_from(i).unwrap_or(u32::MAX))
        .unwrap_or(0)
}

/// Slots of the prefilter (a power of two).
const FILTER_SLOTS: usize = 1 << 14;

/// FNV-1a over the key's bytes, folded to a slot of the prefilter.
fn filter_slot(key: &str) -> usize {
    let mut hash: u32 = 0x811c_9dc5;
    for b in key.bytes() {
        hash = (hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    (hash as usize) & (FILTER_SLOTS - 1)
}

/// The prefilter in front of the dictionaries: for each slot, the set of languages
/// (bits of [`language_bit`]) whose dictionary holds a phrase hashing to that slot.
/// A language whose bit is clear cannot know the phrase, so its binary search is
/// skipped: a phrase is searched only in the dictionaries whose bit is set, not in all
/// of them. Built once, on the first expansion: 14,481 phrases into 16,384 slots of 16
/// bytes (256 KiB). Measured with callgrind, expanding `30 W 26th St Fl #7` in every
/// language costs 390,882 instructions a line with it.
fn prefilter() -> &'static [u128] {
    static FILTER: std::sync::OnceLock<Vec<u128>> = std::sync::OnceLock::new();
    FILTER.get_or_init(|| {
        let mut filter = vec![0u128; FILTER_SLOTS];
        for (i, (_, table)) in tables::EXPANSIONS.iter().enumerate() {
            let bit = language_bit(i);
            for k in 0..table.len() {
                if let Some(slot) = filter.get_mut(filter_slot(table.alias(k))) {
                    *slot |= bit;
                }
            }
        }
        filter
    })
}

/// The languages that may know `key` (a superset of those that do).
fn languages_with(key: &str) -> u128 {
    prefilter().get(filter_slot(key)).copied().unwrap_or(0)
}

fn lookup(table: &'static PairTable, key: &str) -> Option<&'static str> {
    let (mut low, mut high) = (0, table.len());
    while low < high {
        let mid = low + (high - low) / 2;
        match table.alias(mid).cmp(key) {
            Ordering::Less => low = mid + 1,
            Ordering::Greater => high = mid,
            Ordering::Equal => return Some(table.canonical(mid)),
        }
    }
    None
}

/// A dictionary phrase: how many words, its kinds and its alternatives.
struct Phrase {
    len: usize,
    kinds: String,
    alternatives: Vec<&'static str>,
}

fn phrase_at(words: &[FoldedWord], at: usize, tables: &[Selected]) -> Option<Phrase> {
    let mut key = String::new();
    let mut best: Option<Phrase> = None;
    for len in 1..=4usize {
        let Some(word) = words.get(at + len - 1) else {
            break;
        };
        if len > 1 {
            key.push(' ');
        }
        key.push_str(&word.text);
        let mut found: Option<Phrase> = None;
        let candidates = languages_with(&key);
        for (_, table, bit) in tables {
            if candidates & bit == 0 {
                continue;
            }
            if let Some(value) = lookup(table, &key) {
                let mut parts = value.split('|');
                let kinds = parts.next().unwrap_or("");
                let phrase = found.get_or_insert_with(|| Phrase {
                    len,
                    kinds: String::new(),
                    alternatives: Vec::new(),
                });
                for k in kinds.chars() {
                    if !phrase.kinds.contains(k) {
                        phrase.kinds.push(k);
                    }
                }
                for alternative in parts {
                    if !phrase.alternatives.contains(&alternative) {
                        phrase.alternatives.push(alternative);
                    }
                }
            }
        }
        if found.is_some() {
            best = found;
        }
    }
    best
}

/// Whether some selected dictionary knows the word (any kind).
fn known_word(word: &str, tables: &[Selected]) -> bool {
    let candidates = languages_with(word);
    tables
        .iter()
        .any(|(_, t, bit)| candidates & bit != 0 && lookup(t, word).is_some())
}

fn slots<'a>(words: &'a [FoldedWord], options: &ExpandOptions, root: bool) -> Vec<Slot<'a>> {
    let tables = selected_tables(options);
    let languages: Vec<&str> = tables.iter().map(|(l, _, _)| *l).collect();
    let mut out: Vec<Slot<'a>> = Vec::new();
    let mut at = 0;
    // Whether every phrase so far would be dropped from a root.
    let mut generic_slots = Vec::new();
    // Which slots (words and gaps alike) are street types.
    let mut type_slots = Vec::new();
    while let Some(first) = words.get(at) {
        let phrase = phrase_at(words, at, &tables);
        let number = if options.numbers || options.ordinals {
            numbers::span(words, at, &languages, options)
        } else {
            None
        };
        let phrase_len = phrase.as_ref().map_or(0, |p| p.len);
        let mut slot = Slot {
            alternatives: Vec::new(),
            expanded: 0,
            gap: false,
        };
        let mut generic = false;
        let len;
        match number {
            Some((n_len, digits))
                if n_len >= phrase_len
                    && !(n_len == 1 && phrase.as_ref().is_some_and(|p| p.kinds.contains('s'))) =>
            {
                len = n_len;
                slot.alternatives.push(Cow::Owned(joined(words, at, len)));
                let bare: String = digits.chars().take_while(char::is_ascii_digit).collect();
                slot.add(Cow::Owned(digits));
                slot.expanded = slot.alternatives.len() - 1;
                slot.add(Cow::Owned(bare));
            }
            _ if phrase_len > 0 => {
                len = phrase_len;
                slot.alternatives.push(Cow::Owned(joined(words, at, len)));
                if let Some(p) = &phrase {
                    let allowed = (options.abbreviations && p.kinds.contains(['t', 'u', 'w']))
                        || (options.directionals && p.kinds.contains('d'));
                    generic = root
                        && ((options.abbreviations && p.kinds.contains(['t', 'u', 's']))
                            || (options.directionals && p.kinds.contains('d')));
                    if allowed {
                        for alternative in &p.alternatives {
                            slot.add(Cow::Borrowed(*alternative));
                        }
                        // Expanded: the first canonical word, when the phrase is an
                        // abbreviation (canonical words come before abbreviations, and
                        // an abbreviation is shorter than what it stands for).
                        if let Some(first_alt) = p.alternatives.first() {
                            if slot
                                .alternatives
                                .first()
                                .is_some_and(|w| first_alt.len() > w.len())
                            {
                                slot.expanded = 1;
                            }
                        }
                    }
                }
            }
            _ => {
                len = 1;
                slot.alternatives.push(Cow::Borrowed(first.text.as_str()));
                single_word(&mut slot, &first.text, at, &tables, options, root);
            }
        }
        if root && generic {
            slot.alternatives = vec![Cow::Borrowed("")];
            slot.expanded = 0;
        }
        generic_slots.push((out.len(), generic));
        type_slots
            .push(phrase_len == len && phrase.as_ref().is_some_and(|p| p.kinds.contains('t')));
        out.push(slot);
        at += len;
        if at < words.len() {
            let joinable = options.hyphens
                && words
                    .get(at - 1)
                    .is_some_and(|w: &FoldedWord| w.hyphen_after);
            let mut gap = Slot {
                alternatives: vec![Cow::Borrowed(" ")],
                expanded: 0,
                gap: true,
            };
            if joinable {
                gap.alternatives.push(Cow::Borrowed(""));
            }
            out.push(gap);
            type_slots.push(false);
        }
    }
    // A root of nothing but generic words keeps its first street type (`Park` in `S
    // Park Ave`, `Avenue` in `Avenue Rd`), or everything when it has none.
    if root && generic_slots.iter().all(|(_, g)| *g) {
        let all = slots(words, options, false);
        let Some(keep) = all
            .iter()
            .zip(&type_slots)
            .position(|(s, is_type)| !s.gap && *is_type)
        else {
            return all;
        };
        return all
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                if i == keep || s.gap {
                    s
                } else {
                    Slot {
                        alternatives: vec![Cow::Borrowed("")],
                        expanded: 0,
                        gap: false,
                    }
                }
            })
            .collect();
    }
    out
}

fn joined(words: &[FoldedWord], at: usize, len: usize) -> String {
    let mut out = String::new();
    for w in words.iter().skip(at).take(len) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&w.text);
    }
    out
}

/// Alternatives of a word no dictionary phrase covers: Roman numerals, English digit
/// ordinals, joined street types.
fn single_word(
    slot: &mut Slot<'_>,
    word: &str,
    at: usize,
    tables: &[Selected],
    options: &ExpandOptions,
    root: bool,
) {
    if word.len() > MAX_WORD_SEARCH {
        return;
    }
    if options.roman_numerals && (at > 0 || word.len() >= 3) && !known_word(word, tables) {
        if let Some(value) = roman(word) {
            slot.add(Cow::Owned(value.to_string()));
            slot.expanded = slot.alternatives.len() - 1;
            return;
        }
    }
    if options.ordinals && tables.iter().any(|(l, _, _)| *l == "en") {
        if let Some((words, bare)) = numbers::english_ordinal(word) {
            if let Some(words) = words {
                slot.add(Cow::Owned(words));
            }
            slot.add(Cow::Owned(bare.to_string()));
            return;
        }
    }
    if options.compounds {
        for (lang, _, _) in tables {
            let Some(suffixes) = tables::SUFFIXES
                .binary_search_by(|(l, _)| l.cmp(lang))
                .ok()
                .and_then(|i| tables::SUFFIXES.get(i))
                .map(|(_, t)| t)
            else {
                continue;
            };
            // Longest ending first, keeping a stem of three letters or more.
            for (i, _) in word.char_indices().skip(3) {
                let (Some(stem), Some(ending)) = (word.get(..i), word.get(i..)) else {
                    continue;
                };
                if let Some(canonical) = lookup(suffixes, ending) {
                    if root {
                        // The root of `hauptstrasse` is `haupt`.
                        slot.alternatives = vec![Cow::Owned(stem.to_string())];
                        slot.expanded = 0;
                        return;
                    }
                    slot.add(Cow::Owned(format!("{stem}{canonical}")));
                    slot.add(Cow::Owned(format!("{stem} {canonical}")));
                    slot.expanded = if ending == canonical { 0 } else { 1 };
                    return;
                }
            }
        }
    }
}

/// The value of a Roman numeral that is unambiguous (see
/// [`ExpandOptions::roman_numerals`]).
fn roman(word: &str) -> Option<u16> {
    let bytes = word.as_bytes();
    if bytes.len() < 2 || bytes.len() > 15 {
        return None;
    }
    if bytes.len() < 4 && bytes.iter().any(|b| matches!(b, b'd' | b'm')) {
        return None;
    }
    // Words in Chinese, Italian and other languages that read as numerals.
    if matches!(word, "li" | "xi" | "ci" | "mix" | "lix") {
        return None;
    }
    let digit = |b: u8| -> Option<u16> {
        Some(match b {
            b'i' => 1,
            b'v' => 5,
            b'x' => 10,
            b'l' => 50,
            b'c' => 100,
            b'd' => 500,
            b'm' => 1000,
            _ => return None,
        })
    };
    let mut total: u16 = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let value = digit(b)?;
        let next = match bytes.get(i + 1) {
            Some(&n) => Some(digit(n)?),
            None => None,
        };
        match next {
            Some(n) if n > value => {
                total = total.checked_add(n - value)?;
                i += 2;
            }
            _ => {
                total = total.checked_add(value)?;
                i += 1;
            }
        }
    }
    (1..=3999)
        .contains(&total)
        .then_some(total)
        .filter(|t| to_roman(*t) == word)
}

fn to_roman(mut value: u16) -> String {
    const PARTS: [(u16, &str); 13] = [
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ];
    let mut out = String::new();
    for (v, s) in PARTS {
        while value >= v {
            out.push_str(s);
            value -= v;
        }
    }
    out
}

/// Builds forms from the slots: every combination when there are few enough, else the
/// expanded form and the form as written with one choice changed at a time.
fn enumerate(slots: &[Slot<'_>], forms: &mut Forms) {
    if slots.is_empty() {
        return;
    }
    let build = |choice: &dyn Fn(usize, &Slot<'_>) -> usize| -> String {
        let mut out = String::new();
        let mut separator = " ";
        let mut dropped = false;
        for (i, slot) in slots.iter().enumerate() {
            let pick = choice(i, slot);
            let text: &str = slot
                .alternatives
                .get(pick)
                .or_else(|| slot.alternatives.first())
                .map_or("", |a| a.as_ref());
            if slot.gap {
                if !dropped {
                    separator = text;
                }
            } else if text.is_empty() {
                separator = " ";
                dropped = true;
            } else {
                if !out.is_empty() {
                    out.push_str(separator);
                }
                out.push_str(text);
                separator = " ";
                dropped = false;
            }
        }
        out
    };
    forms.push(build(&|_, s| s.expanded));
    forms.push(build(&|_, _| 0));
    let total = slots.iter().try_fold(1usize, |acc, s| {
        acc.checked_mul(s.alternatives.len().max(1))
    });
    match total {
        Some(total) if total <= forms.max.saturating_mul(2) => {
            // Mixed-radix count, first slot most significant.
            let mut digits = vec![0usize; slots.len()];
            for _ in 0..total {
                if forms.full() {
                    return;
                }
                forms.push(build(&|i, _| digits.get(i).copied().unwrap_or(0)));
                for (i, slot) in slots.iter().enumerate().rev() {
                    let Some(d) = digits.get_mut(i) else {
                        continue;
                    };
                    *d += 1;
                    if *d < slot.alternatives.len() {
                        break;
                    }
                    *d = 0;
                }
            }
        }
        _ => {
            for base_expanded in [true, false] {
                for (j, slot) in slots.iter().enumerate() {
                    for k in 0..slot.alternatives.len() {
                        if forms.full() {
                            return;
                        }
                        forms.push(build(&|i, s| {
                            if i == j {
                                k
                            } else if base_expanded {
                                s.expanded
                            } else {
                                0
                            }
                        }));
                    }
                }
            }
        }
    }
}

/// Number words (cardinal and ordinal) in English, French, German, Spanish, Italian,
/// Portuguese and Dutch, written apart, with hyphens or joined (`einundzwanzig`,
/// `milleottocento`).
mod numbers {
    use super::{ExpandOptions, FoldedWord, MAX_WORD_SEARCH};

    /// What a number word does to the value being read.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum Role {
        /// Adds its value (`twenty`, `sept`).
        Add,
        /// Multiplies what came before by 100 (`hundred`, `cent`).
        Hundred,
        /// Closes a group: multiplies it by its value (`thousand`, `mille`).
        Scale,
        /// Joins parts (`and`, `et`, `und`).
        Join,
        /// A stem that needs an ordinal ending (German `drit` in `dritte`).
        Stem,
        /// An ordinal ending (`te`, `ste`, `de`).
        Mark,
    }

    use Role::{Add, Hundred, Join, Mark, Scale, Stem};

    /// Ordinal gender: none, masculine (or unmarked), feminine.
    pub(super) const N: u8 = 0;
    pub(super) const O: u8 = 1;
    pub(super) const F: u8 = 2;

    /// A number word: its folded spelling, value, role and ordinal gender.
    pub(super) type Morpheme = (&'static str, u32, Role, u8);

    /// The number words of one language.
    pub(super) struct Lexicon {
        pub(super) lang: &'static str,
        pub(super) morphemes: &'static [Morpheme],
    }

    use super::words::LEXICONS;

    /// Most words in one number.
    const MAX_SPAN: usize = 8;

    /// Splits `text` into morphemes of the lexicon (longest first, backtracking).
    fn segment(text: &str, lexicon: &Lexicon) -> Option<Vec<&'static Morpheme>> {
        if text.is_empty() || text.len() > MAX_WORD_SEARCH * 2 {
            return None;
        }
        let mut failed = vec![false; text.len() + 1];
        let mut out = Vec::new();
        split_from(text, 0, lexicon, &mut failed, &mut out).then_some(out)
    }

    fn split_from(
        text: &str,
        at: usize,
        lexicon: &Lexicon,
        failed: &mut [bool],
        out: &mut Vec<&'static Morpheme>,
    ) -> bool {
        let Some(rest) = text.get(at..) else {
            return false;
        };
        if rest.is_empty() {
            return true;
        }
        if failed.get(at).copied().unwrap_or(true) {
            return false;
        }
        let mut candidates: Vec<&'static Morpheme> = lexicon
            .morphemes
            .iter()
            .filter(|m| rest.starts_with(m.0))
            .collect();
        candidates.sort_by_key(|m| std::cmp::Reverse(m.0.len()));
        for m in candidates {
            out.push(m);
            if split_from(text, at + m.0.len(), lexicon, failed, out) {
                return true;
            }
            out.pop();
        }
        if let Some(f) = failed.get_mut(at) {
            *f = true;
        }
        false
    }

    /// The value of a morpheme sequence and its ordinal gender, when it reads as one
    /// number.
    fn evaluate(morphemes: &[&'static Morpheme], lang: &str) -> Option<(u64, u8)> {
        let mut total: u64 = 0;
        let mut group: u64 = 0;
        let mut last_add: Option<u64> = None;
        let mut joined = false;
        let mut ordinal = N;
        let mut any = false;
        let mut iter = morphemes.iter().peekable();
        while let Some(&&(_, value, role, gender)) = iter.next() {
            let value = u64::from(value);
            if ordinal != N && role != Add {
                return None;
            }
            match role {
                Join => {
                    if !any || joined {
                        return None;
                    }
                    joined = true;
                    continue;
                }
                Add | Stem => {
                    if role == Stem && !iter.peek().is_some_and(|m| m.2 == Mark) {
                        return None;
                    }
                    let fits = match last_add {
                        None => true,
                        Some(p) => {
                            (p.is_multiple_of(100) && value < 100)
                                || (p.is_multiple_of(10) && p < 100 && value < 10 && value < p)
                                || (lang == "fr"
                                    && (p == 60 || p == 80)
                                    && (10..20).contains(&value))
                                || (matches!(lang, "de" | "nl")
                                    && joined
                                    && p < 10
                                    && value.is_multiple_of(10)
                                    && (20..100).contains(&value))
                        }
                    };
                    if !fits {
                        return None;
                    }
                    group = group.checked_add(value)?;
                    last_add = Some(match last_add {
                        Some(p) if p < 10 && value >= 20 => p + value,
                        _ => value,
                    });
                }
                Hundred => {
                    group = match group {
                        0 => 100,
                        g if g < 100 => g * 100,
                        _ => return None,
                    };
                    last_add = None;
                }
                Scale => {
                    let times = if group == 0 { 1 } else { group };
                    if times >= value {
                        return None;
                    }
                    total = total.checked_add(times.checked_mul(value)?)?;
                    group = 0;
                    last_add = None;
                }
                Mark => {
                    if !any || iter.peek().is_some() {
                        return None;
                    }
                }
            }
            any = true;
            joined = false;
            if gender != N {
                ordinal = gender;
            } else if role != Mark && ordinal != N {
                return None;
            }
        }
        if joined || !any {
            return None;
        }
        Some((total.checked_add(group)?, ordinal))
    }

    /// Digits of a number in a language: `21st`, `21e`, `21o`, `21a`, `21`.
    fn digits(value: u64, ordinal: u8, lang: &str) -> String {
        if ordinal == N {
            return value.to_string();
        }
        let suffix = match lang {
            "en" => english_suffix(value),
            "fr" if value == 1 => {
                if ordinal == F {
                    "re"
                } else {
                    "er"
                }
            }
            "fr" | "nl" => "e",
            "es" | "it" | "pt" => {
                if ordinal == F {
                    "a"
                } else {
                    "o"
                }
            }
            _ => "",
        };
        format!("{value}{suffix}")
    }

    fn english_suffix(value: u64) -> &'static str {
        match (value % 10, value % 100) {
            (_, 11..=13) => "th",
            (1, _) => "st",
            (2, _) => "nd",
            (3, _) => "rd",
            _ => "th",
        }
    }

    /// The longest number of words starting at `at` in one of `languages` (all
    /// lexicons when `languages` names none of theirs): its length in words and its
    /// digits.
    pub(super) fn span(
        words: &[FoldedWord],
        at: usize,
        languages: &[&str],
        options: &ExpandOptions,
    ) -> Option<(usize, String)> {
        let mut best: Option<(usize, String)> = None;
        for lexicon in LEXICONS.iter().filter(|l| languages.contains(&l.lang)) {
            // How many words from `at` are each made of number words.
            let mut run = 0;
            while run < MAX_SPAN {
                let Some(word) = words.get(at + run) else {
                    break;
                };
                if word.text.len() > MAX_WORD_SEARCH || segment(&word.text, lexicon).is_none() {
                    break;
                }
                run += 1;
            }
            for len in (1..=run).rev() {
                if best.as_ref().is_some_and(|(l, _)| *l >= len) {
                    break;
                }
                let mut text = String::new();
                for w in words.iter().skip(at).take(len) {
                    text.push_str(&w.text);
                }
                let Some(morphemes) = segment(&text, lexicon) else {
                    continue;
                };
                let Some((value, ordinal)) = evaluate(&morphemes, lexicon.lang) else {
                    continue;
                };
                if (ordinal == N && !options.numbers) || (ordinal != N && !options.ordinals) {
                    continue;
                }
                best = Some((len, digits(value, ordinal, lexicon.lang)));
                break;
            }
        }
        best
    }

    /// An English digit ordinal (`26th`): its words from 1st to 99th (`twenty sixth`)
    /// and its digits (`26`).
    pub(super) fn english_ordinal(word: &str) -> Option<(Option<String>, &str)> {
        let split = word.find(|c: char| !c.is_ascii_digit())?;
        let (number, suffix) = (word.get(..split)?, word.get(split..)?);
        if number.is_empty() || number.len() > 6 || number.starts_with('0') {
            return None;
        }
        let value: u64 = number.parse().ok()?;
        if suffix != english_suffix(value) {
            return None;
        }
        Some((ordinal_words(value), number))
    }

    /// English ordinal words from 1 to 99.
    fn ordinal_words(value: u64) -> Option<String> {
        if !(1..=99).contains(&value) {
            return None;
        }
        let english = LEXICONS
            .iter()
            .find(|l| l.lang == "en")
            .map_or(&[][..], |l| l.morphemes);
        let name = |v: u64, ordinal: bool| {
            english
                .iter()
                .find(|m| u64::from(m.1) == v && m.2 == Add && (m.3 != N) == ordinal)
                .map(|m| m.0)
        };
        if value < 20 || value.is_multiple_of(10) {
            return name(value, true).map(str::to_string);
        }
        Some(format!(
            "{} {}",
            name(value - value % 10, false)?,
            name(value % 10, true)?
        ))
    }
}
