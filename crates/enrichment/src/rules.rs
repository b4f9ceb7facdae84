//! Phrase rules as data. Cohort and source-type evidence is a long tail of phrases
//! ("born in '98", "mam 52 lata", "views are my own", "kupiłem") that differ per
//! language while the logic that weighs them does not. So the phrases live in one
//! file per language (`data/rules/*.txt`), are folded like the text, and are found
//! in one pass by a single Aho-Corasick automaton; the code only knows rule *kinds*.
//!
//! A phrase may hold one number slot: `{year}` (4 digits, or 2 digits read as the
//! most recent plausible birth year) or `{age}` (1–3 digits).

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::ConfigError;
use crate::fold::{char_at, char_before, fold, is_word_char};
use crate::hash::FxMap;
use crate::tags::Cohort;

/// What a phrase is evidence of. The code weighs kinds; the data lists phrases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleKind {
    BirthYear,
    Age,
    /// "just turned 40": the birthday is behind us this year.
    AgeExact,
    /// A number before a bare unit with nothing saying whose it is ("25 lat"): an age
    /// more often than not, but a plain self-statement ("mam 52 lata") outweighs it.
    AgeLoose,
    /// An age given as a span around the slot's number: "Anfang 30" (30–33), "mid 40s"
    /// (43–46), "po 50-tce" (50–59); the offsets are the section's argument.
    AgeSpan {
        from: u8,
        to: u8,
    },
    /// The year the author left school: "Abi 2024", "class of 2008", "matura 2025".
    /// School ends at 18 or 19 in all four countries, so it pins a birth year to within
    /// two.
    LeftSchool,
    RetiredSince,
    /// Self-identification ("as a millennial"), in the post or the bio.
    Generation(Cohort),
    /// A bare generation word: self-description in a bio, mere topic in a post.
    GenerationWord(Cohort),
    LifeStage {
        min_age: u8,
        max_age: u8,
    },
    /// "my son", "when I was": what follows is about someone else or the past.
    Guard,
    Slang,
    PressRole,
    /// "former", "ex-": the role that follows is not current.
    PressNegation,
    PressBio,
    /// "engineer at", "pracuję w": followed by a brand reference, a staff statement.
    WorkAt,
    StaffDisclaimer,
    Purchase,
    Bot,
    Organization,
    /// "fan of", "kocham": a brand reference after it is affection, not employment.
    Fan,
    /// Staff speaking as staff in a post, without naming the employer after it:
    /// "na mojej zmianie", "our team is on site", "u nas na stacji".
    StaffVoice,
    /// A brand's support or shop account answering people: "DM us", "napisz do nas".
    BrandVoice,
    /// Someone with a stake other than buying: recruiters, investors, marketers.
    OtherRole,
    /// The author speaks of themselves ("I", "mój", "ich", "мій"): someone talking
    /// about a brand in the first person is far more often its customer than not.
    FirstPerson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    None,
    Year,
    Age,
}

#[derive(Debug)]
struct Rule {
    kind: RuleKind,
    slot: Slot,
    prefix: String,
    suffix: String,
}

/// Units after which the next word can turn a number into a span of time or an amount
/// ("30 lat doświadczenia", "15 years in").
const BARE_UNITS: &[&str] = &[
    "lat",
    "lata",
    "years",
    "year",
    "yrs",
    "jahre",
    "jahren",
    "років",
    "роки",
    "рік",
];

impl Rule {
    /// Whether the number this rule reads is followed by nothing or a bare unit, so the
    /// next word decides whether it is an age. "50latek", "34-jährige" and "years old"
    /// already name a person's age, whatever follows ("jako 50latek z Radomia").
    fn ends_in_bare_unit(&self) -> bool {
        let suffix = self.suffix.trim();
        suffix.is_empty() || BARE_UNITS.contains(&suffix)
    }
}

