//! Lexicons: what each word, stem, phrase, emoji and emoticon does to sentiment.
//!
//! One table per language holds, for each folded term, every role it plays (valence,
//! negator, intensifier, contrast, comparison, question or service request, complaint,
//! irony), so the scorer pays one hash lookup per word for all its rules. Polish and
//! Ukrainian inflect heavily, so their tables also hold stems matched as prefixes
//! ("polec*" covers polecam, polecamy, polecają, polecany).

use rustc_hash::FxHashMap;

use crate::text::fold;

/// Why an embedded table could not be read; a test reads every table, so this only
/// surfaces when someone edits a table badly.
#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    #[error("{table}:{line}: unknown role `{role}`")]
    UnknownRole {
        table: &'static str,
        line: usize,
        role: String,
    },
    #[error("{table}:{line}: role `{role}` needs a number, found `{found}`")]
    BadNumber {
        table: &'static str,
        line: usize,
        role: String,
        found: String,
    },
    #[error("{table}:{line}: expected ROLE<TAB>TERM[<TAB>VALUE]")]
    BadLine { table: &'static str, line: usize },
}

/// Roles a term may have besides a valence; kept as bits so an entry stays small.
pub(crate) mod role {
    pub const NEGATOR: u16 = 1;
    pub const CONTRAST: u16 = 1 << 1;
    pub const THAN: u16 = 1 << 2;
    pub const ASK: u16 = 1 << 3;
    pub const COMPLAINT: u16 = 1 << 4;
    pub const IRONY: u16 = 1 << 5;
    /// The brand's own support voice ("sorry to hear", "przepraszamy za utrudnienia"):
    /// a reply that acknowledges a problem judges nothing itself.
    pub const REPLY: u16 = 1 << 6;
    /// A first-person word ("I", "mi", "mein", "мені"): a negative post in the
    /// speaker's own voice is, far more often than not, a complaint about their experience.
    pub const SELF: u16 = 1 << 7;
    /// The speaker works for a brand ("pracuję w", "meine Schicht", "працюю", "I work
    /// at"): an employee's negative post is about their job, not a customer's complaint
    /// about the product or service, so it blocks the complaint flag.
    pub const STAFF: u16 = 1 << 8;
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Entry {
    /// On VADER's scale, -4 (worst) to +4 (best).
    pub valence: f32,
    /// Added to (or, below zero, taken from) the strength of the sentiment word after it.
    pub booster: f32,
    /// +1 for "better", -1 for "worse": the sign a comparison gives the brand before it.
    pub comparative: f32,
    pub roles: u16,
    /// Phrases (indices into [`Lexicon::phrases`]) that start with this term.
    pub phrases: Vec<u32>,
}

impl Entry {
    pub fn has(&self, role: u16) -> bool {
        self.roles & role != 0
    }
}

/// One word of a phrase: matched exactly, or as a prefix when written with `*`.
#[derive(Debug, Clone)]
pub(crate) struct PhraseWord {
    pub text: String,
    pub stem: bool,
}

impl PhraseWord {
    pub fn matches(&self, folded: &str) -> bool {
        if self.stem {
            folded.starts_with(&self.text)
        } else {
            folded == self.text
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Phrase {
    /// The words after the first (the first is the key the phrase is filed under).
    pub rest: Vec<PhraseWord>,
    pub entry: Entry,
}

#[derive(Debug, Default)]
pub(crate) struct Lexicon {
    exact: FxHashMap<String, Entry>,
    stems: FxHashMap<String, Entry>,
    /// Stems by their first [`MIN_STEM_CHARS`] letters, longest first.
    stems_by_head: FxHashMap<String, Vec<String>>,
    pub phrases: Vec<Phrase>,
}

/// Shortest stem looked up: shorter prefixes are too ambiguous to carry sentiment.
const MIN_STEM_CHARS: usize = 3;

impl Lexicon {
    /// The entry of a folded word: an exact entry first, else the longest stem.
    pub fn lookup(&self, folded: &str) -> Option<&Entry> {
        if let Some(e) = self.exact.get(folded) {
            return Some(e);
        }
        if self.stems.is_empty() {
            return None;
        }
        // One lookup by the word's first letters finds the few stems it could start with.
        let key_end = folded
            .char_indices()
            .nth(MIN_STEM_CHARS)
            .map_or(folded.len(), |(o, _)| o);
        if folded[..key_end].chars().count() < MIN_STEM_CHARS {
            return None;
        }
        let candidates = self.stems_by_head.get(&folded[..key_end])?;
        candidates
            .iter()
            .find(|stem| folded.starts_with(stem.as_str()))
            .and_then(|stem| self.stems.get(stem))
    }

    /// Files each stem under its first [`MIN_STEM_CHARS`] letters, longest stem first.
    fn index_stems(&mut self) {
        self.stems_by_head.clear();
        for stem in self.stems.keys() {
            let end = stem
                .char_indices()
                .nth(MIN_STEM_CHARS)
                .map_or(stem.len(), |(o, _)| o);
            self.stems_by_head
                .entry(stem[..end].to_string())
                .or_default()
                .push(stem.clone());
        }
        for list in self.stems_by_head.values_mut() {
            list.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    fn entry_for(&mut self, term: &str) -> &mut Entry {
        if let Some(stem) = term.strip_suffix('*') {
            self.stems.entry(stem.to_string()).or_default()
        } else {
            self.exact.entry(term.to_string()).or_default()
        }
    }

    /// Adds the words of VADER's lexicon (`WORD<TAB>VALENCE`) that start with a letter or
    /// digit; the emoticons among them go to [`Symbols`].
    pub fn add_vader_words(&mut self, table: &str) {
        for line in table.lines() {
            let Some((term, valence)) = line.split_once('\t') else {
                continue;
            };
            let Ok(valence) = valence.trim().parse::<f32>() else {
                continue;
            };
            if term.chars().next().is_some_and(char::is_alphanumeric) {
                let folded = fold(term);
                self.entry_for(&folded).valence = valence;
            }
        }
    }

    /// Adds a table of our own: `ROLE<TAB>TERM[<TAB>VALUE]` lines, `#` comments.
    /// A term ending in `*` is a stem; a term with spaces is a phrase.
    pub fn add_rules(&mut self, name: &'static str, table: &str) -> Result<(), LexiconError> {
        for (n, raw) in table.lines().enumerate() {
            let line = raw.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split('\t');
            let (Some(role_name), Some(term)) = (fields.next(), fields.next()) else {
                return Err(LexiconError::BadLine {
                    table: name,
                    line: n + 1,
                });
            };
            let value = fields.next().map(str::trim);
            let number = |role: &str| -> Result<f32, LexiconError> {
                let found = value.unwrap_or("");
                found.parse::<f32>().map_err(|_| LexiconError::BadNumber {
                    table: name,
                    line: n + 1,
                    role: role.to_string(),
                    found: found.to_string(),
                })
            };
            let mut entry = Entry::default();
            match role_name {
                "w" => entry.valence = number("w")?,
                "boost" => entry.booster = number("boost")?,
                "cmp" => {
                    entry.comparative = number("cmp")?;
                    // Outside a comparison "better" still reads as positive.
                    entry.valence = entry.comparative * 1.5;
                }
                "neg" => entry.roles = role::NEGATOR,
                "but" => entry.roles = role::CONTRAST,
                "than" => entry.roles = role::THAN,
                "ask" => entry.roles = role::ASK,
                "irony" => entry.roles = role::IRONY,
                "reply" => entry.roles = role::REPLY,
                "self" => entry.roles = role::SELF,
                "staff" => entry.roles = role::STAFF,
                "complaint" => {
                    entry.roles = role::COMPLAINT;
                    entry.valence = value.map_or(Ok(0.0), |_| number("complaint"))?;
                }
                other => {
                    return Err(LexiconError::UnknownRole {
                        table: name,
                        line: n + 1,
                        role: other.to_string(),
                    });
                }
            }
            let folded = fold(term.trim());
            let mut words = folded.split(' ').filter(|w| !w.is_empty());
            let first = words.next().unwrap_or_default().to_string();
            let rest: Vec<PhraseWord> = words
                .map(|w| match w.strip_suffix('*') {
                    Some(stem) => PhraseWord {
                        text: stem.to_string(),
                        stem: true,
                    },
                    None => PhraseWord {
                        text: w.to_string(),
                        stem: false,
                    },
                })
                .collect();
            if rest.is_empty() {
                merge(self.entry_for(&first), entry);
            } else {
                let index = self.phrases.len() as u32;
                self.phrases.push(Phrase { rest, entry });
                self.entry_for(&first).phrases.push(index);
            }
        }
        self.index_stems();
        Ok(())
    }
}

/// Later lines add roles to a term and override its valence, so our own tables can
/// correct VADER's where social or brand text differs.
fn merge(into: &mut Entry, from: Entry) {
    if from.valence != 0.0 {
        into.valence = from.valence;
    }
    if from.booster != 0.0 {
        into.booster = from.booster;
    }
    if from.comparative != 0.0 {
        into.comparative = from.comparative;
    }
    into.roles |= from.roles;
}

/// Emoji and emoticons: the same in every language.
#[derive(Debug, Default)]
pub(crate) struct Symbols {
    emoji: FxHashMap<char, f32>,
    emoticons: FxHashMap<String, f32>,
    max_emoticon_len: usize,
    /// Every emoticon's first two bytes: most punctuation starts none, and is passed by
    /// one lookup instead of one per possible length.
    heads: rustc_hash::FxHashSet<[u8; 2]>,
}

impl Symbols {
    fn insert_emoticon(&mut self, term: &str, valence: f32) {
        let b = term.as_bytes();
        if b.len() < 2 || !term.is_ascii() {
            return;
        }
        self.max_emoticon_len = self.max_emoticon_len.max(term.len());
        self.heads.insert([b[0], b[1]]);
        self.emoticons.insert(term.to_string(), valence);
    }

    /// The emoticons of VADER's lexicon: terms that start with ASCII punctuation.
    pub fn add_vader_emoticons(&mut self, table: &str) {
        for line in table.lines() {
            let Some((term, valence)) = line.split_once('\t') else {
                continue;
            };
            let Ok(valence) = valence.trim().parse::<f32>() else {
                continue;
            };
            if term.len() >= 2 && term.starts_with(|c: char| c.is_ascii_punctuation()) {
                self.insert_emoticon(term, valence);
            }
        }
    }

    /// Each emoji of VADER's description table (`EMOJI<TAB>description`) gets the summed
    /// valence of its description's words ("smiling face with heart-eyes" → smiling +
    /// heart), clamped to VADER's scale; the words come from `words`.
    pub fn add_described_emoji(&mut self, table: &str, words: &Lexicon) {
        for line in table.lines() {
            let Some((emoji, description)) = line.split_once('\t') else {
                continue;
            };
            let mut chars = emoji.chars();
            let (Some(c), None) = (chars.next(), chars.find(|&c| !is_modifier(c))) else {
                continue; // flags, keycaps and ZWJ families: too rare to matter
            };
            let valence: f32 = description
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .filter_map(|w| words.lookup(&fold(w)))
                .map(|e| e.valence)
                .sum();
            if valence != 0.0 {
                self.emoji.insert(c, valence.clamp(-3.0, 3.0));
            }
        }
    }

    /// Our own `EMOJI<TAB>VALENCE` table: how emoji are used in social text, which the
    /// descriptions miss (😂 is laughter, 🙄 is contempt, 🤡 mocks, 💀 is "I'm dead").
    pub fn add_emoji_table(&mut self, table: &str) {
        for line in table.lines() {
            if line.starts_with('#') {
                continue;
            }
            let Some((emoji, valence)) = line.split_once('\t') else {
                continue;
            };
            let (Some(c), Ok(v)) = (emoji.chars().next(), valence.trim().parse::<f32>()) else {
                continue;
            };
            if c.is_ascii() {
                self.insert_emoticon(emoji, v);
            } else {
                self.emoji.insert(c, v);
            }
        }
    }
}

fn is_modifier(c: char) -> bool {
    matches!(c, '\u{fe0e}' | '\u{fe0f}' | '\u{1f3fb}'..='\u{1f3ff}')
}

impl crate::text::SymbolTable for Symbols {
    fn emoji(&self, c: char) -> Option<f32> {
        if (c as u32) < 0x2000 {
            return None;
        }
        self.emoji.get(&c).copied()
    }

    fn emoticon(&self, s: &str) -> Option<(usize, f32)> {
        let b = s.as_bytes();
        if b.len() < 2 || !self.heads.contains(&[b[0], b[1]]) {
            return None;
        }
        let limit = self.max_emoticon_len.min(s.len());
        let head = &s.as_bytes()[..limit];
        let end = head
            .iter()
            .position(|b| b.is_ascii_whitespace() || !b.is_ascii())
            .unwrap_or(limit);
        (2..=end)
            .rev()
            .find_map(|len| self.emoticons.get(&s[..len]).map(|&valence| (len, valence)))
    }
}
