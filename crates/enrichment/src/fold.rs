//! Text folding: the one normalisation every matcher works on.
//!
//! Brand terms, rule phrases and the mention are all folded by [`fold_into`], so a
//! query written "Żywiec" matches "zywiec", "ŻYWIEC" and "Zywiec" alike, and a rule
//! written "pracuję w" matches "pracuje w". Folding writes into a caller's buffer
//! because it runs for every mention: the hot path reuses thread-local strings.

/// Lowercases, strips Latin diacritics, unifies apostrophes and dashes, and collapses
/// whitespace runs into one space. Other scripts are only lowercased (and `ё` → `е`).
pub(crate) fn fold_into(src: &str, out: &mut String) {
    out.clear();
    out.reserve(src.len());
    let mut last_space = true; // drop leading whitespace
    for c in src.chars() {
        if c.is_ascii() {
            if c.is_ascii_whitespace() {
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
                continue;
            }
            out.push(c.to_ascii_lowercase());
            last_space = false;
            continue;
        }
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
            continue;
        }
        last_space = false;
        if let Some(folded) = fold_latin(c) {
            out.push_str(folded);
            continue;
        }
        match c {
            '\u{2018}' | '\u{2019}' | '\u{02bc}' | '\u{00b4}' | '`' | '\u{2032}' => out.push('\''),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            '\u{0300}'..='\u{036f}' => {} // combining marks left by decomposed input
            'ё' | 'Ё' => out.push('е'),
            _ => {
                for l in c.to_lowercase() {
                    out.push(l);
                }
            }
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
}

/// Folds one string into a new `String`; for building tables, not the hot path.
pub(crate) fn fold(src: &str) -> String {
    let mut out = String::new();
    fold_into(src, &mut out);
    out
}

/// The ASCII spelling of a Latin letter with diacritics, lowercased.
fn fold_latin(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å'
        | 'Ā' | 'Ă' | 'Ą' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' | 'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => "c",
        'ď' | 'đ' | 'ð' | 'Ď' | 'Đ' | 'Ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' | 'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ'
        | 'Ė' | 'Ę' | 'Ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' | 'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => "g",
        'ĥ' | 'ħ' | 'Ĥ' | 'Ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī'
        | 'Ĭ' | 'Į' | 'İ' => "i",
        'ĳ' | 'Ĳ' => "ij",
        'ĵ' | 'Ĵ' => "j",
        'ķ' | 'Ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' | 'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' | 'Ñ' | 'Ń' | 'Ņ' | 'Ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø'
        | 'Ō' | 'Ŏ' | 'Ő' => "o",
        'œ' | 'Œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' | 'Ŕ' | 'Ŗ' | 'Ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' | 'Ś' | 'Ŝ' | 'Ş' | 'Š' | 'Ș' => "s",
        'ß' | 'ẞ' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' | 'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ũ'
        | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "u",
        'ŵ' | 'Ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' | 'Ý' | 'Ÿ' | 'Ŷ' => "y",
        'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => "z",
        'þ' | 'Þ' => "th",
        _ => return None,
    })
}

/// Whether `c` continues a word: letters, digits and `_` (handles and hashtags).
#[inline]
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The char ending just before byte `at`, if any.
#[inline]
pub(crate) fn char_before(s: &str, at: usize) -> Option<char> {
    s[..at].chars().next_back()
}

/// The char starting at byte `at`, if any.
#[inline]
pub(crate) fn char_at(s: &str, at: usize) -> Option<char> {
    s[at..].chars().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_polish_diacritics() {
        assert_eq!(
            fold("ŻYWIEC Łódź zażółć gęślą jaźń"),
            "zywiec lodz zazolc gesla jazn"
        );
    }

    #[test]
    fn folds_other_latin_diacritics() {
        assert_eq!(
            fold("Straße Borlänge Přerov Ñandú Œuvre"),
            "strasse borlange prerov nandu oeuvre"
        );
    }

    #[test]
    fn collapses_whitespace_and_unifies_apostrophes() {
        assert_eq!(fold("  I’m \n\t 24 — ok  "), "i'm 24 - ok");
    }

    #[test]
    fn lowercases_cyrillic_and_greek_without_stripping() {
        assert_eq!(fold("Привіт ЁЛКА Ωμέγα"), "привіт елка ωμέγα");
    }

    #[test]
    fn drops_combining_marks() {
        assert_eq!(fold("Z\u{0307}ywiec"), "zywiec");
    }
}
