//! Tokenising a post into what sentiment rules read: words, hashtags, handles, emoji,
//! emoticons and the punctuation that ends clauses.
//!
//! Every word is folded (lowercased, Latin diacritics stripped, apostrophes unified) into
//! one shared buffer, so lexicon keys written "źle" match "ZLE", "zle" and "Źle", and a
//! post costs one allocation for all its words rather than one per word.

use std::ops::Range;

/// What a token is; the rules treat each kind differently.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    Word,
    /// `#word`: its folded text keeps the `#`, so `#sarcasm` can be looked up as such.
    Hashtag,
    /// `@handle`: never carries sentiment, but may be where a brand is mentioned.
    Handle,
    /// An emoji or emoticon with the valence its table gives it.
    Emoji(f32),
    /// A clause-ending or emphasising mark: `.`, `!`, `?`, `;`, `:`, `,` or a line break.
    Punct(u8),
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    /// Byte range in the original text: what evidence quotes and brand spans overlap.
    pub span: Range<usize>,
    /// Byte range of the folded form in [`Tokens::folded`].
    pub folded: Range<usize>,
    pub kind: Kind,
    /// Written in capitals (at least two letters, none lower-case): shouting.
    pub caps: bool,
    /// Has a letter repeated three or more times ("sooo", "zajebiiiste"): emphasis.
    pub elongated: bool,
}

/// A tokenised post.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    pub list: Vec<Token>,
    pub folded: String,
    /// Words written in capitals and words overall: shouting only counts as emphasis
    /// when the rest of the post is not shouted too.
    pub caps_words: u32,
    pub words: u32,
}

impl Tokens {
    pub fn folded(&self, token: &Token) -> &str {
        &self.folded[token.folded.clone()]
    }
}

/// Looks up emoji and emoticons while tokenising: both are decided by the lexicon.
pub(crate) trait SymbolTable {
    fn emoji(&self, c: char) -> Option<f32>;
    /// The longest emoticon at the start of `s` (ASCII only) and its valence.
    fn emoticon(&self, s: &str) -> Option<(usize, f32)>;
}

fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    match c as u32 {
        0xc0..=0x24f | 0x400..=0x4ff => is_letter(c),
        _ => c.is_alphanumeric(),
    }
}

/// `char::is_alphabetic`, with the scripts Earshot scores (ASCII, Latin-1, Latin
/// Extended-A/B, Cyrillic) answered by ranges: the Unicode table lookup was a third of
/// the cost of a Ukrainian post.
pub(crate) fn is_letter(c: char) -> bool {
    match c as u32 {
        0..=0x7f => c.is_ascii_alphabetic(),
        0xd7 | 0xf7 => false,
        0xc0..=0x24f => true,
        0x482..=0x489 => false,
        0x400..=0x4ff => true,
        _ => c.is_alphabetic(),
    }
}

