//! The inflected forms a brand keyword's word takes in running text.
//!
//! Poles name a shop in the locative ("w Żabce", "w Biedronce", "na stacji Orlen"),
//! Ukrainians likewise ("в Розетці", "у монобанку"); a matcher that only strips
//! endings misses every one of these, because the stem itself changes. So each
//! folded word of a keyword is expanded, once when the matcher is built, into forms:
//!
//! - the word itself, which may take an ending ("Orlen" → "Orlenu", "Tesco's");
//! - for a word ending in a vowel, its stem, which must take one ("Biedronk-i");
//! - the regular consonant alternations before the locative/dative `-e` (Polish:
//!   k→c, g→dz, ch→sz, r→rz, t→ci, d→dzi, st→ści, zd→ździ, sn→śni, sł→śl) or `-і`
//!   (Ukrainian: к→ц, г→з, х→с): "Żabka" → "Żabce", "InPost" → "InPoście",
//!   "Розетка" → "Розетці";
//! - fleeting vowels: "Żywiec" → "Żywc-a", "Orzeł" → "Orł-a", "Domek" → "Domk-u", and
//!   the genitive plural "Biedronka" → "Biedronek".
//!
//! A name ending in `-o` keeps only the first form. Polish and Ukrainian leave such
//! names undeclined ("w Tesco", "na Allegro", "w Monzo", "у Сільпо"), and their would-be
//! forms are other words: "Monza" and "GP Monzy" are the racing town, not the bank.
//!
//! Everything works on folded text (see [`crate::fold`]), so "ś" is "s" and "ł" is "l":
//! "ł→l" needs no rule, and the forms match text written with or without diacritics.

/// What may follow a form for it to be the word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum After {
    /// The form is a whole word: a word boundary follows.
    Boundary,
    /// The word, or the word plus an ending.
    MayInflect,
    /// A stem: only with an ending.
    MustInflect,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Form {
    pub(crate) text: String,
    pub(crate) after: After,
    /// Not the word as configured: a match through it is less sure.
    pub(crate) inflected: bool,
}

/// Shortest word that may take an ending: short words inflect into other words.
pub(crate) const MIN_INFLECTED_LEN: usize = 4;

/// Polish stem-final consonants and what they become before the locative `-e`.
/// Longest first, so "st" wins over "t".
const PL_ALTERNATIONS: &[(&str, &str)] = &[
    ("zd", "zdzi"),
    ("st", "sci"),
    ("sn", "sni"),
    ("sl", "sl"),
    ("ch", "sz"),
    ("k", "c"),
    ("g", "dz"),
    ("r", "rz"),
    ("t", "ci"),
    ("d", "dzi"),
];

/// Ukrainian: before the locative/dative `-і`.
const UK_ALTERNATIONS: &[(&str, &str)] = &[("к", "ц"), ("г", "з"), ("х", "с")];

const LATIN_VOWELS: &[char] = &['a', 'e', 'o', 'y', 'i', 'u'];
const CYRILLIC_VOWELS: &[char] = &['а', 'я', 'о', 'е', 'и', 'і', 'у', 'ю', 'ь'];

/// The forms of one folded word; just the word, as a whole word, when `inflect` is off
/// or the word is too short or ends in a digit.
pub(crate) fn forms(word: &str, inflect: bool) -> Vec<Form> {
    let chars = word.chars().count();
    let last = word.chars().next_back();
    let cyrillic = last.is_some_and(is_cyrillic);
    let inflects = inflect
        && chars >= MIN_INFLECTED_LEN
        && last.is_some_and(|c| c.is_ascii_alphabetic() || is_cyrillic(c));
    let mut out = vec![Form {
        text: word.to_owned(),
        after: if inflects {
            After::MayInflect
        } else {
            After::Boundary
        },
        inflected: false,
    }];
    // "w Tesco", "na Allegro", "у Сільпо": names in -o are not declined.
    if !inflects || matches!(last, Some('o' | 'о')) {
        return out;
    }
    let mut push = |text: String, after: After| {
        if !out.iter().any(|f| f.text == text && f.after == after) {
            out.push(Form {
                text,
                after,
                inflected: true,
            });
        }
    };
    let vowels = if cyrillic {
        CYRILLIC_VOWELS
    } else {
        LATIN_VOWELS
    };
    // The consonant-final stem the alternations apply to: the word without its final
    // vowel ("zabk"), or the word itself when it ends in a consonant ("inpost").
    let stem = match word.strip_suffix(vowels) {
        Some(stem) if chars >= MIN_INFLECTED_LEN => {
            push(stem.to_owned(), After::MustInflect);
            Some(stem)
        }
        Some(_) => None,
        None => Some(word),
    };
    if let Some(stem) = stem.filter(|s| !s.ends_with(vowels)) {
        let (table, before) = if cyrillic {
            (UK_ALTERNATIONS, "і")
        } else {
            (PL_ALTERNATIONS, "e")
        };
        if let Some((from, to)) = table.iter().find(|(from, _)| stem.ends_with(from)) {
            let base = &stem[..stem.len() - from.len()];
            push(format!("{base}{to}{before}"), After::Boundary);
        }
        if !cyrillic {
            genitive_plural(word, &mut push);
        }
    }
    if !cyrillic && word.ends_with(|c: char| !vowels.contains(&c)) {
        fleeting_vowel(word, &mut push);
    }
    // German adjectives in names: "der Deutschen Bahn", "mit deutscher Pünktlichkeit".
    // Only long words: a short one plus `n` is too often another word ("Orle" → "Orlen").
    if !cyrillic && chars >= 7 && word.ends_with('e') {
        for ending in ["n", "r", "m", "s"] {
            push(format!("{word}{ending}"), After::Boundary);
        }
    }
    out
}

