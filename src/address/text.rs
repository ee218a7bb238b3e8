//! Text folding shared by lookups, street parsing and match keys.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Folds text for lookups: upper case then Unicode NFKD, combining marks removed, lower case, a few
/// letters that do not decompose spelled out (`ß` → `ss`, `æ` → `ae`, `ø` → `o`, ...),
/// apostrophes and full stops removed (`U.S.A.` → `usa`), `#` kept as a word of its own,
/// every other non-alphanumeric character a word break, and whitespace collapsed.
///
/// Country names, subdivision names and the abbreviation dictionaries are all compared in
/// this form, so `Colombie-Britannique`, `COLOMBIE BRITANNIQUE` and `colombie-britannique`
/// are the same key. It does not transliterate: `Köln` folds to `koln`, `東京都` stays
/// `東京都` (modulo compatibility decomposition).
///
/// ```
/// use backoffice::address::fold;
/// assert_eq!(fold("  Colombie-Britannique "), "colombie britannique");
/// assert_eq!(fold("U.S.A."), "usa");
/// assert_eq!(fold("Straße #2f"), "strasse # 2f");
/// ```
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return fold_ascii(text);
    }
    // Upper-casing first makes folding agree with upper-cased text: `ᾀ` upper-cases to
    // `ἈΙ`, so both fold to `ai`.
    let text = text.to_uppercase();
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    let push_word_char = |out: &mut String, c: char, pending_space: &mut bool| {
        if *pending_space && !out.is_empty() {
            out.push(' ');
        }
        *pending_space = false;
        out.push(c);
    };
    for c in text.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            '.' | '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' => {}
            '#' => {
                pending_space = true;
                push_word_char(&mut out, '#', &mut pending_space);
                pending_space = true;
            }
            c if c.is_alphanumeric() => {
                if let Some(spelled) = spell_out(c) {
                    for s in spelled.chars() {
                        push_word_char(&mut out, s, &mut pending_space);
                    }
                } else if c.is_uppercase() {
                    for l in c.to_lowercase() {
                        if !is_combining_mark(l) {
                            push_word_char(&mut out, l, &mut pending_space);
                        }
                    }
                } else {
                    push_word_char(&mut out, c, &mut pending_space);
                }
            }
            _ => pending_space = true,
        }
    }
    out
}

/// [`fold`] for ASCII text, where NFKD and combining marks do not arise.
fn fold_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for b in text.bytes() {
        match b {
            b'.' | b'\'' => {}
            b'#' => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push('#');
                pending_space = true;
            }
            b if b.is_ascii_alphanumeric() => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(char::from(b.to_ascii_lowercase()));
            }
            _ => pending_space = true,
        }
    }
    out
}

/// Letters that NFKD leaves alone but that readers treat as letter sequences.
fn spell_out(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' | 'ẞ' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'ø' | 'Ø' => "o",
        'ł' | 'Ł' => "l",
        'đ' | 'Đ' => "d",
        'ð' | 'Ð' => "d",
        'þ' | 'Þ' => "th",
        'ı' => "i",
        _ => return None,
    })
}

/// Cleans a field value for the canonical form: Unicode NFC, control and format
/// characters removed (tabs and line breaks become spaces), whitespace collapsed and
/// trimmed.
pub(crate) fn clean(text: &str) -> String {
    let mut pending_space = false;
    if text.is_ascii() {
        let bytes = text.as_bytes();
        let already_clean = bytes.first().is_none_or(|b| *b != b' ')
            && bytes.last().is_none_or(|b| *b != b' ')
            && !bytes.windows(2).any(|w| w == b"  ")
            && bytes.iter().all(|b| *b == b' ' || b.is_ascii_graphic());
        if already_clean {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if c.is_ascii_whitespace() {
                pending_space = true;
            } else if !c.is_ascii_control() {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
            }
        }
        return out;
    }
    // Control and format characters go before composition: dropping one between two
    // combining marks after NFC would leave marks out of canonical order, and a second
    // clean would then reorder them (the canonical form must be a fixed point).
    let mut out = String::with_capacity(text.len());
    let kept = text.chars().filter(|c| {
        c.is_whitespace() || *c == '\u{00A0}' || !(c.is_control() || is_format_char(*c))
    });
    for c in kept.nfc() {
        if c.is_whitespace() || c == '\u{00A0}' {
            pending_space = true;
        } else {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    out
}

fn is_format_char(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Upper case, recomposed (NFC): upper-casing can leave a string decomposed (`ῗ`).
pub(crate) fn upper(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_uppercase();
    }
    text.to_uppercase().nfc().collect()
}

/// Transliterates folded text to ASCII (lower case, words separated by one space).
pub(crate) fn ascii_words(folded: &str) -> String {
    let ascii = deunicode::deunicode_with_tofu_cow(folded, "");
    let mut out = String::with_capacity(ascii.len());
    let mut pending_space = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c.to_ascii_lowercase());
        } else if c == '#' {
            // `#` only ever marks a unit number; the key keeps the number alone.
            pending_space = true;
        } else if c == '\'' || c == '.' {
            // deunicode renders some letters with an apostrophe (e.g. soft signs)
        } else {
            pending_space = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_and_punctuation() {
        assert_eq!(fold("Maranhão"), "maranhao");
        assert_eq!(fold("Île-du-Prince-Édouard"), "ile du prince edouard");
        assert_eq!(fold("P.O. Box 12"), "po box 12");
        assert_eq!(fold("#2f"), "# 2f");
        assert_eq!(fold("a  \t b"), "a b");
        assert_eq!(fold(""), "");
        assert_eq!(fold("ＡＢＣ１２"), "abc12");
        // The ASCII fast path agrees with the general one.
        for s in [
            "a#b",
            "#",
            "##x",
            " U.S.A. ",
            "O'Brien-Smith",
            "a\tb",
            "x # y",
        ] {
            assert_eq!(
                fold(s),
                fold(&format!("{s}\u{e9}"))
                    .trim_end_matches(" e")
                    .trim_end_matches('e'),
                "{s}"
            );
        }
    }

    #[test]
    fn cleans_controls_and_spaces() {
        assert_eq!(clean("  a\u{0}b\tc\u{200B}d  "), "ab cd");
        assert_eq!(clean("e\u{301}"), "é");
    }

    #[test]
    fn ascii_words_transliterates() {
        assert_eq!(ascii_words("koln"), "koln");
        assert_eq!(ascii_words("東京"), "dong jing");
    }
}