/// `char::is_uppercase`, by ranges for the same scripts as [`is_letter`]. Latin
/// Extended-A pairs capitals at even code points except in two runs (Ĺ…ň, Ź…ž), where
/// they are odd; Polish Ł, Ń, Ź, Ż live there.
fn is_upper(c: char) -> bool {
    let u = c as u32;
    match u {
        0..=0x7f => c.is_ascii_uppercase(),
        0xc0..=0xde => u != 0xd7,
        0xdf..=0xff => false,
        0x139..=0x148 | 0x179..=0x17e => u % 2 == 1,
        0x100..=0x17f => u.is_multiple_of(2) && u != 0x138,
        0x400..=0x42f => true,
        0x430..=0x45f => false,
        0x4c1..=0x4ce => u % 2 == 1,
        0x460..=0x4ff => u.is_multiple_of(2),
        _ => c.is_uppercase(),
    }
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02bc}' | '`')
}

/// Marks that only modify the emoji before them (variation selectors, skin tones, ZWJ).
fn is_emoji_modifier(c: char) -> bool {
    matches!(
        c,
        '\u{fe0e}' | '\u{fe0f}' | '\u{200d}' | '\u{1f3fb}'..='\u{1f3ff}' | '\u{20e3}'
    )
}

pub(crate) fn tokenize(text: &str, symbols: &impl SymbolTable, out: &mut Tokens) {
    out.list.clear();
    out.folded.clear();
    out.folded.reserve(text.len() + 8);
    out.list.reserve(text.len() / 4);
    out.caps_words = 0;
    out.words = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().expect("i is on a char boundary");
        let clen = c.len_utf8();
        if c.is_whitespace() {
            if c == '\n' {
                push_punct(out, i, b'\n');
            }
            i += clen;
            continue;
        }
        // Links say nothing about sentiment and their letters would read as words.
        if (c == 'h' || c == 'w')
            && (text[i..].starts_with("http://")
                || text[i..].starts_with("https://")
                || text[i..].starts_with("www."))
        {
            i = skip_until_space(text, i);
            continue;
        }
        if is_word_char(c) {
            i = push_word(out, text, i, Kind::Word, 0);
            continue;
        }
        if (c == '#' || c == '@')
            && let Some(next) = text[i + 1..].chars().next()
            && is_word_char(next)
        {
            let kind = if c == '#' {
                Kind::Hashtag
            } else {
                Kind::Handle
            };
            i = push_word(out, text, i, kind, 1);
            continue;
        }
        if c.is_ascii_punctuation() {
            if let Some((len, valence)) = symbols.emoticon(&text[i..]) {
                // An emoticon must stand alone: "(:" inside "f(:x)" is not a smile.
                let end = i + len;
                let followed_by_word = text[end..].chars().next().is_some_and(is_word_char);
                if !followed_by_word {
                    push_symbol(out, i..end, valence);
                    i = end;
                    continue;
                }
            }
            // "/s" closing a post is the reliable sarcasm marker of social text.
            if c == '/' && text[i..].starts_with("/s") {
                let after = text[i + 2..].chars().next();
                if after.is_none_or(|a| !is_word_char(a)) {
                    let start = out.folded.len();
                    out.folded.push_str("/s");
                    out.list.push(Token {
                        span: i..i + 2,
                        folded: start..out.folded.len(),
                        kind: Kind::Word,
                        caps: false,
                        elongated: false,
                    });
                    i += 2;
                    continue;
                }
            }
            if matches!(c, '.' | '!' | '?' | ';' | ',' | ':') {
                push_punct(out, i, bytes[i]);
            }
            i += 1;
            continue;
        }
        if let Some(valence) = symbols.emoji(c) {
            let mut end = i + clen;
            while let Some(m) = text[end..].chars().next().filter(|&m| is_emoji_modifier(m)) {
                end += m.len_utf8();
            }
            push_symbol(out, i..end, valence);
            i = end;
            continue;
        }
        // Full-width and other marks that end a sentence.
        match c {
            '…' => push_punct(out, i, b'.'),
            '¡' | '！' => push_punct(out, i, b'!'),
            '¿' | '？' => push_punct(out, i, b'?'),
            _ => {}
        }
        i += clen;
    }
}

fn skip_until_space(text: &str, from: usize) -> usize {
    text[from..]
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map_or(text.len(), |(off, _)| from + off)
}

fn push_punct(out: &mut Tokens, at: usize, mark: u8) {
    out.list.push(Token {
        span: at..at + 1,
        folded: out.folded.len()..out.folded.len(),
        kind: Kind::Punct(mark),
        caps: false,
        elongated: false,
    });
}

fn push_symbol(out: &mut Tokens, span: Range<usize>, valence: f32) {
    out.list.push(Token {
        span,
        folded: out.folded.len()..out.folded.len(),
        kind: Kind::Emoji(valence),
        caps: false,
        elongated: false,
    });
}

/// Scans the word at `start` (after a `#`/`@` sigil of `sigil_len` bytes), folding it
/// as it goes, and returns where it ends. A word is letters, digits and `_`, with
/// apostrophes between letters ("don't", "п'ять"). ASCII bytes take a fast path: most
/// social text is mostly ASCII, and decoding and Unicode tables cost more than the rules.
fn push_word(out: &mut Tokens, text: &str, start: usize, kind: Kind, sigil_len: usize) -> usize {
    let folded_start = out.folded.len();
    if kind == Kind::Hashtag {
        out.folded.push('#');
    }
    let bytes = text.as_bytes();
    let mut letters = 0u32;
    let mut upper = 0u32;
    let mut run = 0u32;
    let mut last = '\0';
    let mut elongated = false;
    let mut i = start + sigil_len;
    while i < bytes.len() {
        let b = bytes[i];
        let (c, len, letter) = if b < 0x80 {
            if b.is_ascii_alphanumeric() || b == b'_' {
                let letter = b.is_ascii_alphabetic();
                if letter {
                    letters += 1;
                    upper += u32::from(b.is_ascii_uppercase());
                }
                out.folded.push(char::from(b.to_ascii_lowercase()));
                (char::from(b), 1, letter)
            } else if (b == b'\'' || b == b'`') && next_is_letter(text, i + 1) {
                out.folded.push(char::from(b));
                (char::from(b), 1, false)
            } else {
                break;
            }
        } else {
            let c = text[i..].chars().next().expect("i is on a char boundary");
            let len = c.len_utf8();
            if is_word_char(c) {
                let letter = is_letter(c);
                if letter {
                    letters += 1;
                    upper += u32::from(is_upper(c));
                }
                fold_char(c, &mut out.folded);
                (c, len, letter)
            } else if is_apostrophe(c) && next_is_letter(text, i + len) {
                out.folded.push('\'');
                (c, len, false)
            } else {
                break;
            }
        };
        if c == last {
            run += 1;
            if run >= 3 && letter {
                elongated = true;
            }
        } else {
            run = 1;
            last = c;
        }
        i += len;
    }
    let caps = letters >= 2 && upper == letters;
    if kind == Kind::Word && letters > 0 {
        out.words += 1;
        if caps {
            out.caps_words += 1;
        }
    }
    out.list.push(Token {
        span: start..i,
        folded: folded_start..out.folded.len(),
        kind,
        caps,
        elongated,
    });
    i
}