/// "Biedronka" → "Biedronek": a vowel appears before the final `k` when the ending goes.
fn genitive_plural(word: &str, push: &mut impl FnMut(String, After)) {
    if let Some(base) = word.strip_suffix("ka")
        && base.ends_with(|c: char| c.is_ascii_alphabetic() && !LATIN_VOWELS.contains(&c))
    {
        push(format!("{base}ek"), After::Boundary);
    }
}

/// The `e` of a final syllable that drops when an ending comes: "Żywiec" → "Żywca",
/// "Orzeł" → "Orła", "Domek" → "Domku", "Kozioł" → "Kozła".
fn fleeting_vowel(word: &str, push: &mut impl FnMut(String, After)) {
    // (suffix, replacement, whether a vowel may precede it)
    const RULES: &[(&str, &str, bool)] = &[
        ("rzel", "rl", true),
        ("ziol", "zl", true),
        ("iec", "c", false),
        ("ec", "c", false),
        ("ek", "k", false),
        ("el", "l", false),
    ];
    for &(from, to, after_vowel) in RULES {
        if let Some(base) = word.strip_suffix(from)
            && !base.is_empty()
            && (after_vowel || !base.ends_with(LATIN_VOWELS))
        {
            push(format!("{base}{to}"), After::MustInflect);
            return;
        }
    }
}

fn is_cyrillic(c: char) -> bool {
    ('\u{0400}'..='\u{04ff}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::fold;

    fn texts(word: &str) -> Vec<(String, After)> {
        forms(&fold(word), true)
            .into_iter()
            .map(|f| (f.text, f.after))
            .collect()
    }

    fn has(word: &str, form: &str, after: After) -> bool {
        texts(word).contains(&(fold(form), after))
    }

    #[test]
    fn polish_alternations_before_the_locative() {
        assert!(has("Żabka", "Żabce", After::Boundary));
        assert!(has("Biedronka", "Biedronce", After::Boundary));
        assert!(has("Jaskółka", "Jaskółce", After::Boundary));
        assert!(has("Praga", "Pradze", After::Boundary));
        assert!(has("Mucha", "Musze", After::Boundary));
        assert!(has("Biedra", "Biedrze", After::Boundary));
        assert!(has("InPost", "InPoście", After::Boundary));
        assert!(has("Gazeta", "Gazecie", After::Boundary));
        assert!(has("Woda", "Wodzie", After::Boundary));
    }

    #[test]
    fn stems_need_an_ending() {
        assert!(has("Biedronka", "biedronk", After::MustInflect));
        assert!(has("stacja", "stacj", After::MustInflect));
        assert!(has("Orlen", "orlen", After::MayInflect));
    }

    #[test]
    fn fleeting_vowels() {
        assert!(has("Orzeł", "orl", After::MustInflect));
        assert!(has("Żywiec", "zywc", After::MustInflect));
        assert!(has("Domek", "domk", After::MustInflect));
        assert!(has("Biedronka", "biedronek", After::Boundary));
    }

    #[test]
    fn names_in_o_are_not_declined() {
        for name in ["Monzo", "Tesco", "Allegro", "Сільпо"] {
            let folded = fold(name);
            assert_eq!(texts(name), vec![(folded, After::MayInflect)], "{name}");
        }
        assert!(!has("Monzo", "Monza", After::MustInflect));
        assert!(!has("Monzo", "monz", After::MustInflect));
    }

    #[test]
    fn german_adjectives_decline() {
        assert!(has("Deutsche", "Deutschen", After::Boundary));
        assert!(!has("Orle", "Orlen", After::Boundary));
    }

    #[test]
    fn ukrainian_alternations() {
        assert!(has("Розетка", "Розетці", After::Boundary));
        assert!(has("Розетка", "розетк", After::MustInflect));
        assert!(has("монобанк", "монобанці", After::Boundary));
        assert!(has("пошта", "пошт", After::MustInflect));
    }

    #[test]
    fn short_words_and_codes_do_not_inflect() {
        assert_eq!(texts("DB"), vec![("db".to_owned(), After::Boundary)]);
        assert_eq!(texts("x5"), vec![("x5".to_owned(), After::Boundary)]);
        assert_eq!(
            forms("orlen", false),
            vec![Form {
                text: "orlen".into(),
                after: After::Boundary,
                inflected: false
            }]
        );
    }
}
