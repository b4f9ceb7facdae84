//! Cheap per-language evidence: function words and letters. A handful of words like
//! "się", "že", "что", "the" or a letter like "ł", "ř", "ї" separates most languages
//! in microseconds, where whatlang's trigram ranking costs tens. The tables are data
//! (`data/languages.txt`): adding a language is adding a section there.

use super::codes::{LangSet, bit, id_of_code, ids};
use crate::ConfigError;
use crate::hash::FxMap;

/// Evidence tables for the languages that have a section in the data file.
#[derive(Debug)]
pub(crate) struct Markers {
    /// Languages with a table; only they can be scored or penalised.
    pub(crate) with_tables: LangSet,
    /// Function word → languages that use it.
    words: FxMap<Box<str>, LangSet>,
    /// Non-ASCII letter → languages whose alphabet has it.
    letters: FxMap<char, LangSet>,
}

/// Per-language evidence for one text, indexed by language id.
#[derive(Debug, Clone)]
pub(crate) struct Scores {
    pub(crate) score: [f32; 128],
    /// Letters the text uses that the language's alphabet lacks.
    pub(crate) foreign_letters: [u16; 128],
}

impl Default for Scores {
    fn default() -> Self {
        Self {
            score: [0.0; 128],
            foreign_letters: [0; 128],
        }
    }
}

impl Scores {
    /// Score after penalising letters a language does not have.
    #[inline]
    pub(crate) fn adjusted(&self, id: usize) -> f32 {
        self.score[id] - 1.5 * f32::from(self.foreign_letters[id])
    }

    /// The best and second-best language of `set` by adjusted score.
    pub(crate) fn top_two(&self, set: LangSet) -> (Option<usize>, Option<usize>) {
        let (mut first, mut second): (Option<usize>, Option<usize>) = (None, None);
        for id in ids(set) {
            let s = self.adjusted(id);
            if first.is_none_or(|f| s > self.adjusted(f)) {
                second = first;
                first = Some(id);
            } else if second.is_none_or(|x| s > self.adjusted(x)) {
                second = Some(id);
            }
        }
        (first, second)
    }
}

/// Weight of one non-ASCII letter relative to one function word.
const LETTER_WEIGHT: f32 = 0.5;
/// A letter in more of the scored languages than this scores none of them.
const DISTINCTIVE_LETTER_MAX_LANGS: u32 = 3;

impl Markers {
    pub(crate) fn parse(data: &str) -> Result<Self, ConfigError> {
        let mut markers = Markers {
            with_tables: 0,
            words: FxMap::default(),
            letters: FxMap::default(),
        };
        let mut current: Option<usize> = None;
        for (n, raw) in data.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: &str| ConfigError::BuiltinTable {
                table: "languages.txt",
                line: n + 1,
                why: why.to_owned(),
            };
            if let Some(code) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                let id = id_of_code(code).ok_or_else(|| bad("unknown language code"))?;
                markers.with_tables |= bit(id);
                current = Some(id);
                continue;
            }
            let id = current.ok_or_else(|| bad("entry before any [language] header"))?;
            let (key, values) = line
                .split_once('=')
                .ok_or_else(|| bad("expected `key = values`"))?;
            match key.trim() {
                "letters" => {
                    for c in values.chars().filter(|c| !c.is_whitespace()) {
                        for l in c.to_lowercase() {
                            *markers.letters.entry(l).or_default() |= bit(id);
                        }
                    }
                }
                "words" => {
                    for w in values.split_whitespace() {
                        *markers.words.entry(w.to_lowercase().into()).or_default() |= bit(id);
                    }
                }
                _ => return Err(bad("unknown key; expected `letters` or `words`")),
            }
        }
        Ok(markers)
    }

    /// Scores the cleaned (lowercase, letters-only) `text` for the languages of `set`.
    pub(crate) fn score(&self, text: &str, set: LangSet, out: &mut Scores) {
        let set = set & self.with_tables;
        for id in ids(set) {
            out.score[id] = 0.0;
            out.foreign_letters[id] = 0;
        }
        if set == 0 {
            return;
        }
        for word in text.split(' ') {
            // French and Italian elide: "l'ai", "dell'anno" also count as "l'", "dell'".
            let elided = word
                .find('\'')
                .filter(|&i| i + 1 < word.len())
                .map(|i| &word[..=i]);
            for key in std::iter::once(word).chain(elided) {
                self.score_word(key, set, out);
            }
            for c in word.chars().filter(|c| !c.is_ascii() && *c != '\'') {
                let langs = self.letters.get(&c).copied().unwrap_or(0) & set;
                // Only a letter few languages share is evidence; one most share is noise.
                if langs != 0 && langs.count_ones() <= DISTINCTIVE_LETTER_MAX_LANGS {
                    let w = LETTER_WEIGHT / langs.count_ones() as f32;
                    for id in ids(langs) {
                        out.score[id] += w;
                    }
                }
                for id in ids(set & !langs) {
                    out.foreign_letters[id] = out.foreign_letters[id].saturating_add(1);
                }
            }
        }
    }

    fn score_word(&self, word: &str, set: LangSet, out: &mut Scores) {
        if let Some(&langs) = self.words.get(word) {
            let langs = langs & set;
            if langs != 0 {
                let w = 1.0 / langs.count_ones() as f32;
                for id in ids(langs) {
                    out.score[id] += w;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::codes::id_of_code;
    use super::*;

    const DATA: &str =
        "[pl]\nletters = ą ę ł ó\nwords = się nie jest\n[cs]\nletters = ř ó\nwords = je nie\n";

    #[test]
    fn shared_words_split_their_weight() {
        let m = Markers::parse(DATA).unwrap();
        let (pl, cs) = (id_of_code("pl").unwrap(), id_of_code("cs").unwrap());
        let mut s = Scores::default();
        m.score("to się nie ma", bit(pl) | bit(cs), &mut s);
        assert_eq!(s.score[cs], 0.5);
        assert_eq!(s.score[pl], 1.5 + LETTER_WEIGHT);
        assert_eq!(s.foreign_letters[cs], 1, "ę is not Czech");
        assert_eq!(s.top_two(bit(pl) | bit(cs)), (Some(pl), Some(cs)));
    }

    #[test]
    fn rejects_unknown_codes_and_keys() {
        assert!(Markers::parse("[xx]\n").is_err());
        assert!(Markers::parse("[pl]\nfoo = bar\n").is_err());
        assert!(Markers::parse("words = a\n").is_err());
    }
}
