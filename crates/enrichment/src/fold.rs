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
    fold_chars(src, |_, c| out.push(c));
    if out.ends_with(' ') {
        out.pop();
    }
}

/// The byte range of `src` that folded to `folded` (a range of `fold(src)`), so a match
/// found on the folded text can be pointed at in the original: sentiment reads the
/// original, with its case, emoji and punctuation. `None` when `folded` reaches past
/// the end of `fold(src)` (`src` may be a prefix of the text that was folded).
#[cfg(test)]
pub(crate) fn source_range(
    src: &str,
    folded: std::ops::Range<usize>,
) -> Option<std::ops::Range<usize>> {
    let mut map = FoldMap::default();
    map.build(src);
    map.source_range(folded)
}

/// Where each folded char came from in the source, built in one pass so that any
/// number of folded ranges (every brand hit of a post) map back without refolding.
#[derive(Debug, Default)]
pub(crate) struct FoldMap {
    /// Per folded char: its folded byte range and the byte index and length of the
    /// source char it came from.
    chars: Vec<(u32, u32, u32, u8)>,
}

impl FoldMap {
    /// Maps `src` (reusing this map's buffer).
    pub(crate) fn build(&mut self, src: &str) {
        self.chars.clear();
        let mut at = 0u32;
        fold_chars(src, |i, c| {
            let end = at + c.len_utf8() as u32;
            let source_len = src[i..].chars().next().map_or(0, char::len_utf8) as u8;
            self.chars.push((at, end, i as u32, source_len));
            at = end;
        });
    }

    /// The source byte range that folded to `folded`; the same answer as folding the
    /// source and walking it (see [`source_range`]'s doc).
    pub(crate) fn source_range(
        &self,
        folded: std::ops::Range<usize>,
    ) -> Option<std::ops::Range<usize>> {
        let (from, to) = (folded.start as u32, folded.end as u32);
        let first = self.chars.partition_point(|&(start, ..)| start < from);
        let last = self.chars.partition_point(|&(_, end, ..)| end < to);
        let &(_, _, start, _) = self.chars.get(first)?;
        let &(_, _, end, len) = self.chars.get(last)?;
        Some(start as usize..end as usize + len as usize)
    }
}

/// The folding itself: calls `emit` with each folded char and the byte index of the
/// source char it came from. One definition, so offsets and text always agree.
#[inline]
fn fold_chars(src: &str, mut emit: impl FnMut(usize, char)) {
    let mut last_space = true; // drop leading whitespace
    for (i, c) in src.char_indices() {
        if c.is_ascii() {
            if c.is_ascii_whitespace() {
                if !last_space {
                    emit(i, ' ');
                    last_space = true;
                }
                continue;
            }
            emit(i, c.to_ascii_lowercase());
            last_space = false;
            continue;
        }
        if c.is_whitespace() {
            if !last_space {
                emit(i, ' ');
                last_space = true;
            }
            continue;
        }
        last_space = false;
        if let Some(folded) = fold_latin(c) {
            folded.chars().for_each(|f| emit(i, f));
            continue;
        }
        match c {
            '\u{2018}' | '\u{2019}' | '\u{02bc}' | '\u{00b4}' | '`' | '\u{2032}' => emit(i, '\''),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => emit(i, '-'),
            '\u{0300}'..='\u{036f}' => {} // combining marks left by decomposed input
            'ё' | 'Ё' => emit(i, 'е'),
            _ => c.to_lowercase().for_each(|l| emit(i, l)),
        }
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
    fn source_range_points_at_the_original_words() {
        let src = "  Kolejka w ŻABCE,  znowu 😡 Straße";
        let folded = fold(src);
        for word in ["zabce", "znowu", "strasse", "kolejka"] {
            let at = folded.find(word).unwrap();
            let range = source_range(src, at..at + word.len()).unwrap();
            assert_eq!(fold(&src[range.clone()]), word, "{range:?}");
        }
        assert_eq!(source_range(&src[..10], 20..25), None);
    }

    /// The walk `FoldMap` replaces: fold again, and stop where the range starts and ends.
    fn source_range_by_walking(
        src: &str,
        folded: std::ops::Range<usize>,
    ) -> Option<std::ops::Range<usize>> {
        let (mut at, mut start, mut end) = (0, None, None);
        fold_chars(src, |i, c| {
            if start.is_none() && at >= folded.start {
                start = Some(i);
            }
            at += c.len_utf8();
            if end.is_none() && at >= folded.end {
                end = Some(i + src[i..].chars().next().map_or(0, char::len_utf8));
            }
        });
        Some(start?..end?)
    }

    #[test]
    fn fold_map_agrees_with_walking_for_every_range() {
        for src in [
            "  Kolejka w ŻABCE,  znowu 😡 Straße",
            "Œuvre ß Ё\u{0307} I’m — ok\t\n x",
            "",
            "a",
        ] {
            let mut map = FoldMap::default();
            map.build(src);
            let len = fold(src).len() + 3;
            for start in 0..len {
                for end in start..len {
                    assert_eq!(
                        map.source_range(start..end),
                        source_range_by_walking(src, start..end),
                        "{src:?} {start}..{end}"
                    );
                }
            }
        }
    }

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