/// One rule found in a folded text; byte offsets into that text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RuleHit {
    pub(crate) kind: RuleKind,
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// The slot's number (a year or an age); 0 for phrases without one.
    pub(crate) value: i32,
}

#[derive(Debug)]
pub(crate) struct RuleSet {
    automaton: AhoCorasick,
    /// Per automaton pattern: the rule and whether the pattern is its prefix.
    anchors: Vec<(usize, bool)>,
    rules: Vec<Rule>,
    /// Words after which a number is not an age ("24 hours", "30 lat doświadczenia").
    not_age: FxMap<Box<str>, ()>,
    /// Words before a number that make "N lat" a span of time, not an age ("od 15 lat",
    /// "seit 20 Jahren", "for 10 years"): the number-first phrases would take it as one.
    not_age_before: FxMap<Box<str>, ()>,
}

/// The built-in rule tables, one per language.
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    ("rules/en.txt", include_str!("../data/rules/en.txt")),
    ("rules/pl.txt", include_str!("../data/rules/pl.txt")),
    ("rules/de.txt", include_str!("../data/rules/de.txt")),
    ("rules/uk.txt", include_str!("../data/rules/uk.txt")),
];

impl RuleSet {
    pub(crate) fn parse(tables: &[(&'static str, &str)]) -> Result<Self, ConfigError> {
        let mut rules = Vec::new();
        let mut not_age = FxMap::default();
        let mut not_age_before = FxMap::default();
        for &(table, data) in tables {
            let mut section: Option<Section> = None;
            for (n, raw) in data.lines().enumerate() {
                let line = raw.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let bad = |why: String| ConfigError::BuiltinTable {
                    table,
                    line: n + 1,
                    why,
                };
                if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                    section = Some(Section::parse(header).map_err(bad)?);
                    continue;
                }
                match section.ok_or_else(|| bad("phrase before any [section]".into()))? {
                    Section::NotAge => {
                        not_age.insert(fold(line).into(), ());
                    }
                    Section::NotAgeBefore => {
                        not_age_before.insert(fold(line).into(), ());
                    }
                    Section::Rule(kind) => rules.push(Rule::parse(kind, line).map_err(bad)?),
                }
            }
        }
        let mut patterns = Vec::with_capacity(rules.len());
        let mut anchors = Vec::with_capacity(rules.len());
        for (i, rule) in rules.iter().enumerate() {
            let prefix_anchor = !rule.prefix.is_empty();
            let anchor = if prefix_anchor {
                &rule.prefix
            } else {
                &rule.suffix
            };
            patterns.push(anchor.trim().to_owned());
            anchors.push((i, prefix_anchor));
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
            .map_err(|e| ConfigError::BuiltinTable {
                table: "rules",
                line: 0,
                why: e.to_string(),
            })?;
        Ok(Self {
            automaton,
            anchors,
            rules,
            not_age,
            not_age_before,
        })
    }

    /// Appends every rule found in the folded `text` to `out`. `post_year` resolves
    /// two-digit years.
    pub(crate) fn scan(&self, text: &str, post_year: i32, out: &mut Vec<RuleHit>) {
        for m in self.automaton.find_overlapping_iter(text) {
            let (rule_id, prefix_anchor) = self.anchors[m.pattern().as_usize()];
            let rule = &self.rules[rule_id];
            let hit = if rule.slot == Slot::None {
                phrase_hit(text, m.start(), m.end()).then_some((m.start(), m.end(), 0))
            } else if prefix_anchor {
                self.slot_after(rule, text, m.start(), m.end(), post_year)
            } else {
                self.slot_before(rule, text, m.start(), m.end(), post_year)
            };
            if let Some((start, end, value)) = hit {
                out.push(RuleHit {
                    kind: rule.kind,
                    start,
                    end,
                    value,
                });
            }
        }
    }

    /// `prefix {slot} suffix`, found by its prefix at `start..end`.
    fn slot_after(
        &self,
        rule: &Rule,
        text: &str,
        start: usize,
        end: usize,
        year: i32,
    ) -> Option<(usize, usize, i32)> {
        if starts_word(text, start) {
            return None;
        }
        let mut at = skip_space(text, end);
        if rule.slot == Slot::Year && text[at..].starts_with('\'') {
            at += 1;
        }
        let (value, digits_end) = read_number(text, at)?;
        let value = slot_value(rule.slot, value, digits_end - at, year)?;
        let mut end = digits_end;
        let suffix = rule.suffix.trim_start();
        if suffix.is_empty() {
            if !number_ends(text, end) {
                return None;
            }
        } else {
            end = skip_space(text, end);
            if !text[end..].starts_with(suffix) {
                return None;
            }
            end += suffix.len();
            if suffix.ends_with(is_word_char) && char_at(text, end).is_some_and(is_word_char) {
                return None;
            }
        }
        if rule.slot == Slot::Age && rule.ends_in_bare_unit() && self.followed_by_not_age(text, end)
        {
            return None;
        }
        Some((start, end, value))
    }

    /// `{slot} suffix`, found by its suffix at `start..end`.
    fn slot_before(
        &self,
        rule: &Rule,
        text: &str,
        start: usize,
        end: usize,
        year: i32,
    ) -> Option<(usize, usize, i32)> {
        if rule.suffix.trim_end().ends_with(is_word_char)
            && char_at(text, end).is_some_and(is_word_char)
        {
            return None;
        }
        let bytes = text.as_bytes();
        let mut digits_end = start;
        if digits_end > 0 && bytes[digits_end - 1] == b' ' {
            digits_end -= 1;
        }
        let mut digits_start = digits_end;
        while digits_start > 0
            && bytes[digits_start - 1].is_ascii_digit()
            && digits_end - digits_start < 4
        {
            digits_start -= 1;
        }
        if digits_start == digits_end
            || char_before(text, digits_start)
                .is_some_and(|c| is_word_char(c) || c == '.' || c == ',')
        {
            return None;
        }
        let value: i32 = text[digits_start..digits_end].parse().ok()?;
        let value = slot_value(rule.slot, value, digits_end - digits_start, year)?;
        if rule.slot == Slot::Age
            && ((rule.ends_in_bare_unit() && self.followed_by_not_age(text, end))
                || self.preceded_by_not_age(text, digits_start))
        {
            return None;
        }
        Some((digits_start, end, value))
    }

    fn preceded_by_not_age(&self, text: &str, start: usize) -> bool {
        let before = text[..start].trim_end();
        let word_start = before
            .char_indices()
            .rev()
            .find(|&(_, c)| !is_word_char(c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        word_start < before.len() && self.not_age_before.contains_key(&before[word_start..])
    }

    fn followed_by_not_age(&self, text: &str, end: usize) -> bool {
        let rest = text[end..].trim_start();
        let word_end = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
        word_end > 0 && self.not_age.contains_key(&rest[..word_end])
    }
}

#[derive(Clone, Copy)]
enum Section {
    Rule(RuleKind),
    NotAge,
    NotAgeBefore,
}

impl Section {
    fn parse(header: &str) -> Result<Self, String> {
        let mut parts = header.split_whitespace();
        let name = parts.next().unwrap_or("");
        let arg = parts.next();
        let cohort = || {
            let arg = arg.ok_or_else(|| format!("[{name}] needs a cohort, e.g. [{name} gen_z]"))?;
            Cohort::ALL
                .into_iter()
                .find(|c| c.as_str() == arg)
                .ok_or_else(|| format!("`{arg}` is not a cohort"))
        };
        use RuleKind as K;
        Ok(Section::Rule(match name {
            "birth_year" => K::BirthYear,
            "age" => K::Age,
            "age_exact" => K::AgeExact,
            "age_loose" => K::AgeLoose,
            "age_span" => {
                let (from, to) = age_range(arg)
                    .ok_or("[age_span] needs the span after the number, e.g. [age_span 0-3]")?;
                K::AgeSpan { from, to }
            }
            "left_school" => K::LeftSchool,
            "retired_since" => K::RetiredSince,
            "generation" => K::Generation(cohort()?),
            "generation_word" => K::GenerationWord(cohort()?),
            "life_stage" => {
                let (lo, hi) = age_range(arg)
                    .ok_or("[life_stage] needs an age range, e.g. [life_stage 15-19]")?;
                K::LifeStage {
                    min_age: lo,
                    max_age: hi,
                }
            }
            "guard" => K::Guard,
            "slang" => K::Slang,
            "not_age" => return Ok(Section::NotAge),
            "not_age_before" => return Ok(Section::NotAgeBefore),
            "press_role" => K::PressRole,
            "press_negation" => K::PressNegation,
            "press_bio" => K::PressBio,
            "work_at" => K::WorkAt,
            "staff_disclaimer" => K::StaffDisclaimer,
            "purchase" => K::Purchase,
            "bot" => K::Bot,
            "organization" => K::Organization,
            "staff_voice" => K::StaffVoice,
            "brand_voice" => K::BrandVoice,
            "other_role" => K::OtherRole,
            "first_person" => K::FirstPerson,
            "fan" => K::Fan,
            other => return Err(format!("unknown section [{other}]")),
        }))
    }
}

/// "LO-HI" with LO ≤ HI, as a section's argument.
fn age_range(arg: Option<&str>) -> Option<(u8, u8)> {
    arg.and_then(|a| a.split_once('-'))
        .and_then(|(lo, hi)| Some((lo.parse().ok()?, hi.parse().ok()?)))
        .filter(|(lo, hi)| lo <= hi)
}

impl Rule {
    fn parse(kind: RuleKind, line: &str) -> Result<Self, String> {
        let folded = fold(line);
        let (slot, prefix, suffix) = if let Some((p, s)) = folded.split_once("{year}") {
            (Slot::Year, p, s)
        } else if let Some((p, s)) = folded.split_once("{age}") {
            (Slot::Age, p, s)
        } else {
            (Slot::None, folded.as_str(), "")
        };
        if suffix.contains('{') || prefix.contains('{') {
            return Err(format!("`{line}`: at most one {{year}} or {{age}} slot"));
        }
        if prefix.trim().is_empty() && suffix.trim().is_empty() {
            return Err(format!("`{line}`: a phrase needs text besides its slot"));
        }
        Ok(Rule {
            kind,
            slot,
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
        })
    }
}

/// A slot-less phrase must stand as whole words where it starts or ends with one.
fn phrase_hit(text: &str, start: usize, end: usize) -> bool {
    !(starts_word(text, start)
        || char_at(text, end).is_some_and(is_word_char)
            && char_before(text, end).is_some_and(is_word_char))
}

/// True when the match at `start` begins inside a word.
fn starts_word(text: &str, start: usize) -> bool {
    char_at(text, start).is_some_and(is_word_char)
        && char_before(text, start).is_some_and(is_word_char)
}

fn skip_space(text: &str, at: usize) -> usize {
    if text.as_bytes().get(at) == Some(&b' ') {
        at + 1
    } else {
        at
    }
}

/// Up to four ASCII digits at `at`; none, or a fifth, is no number.
fn read_number(text: &str, at: usize) -> Option<(i32, usize)> {
    let digits = text.as_bytes()[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || digits > 4 {
        return None;
    }
    Some((text[at..at + digits].parse().ok()?, at + digits))
}

/// The number at `end` is over: not "24h", "24/7", "24%", "24.5", "24:00".
fn number_ends(text: &str, end: usize) -> bool {
    match char_at(text, end) {
        None => true,
        Some(c) if is_word_char(c) || matches!(c, '/' | '%' | ':' | '-' | '+' | '$' | '€') => {
            false
        }
        Some('.' | ',') => !text[end + 1..].starts_with(|c: char| c.is_ascii_digit()),
        Some(_) => true,
    }
}

/// A two-digit year read as the most recent one at least eight years before the post:
/// "rocznik 85" → 1985, "b. '05" → 2005 in 2026.
pub(crate) fn two_digit_year(value: i32, post_year: i32) -> i32 {
    let recent = 2000 + value;
    if recent <= post_year - 8 {
        recent
    } else {
        1900 + value
    }
}

fn slot_value(slot: Slot, value: i32, digits: usize, post_year: i32) -> Option<i32> {
    match (slot, digits) {
        (Slot::Year, 4) => (1900..=2099).contains(&value).then_some(value),
        (Slot::Year, 2) => Some(two_digit_year(value, post_year)),
        (Slot::Age, 1..=3) => Some(value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
[birth_year]
born in {year}
rocznik {year}
[age]
i'm {age}
{age} years old
{age}yo
mam {age} lat
[not_age]
hours
doświadczenia
[press_role]
journalist
[generation millennials]
as a millennial
";

    fn scan(text: &str) -> Vec<(RuleKind, i32)> {
        let set = RuleSet::parse(&[("test", TABLE)]).unwrap();
        let mut out = Vec::new();
        set.scan(&fold(text), 2026, &mut out);
        out.into_iter().map(|h| (h.kind, h.value)).collect()
    }

    #[test]
    fn reads_year_slots_in_both_forms() {
        assert_eq!(
            scan("Born in 1998, Kraków"),
            vec![(RuleKind::BirthYear, 1998)]
        );
        assert_eq!(scan("born in '98"), vec![(RuleKind::BirthYear, 1998)]);
        assert_eq!(scan("rocznik 05"), vec![(RuleKind::BirthYear, 2005)]);
        assert_eq!(scan("rocznik 85"), vec![(RuleKind::BirthYear, 1985)]);
    }

    #[test]
    fn reads_age_before_and_after() {
        assert_eq!(scan("I’m 24 and tired"), vec![(RuleKind::Age, 24)]);
        assert_eq!(scan("dad, 52 years old"), vec![(RuleKind::Age, 52)]);
        assert_eq!(scan("33yo dev"), vec![(RuleKind::Age, 33)]);
        assert_eq!(scan("Mam 52 lat"), vec![(RuleKind::Age, 52)]);
    }

    #[test]
    fn numbers_that_are_not_ages_are_skipped() {
        assert!(scan("I'm 24 hours late").is_empty());
        assert!(scan("i'm 24/7 online").is_empty());
        assert!(scan("i'm 24.5 km away").is_empty());
        assert!(scan("mam 30 lat doświadczenia").is_empty());
        assert!(scan("born in 19987").is_empty());
    }

    #[test]
    fn phrases_respect_word_boundaries() {
        assert_eq!(scan("freelance journalist"), vec![(RuleKind::PressRole, 0)]);
        assert!(scan("photojournalistic").is_empty());
        assert_eq!(
            scan("As a Millennial, I…"),
            vec![(RuleKind::Generation(Cohort::Millennials), 0)]
        );
    }

    #[test]
    fn table_errors_name_file_and_line() {
        let err = RuleSet::parse(&[("x.txt", "[nope]\nfoo\n")]).unwrap_err();
        assert!(err.to_string().contains("x.txt:1"), "{err}");
        let err = RuleSet::parse(&[("x.txt", "[age]\n{age} {age}\n")]).unwrap_err();
        assert!(err.to_string().contains("x.txt:2"), "{err}");
        assert!(RuleSet::parse(&[("x.txt", "[life_stage]\nretired\n")]).is_err());
    }

    #[test]
    fn builtin_tables_parse() {
        RuleSet::parse(BUILTIN).unwrap();
    }
}