fn next_is_letter(text: &str, at: usize) -> bool {
    text.get(at..)
        .and_then(|rest| rest.chars().next())
        .is_some_and(is_letter)
}

/// Folds a whole string the way words are folded; for building tables.
pub(crate) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        fold_char(c, &mut out);
    }
    out
}

/// Lowercases a char, strips the diacritics of Polish and German (and the common Latin
/// ones), unifies apostrophes and writes `ґ` as `г` and `ё` as `е`, as people often do.
pub(crate) fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    let folded = match c {
        'ą' | 'Ą' | 'ä' | 'Ä' | 'á' | 'Á' | 'à' | 'À' | 'â' | 'Â' => 'a',
        'ć' | 'Ć' | 'č' | 'Č' | 'ç' | 'Ç' => 'c',
        'ę' | 'Ę' | 'é' | 'É' | 'è' | 'È' | 'ê' | 'Ê' | 'ě' | 'Ě' => 'e',
        'ł' | 'Ł' => 'l',
        'ń' | 'Ń' | 'ñ' | 'Ñ' => 'n',
        'ó' | 'Ó' | 'ö' | 'Ö' | 'ô' | 'Ô' => 'o',
        'ś' | 'Ś' | 'š' | 'Š' => 's',
        'ź' | 'Ź' | 'ż' | 'Ż' | 'ž' | 'Ž' => 'z',
        'ü' | 'Ü' | 'ú' | 'Ú' | 'ù' | 'Ù' => 'u',
        'í' | 'Í' => 'i',
        'ß' => {
            out.push_str("ss");
            return;
        }
        '\u{2019}' | '\u{2018}' | '\u{02bc}' | '`' => '\'',
        'ґ' | 'Ґ' => 'г',
        'ё' | 'Ё' => 'е',
        // Cyrillic capitals by offset; lower-case Cyrillic as it is.
        '\u{410}'..='\u{42f}' => char::from_u32(c as u32 + 0x20).expect("Cyrillic lower case"),
        '\u{400}'..='\u{40f}' => char::from_u32(c as u32 + 0x50).expect("Cyrillic lower case"),
        '\u{430}'..='\u{45f}' => c,
        _ => {
            for l in c.to_lowercase() {
                out.push(l);
            }
            return;
        }
    };
    out.push(folded);
}

/// `word` with every run of three or more equal letters cut to `keep` letters:
/// "goooood" → "good" (keep 2) or "god" (keep 1).
pub(crate) fn squeeze(word: &str, keep: usize, out: &mut String) {
    out.clear();
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        // The whole run of `c`: an elongation (3+) is cut to `keep`, a double is kept.
        let mut run = 1;
        while chars.next_if_eq(&c).is_some() {
            run += 1;
        }
        let kept = if run >= 3 { keep.min(run) } else { run };
        out.extend(std::iter::repeat_n(c, kept));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoSymbols;
    impl SymbolTable for NoSymbols {
        fn emoji(&self, c: char) -> Option<f32> {
            (c == '😡').then_some(-2.0)
        }
        fn emoticon(&self, s: &str) -> Option<(usize, f32)> {
            s.starts_with(":)").then_some((2, 2.0))
        }
    }

    fn folded_words(text: &str) -> Vec<String> {
        let mut t = Tokens::default();
        tokenize(text, &NoSymbols, &mut t);
        t.list.iter().map(|tok| t.folded(tok).to_string()).collect()
    }

    #[test]
    fn folds_diacritics_caps_and_apostrophes() {
        assert_eq!(folded_words("ŹLE Żabka don’t"), ["zle", "zabka", "don't"]);
    }

    #[test]
    fn keeps_hashtag_sigil_and_skips_links() {
        assert_eq!(
            folded_words("#Sarcasm see https://x.y/z?a=b @Bob"),
            ["#sarcasm", "see", "bob"]
        );
    }

    #[test]
    fn emoji_with_skin_tone_and_emoticon_are_single_tokens() {
        let mut t = Tokens::default();
        tokenize("ok 😡\u{fe0f} :) f(:)x", &NoSymbols, &mut t);
        let emoji: Vec<_> = t
            .list
            .iter()
            .filter(|tok| matches!(tok.kind, Kind::Emoji(_)))
            .map(|tok| tok.span.clone())
            .collect();
        assert_eq!(emoji.len(), 2, "{:?}", t.list);
    }

    #[test]
    fn squeezes_elongation_only() {
        let mut s = String::new();
        squeeze("goooood", 2, &mut s);
        assert_eq!(s, "good");
        squeeze("goooood", 1, &mut s);
        assert_eq!(s, "god");
        squeeze("cool", 1, &mut s);
        assert_eq!(s, "cool", "a normal double letter is not an elongation");
    }

    #[test]
    fn fast_letter_tables_agree_with_unicode() {
        for u in (0..0x250).chain(0x400..0x500) {
            let Some(c) = char::from_u32(u) else { continue };
            assert_eq!(is_letter(c), c.is_alphabetic(), "{c:?} U+{u:04X}");
            if c.is_alphabetic() && (c.is_uppercase() || c.is_lowercase()) {
                assert_eq!(is_upper(c), c.is_uppercase(), "{c:?} U+{u:04X}");
            }
            let mut ours = String::new();
            fold_char(c, &mut ours);
            if (0x400..0x460).contains(&u) && !"ЁёҐґ".contains(c) {
                assert_eq!(ours, c.to_lowercase().to_string(), "{c:?}");
            }
        }
    }

    #[test]
    fn marks_caps_and_elongation() {
        let mut t = Tokens::default();
        tokenize("HATE it sooo", &NoSymbols, &mut t);
        assert!(t.list[0].caps && !t.list[1].caps);
        assert!(t.list[2].elongated);
    }
}
