//! Generation cohort from what authors say about themselves.
//!
//! Evidence is ranked in tiers, strongest first: a stated birth year or age, then
//! generational self-identification, then life stage, then weak signals (slang).
//! The strongest tier present decides; a weaker tier never overrides a stronger one.
//! Ages and life stages resolve against the post's date, so re-processing an old
//! post gives the answer it would have had then. With no evidence the answer is
//! `unknown`, which is the right answer for most mentions.

use earshot_model::CohortBoundaries;

use crate::rules::{RuleHit, RuleKind, two_digit_year};
use crate::tags::{Cohort, Tag};

/// Bytes after a guard ("my son", "when I was") in which evidence is discounted.
const GUARD_REACH: usize = 12;

/// Where a rule was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Bio,
    Post,
}

pub(crate) struct Found<'a> {
    pub(crate) place: Place,
    pub(crate) text: &'a str,
    pub(crate) hits: &'a [RuleHit],
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    cohort: Cohort,
    tier: u8,
    confidence: f32,
    evidence: &'static str,
}

/// The post's date, for resolving ages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PostDate {
    pub(crate) year: i32,
    /// 1–12.
    pub(crate) month: u32,
}

pub(crate) fn infer(found: &[Found<'_>], date: PostDate, bounds: &CohortBoundaries) -> Tag<Cohort> {
    let mut best: Option<Candidate> = None;
    let mut conflict = false;
    let mut slang = 0u32;
    // A bio that states a bare birth year or age as one of its segments ("IT, 1987,
    // Львів", "19, nocny marek", "Erzieherin, 59", "мама, 33"); an age, when both are
    // there, is the later and wins.
    for f in found.iter().filter(|f| f.place == Place::Bio) {
        let bare = [
            bare_bio_year(f.text, date.year)
                .map(|y| (RuleKind::BirthYear, y, "bio.bare_year", 0.85)),
            bare_bio_age(f.text).map(|a| (RuleKind::Age, a, "bio.bare_age", 0.9)),
        ];
        for (kind, value, evidence, discount) in bare.into_iter().flatten() {
            let hit = RuleHit {
                kind,
                start: 0,
                end: 0,
                value,
            };
            if let Some(mut c) = candidate(&hit, Place::Bio, date, bounds) {
                c.evidence = evidence;
                c.confidence *= discount;
                best = Some(c);
            }
        }
    }
    for f in found {
        for hit in f.hits {
            if hit.kind == RuleKind::Slang {
                slang += 1;
                continue;
            }
            if is_guarded(f, hit) {
                continue;
            }
            let Some(c) = candidate(hit, f.place, date, bounds) else {
                continue;
            };
            match best {
                Some(b) if b.tier > c.tier => {}
                Some(b) if b.tier == c.tier => {
                    if b.cohort != c.cohort {
                        conflict = true;
                    }
                    if c.confidence > b.confidence {
                        best = Some(c);
                    }
                }
                _ => {
                    conflict = false;
                    best = Some(c);
                }
            }
        }
    }
    match best {
        Some(b) => {
            let confidence = if conflict {
                b.confidence * 0.6
            } else {
                b.confidence
            };
            Tag::new(b.cohort, confidence, b.evidence)
        }
        // Slang alone ("💀", "no cap") is not evidence of a generation: on the apart-written
        // sets it named gen Z correctly 3 times in 14 (older people write it too).
        None if slang >= 2 => Tag::new(Cohort::Unknown, 0.0, "weak.slang_only"),
        None => Tag::new(Cohort::Unknown, 0.0, "no_evidence"),
    }
}

fn candidate(
    hit: &RuleHit,
    place: Place,
    date: PostDate,
    bounds: &CohortBoundaries,
) -> Option<Candidate> {
    let bio = place == Place::Bio;
    let pick = |bio_ev: &'static str, post_ev: &'static str| if bio { bio_ev } else { post_ev };
    let (cohort, tier, confidence, evidence) = match hit.kind {
        RuleKind::BirthYear => {
            let year = hit.value;
            if !(1900..=date.year - 10).contains(&year) {
                return None;
            }
            (
                cohort_of(year, bounds),
                4,
                if bio { 0.95 } else { 0.9 },
                pick("bio.birth_year", "post.birth_year"),
            )
        }
        RuleKind::Age | RuleKind::AgeExact | RuleKind::AgeLoose => {
            let age = hit.value;
            if !(10..=100).contains(&age) {
                return None;
            }
            // Born in `year - age` if the birthday has passed, else a year earlier;
            // early in the year it more likely has not.
            let (late, early) = (date.year - age, date.year - age - 1);
            let guess = if hit.kind == RuleKind::AgeExact || date.month > 6 {
                late
            } else {
                early
            };
            // "mam 23 lata" in 2026 is born 2002 or 2003: millennial or gen Z, and the text
            // cannot tell which. Careful annotators leave such ages unlabelled (the apart-set
            // writers did), so a boundary age is no evidence rather than a guess.
            if hit.kind != RuleKind::AgeExact && cohort_of(late, bounds) != cohort_of(early, bounds)
            {
                return None;
            }
            let loose = if hit.kind == RuleKind::AgeLoose {
                0.8
            } else {
                1.0
            };
            let confidence = if bio { 0.9 } else { 0.85 } * loose;
            (
                cohort_of(guess, bounds),
                4,
                confidence,
                pick("bio.age", "post.age"),
            )
        }
        RuleKind::AgeSpan { from, to } => {
            let age = hit.value;
            if !(10..=100).contains(&age) {
                return None;
            }
            // Born `age + from` to `age + to` years ago, a year earlier if the birthday is
            // still to come: "Anfang 30" in 2026 is born 1992–1996.
            let (cohort, share) = cohort_of_range(
                date.year - age - i32::from(to) - 1,
                date.year - age - i32::from(from),
                bounds,
            );
            if share < MIN_SPAN_SHARE {
                return None;
            }
            (
                cohort,
                4,
                if bio { 0.85 } else { 0.8 } * share,
                pick("bio.age_span", "post.age_span"),
            )
        }
        RuleKind::LeftSchool => {
            let year = hit.value;
            if !(1950..=date.year + 2).contains(&year) {
                return None;
            }
            let (cohort, share) = cohort_of_range(year - 20, year - 18, bounds);
            if share < MIN_SPAN_SHARE {
                return None;
            }
            (
                cohort,
                3,
                0.8 * share,
                pick("bio.left_school", "post.left_school"),
            )
        }
        RuleKind::RetiredSince => {
            let year = hit.value;
            if !(1950..=date.year).contains(&year) {
                return None;
            }
            let (cohort, share) = cohort_of_range(year - 67, year - 58, bounds);
            (
                cohort,
                3,
                0.75 * share,
                pick("bio.retired_since", "post.retired_since"),
            )
        }
        RuleKind::Generation(cohort) => {
            (cohort, 3, 0.85, pick("bio.generation", "post.generation"))
        }
        RuleKind::GenerationWord(cohort) if bio => (cohort, 3, 0.75, "bio.generation_word"),
        RuleKind::LifeStage { min_age, max_age } => {
            let (cohort, share) = cohort_of_range(
                date.year - i32::from(max_age),
                date.year - i32::from(min_age),
                bounds,
            );
            (
                cohort,
                2,
                0.65 * share,
                pick("bio.life_stage", "post.life_stage"),
            )
        }
        _ => return None,
    };
    Some(Candidate {
        cohort,
        tier,
        confidence,
        evidence,
    })
}

/// The least share of a span's birth years one cohort must hold for the span to name
/// it: "early 40s" in 2026 (born 1982–1986) is millennial, "in my 40s" (1976–1986) is
/// no answer, as a careful annotator would leave it.
const MIN_SPAN_SHARE: f32 = 0.75;

/// Units a bio may put after a bare age: "42 lata", "50 років", "17 y.o.".
const AGE_UNITS: &[&str] = &[
    "",
    "lat",
    "lata",
    "latek",
    "latka",
    "years",
    "yrs",
    "y.o.",
    "yo",
    "jahre",
    "j.",
    "років",
    "роки",
    "рік",
    // "34 l.", "22 l. | Gdańsk": the Polish abbreviation, its dot taken as a separator.
    "l",
    // "19 lvl": Polish and Ukrainian slang for one's age.
    "lvl",
    // "28 р.": the Ukrainian abbreviation of років, its dot taken as a separator.
    "р",
    "jahre jung",
    "years young",
];

/// Units a bio may put before a bare age: "lat 34, ojciec dwójki".
const AGE_FIRST_UNITS: &[&str] = &["lat ", "wiek ", "age ", "alter "];

/// Words a bio's bare age may run on into: "88 and still tooting", "75 und grantig".
const AGE_RUN_ON: &[&str] = &["and ", "und ", "& "];

/// The age a bio states as one of its segments, alone or with a unit: "19, nocny marek",
/// "Senior dev, 34", "Mama von 2, 38" (not the "2": "von 2" is not a segment of its own).
fn bare_bio_age(bio: &str) -> Option<i32> {
    let mut found = None;
    // "24/7" and "1/2" are not "24" and "7".
    let slash_number = bio
        .as_bytes()
        .windows(3)
        .any(|w| w[1] == b'/' && w[0].is_ascii_digit() && w[2].is_ascii_digit());
    // Punctuation and symbols part a bio's segments: "20 ✿ london", "17 ✨ Abi 2027".
    let separates = |c: char| {
        let kept = c.is_alphanumeric() || c.is_whitespace() || c == '\'' || c == '-';
        !(kept || slash_number && c == '/')
    };
    for segment in bio.split(separates) {
        // "'97" is a birth year, not an age of 97.
        if segment.trim_start().starts_with('\'') {
            continue;
        }
        let segment = segment.trim_matches(|c: char| !c.is_alphanumeric()).trim();
        // "lat 34", "wiek 52": the unit first.
        let segment = AGE_FIRST_UNITS
            .iter()
            .find_map(|u| segment.strip_prefix(u))
            .filter(|rest| rest.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or(segment);
        let (number, unit) = match segment.find(|c: char| !c.is_ascii_digit()) {
            Some(at) => (&segment[..at], segment[at..].trim()),
            None => (segment, ""),
        };
        let unit = unit.trim_start_matches(['-', ' ']);
        let run_on = AGE_RUN_ON.iter().any(|w| unit.starts_with(w));
        if number.len() != 2 || !(AGE_UNITS.contains(&unit) || run_on) {
            continue;
        }
        let age: i32 = number.parse().ok()?;
        if !(13..=99).contains(&age) || found.is_some_and(|f| f != age) {
            return None; // two different numbers: not telling which is the age
        }
        found = Some(age);
    }
    found
}

/// Words after a bare year that still make it the author's birth year: "2002 р.",
/// "95er Baujahr", "89er Jahrgang".
const YEAR_UNITS: &[&str] = &["", "r", "р", "г", "baujahr", "jahrgang", "jg"];

/// Words that make the year after them a founding or starting year, not a birth year.
const FOUNDED_WORDS: &[&str] = &[
    "est", "since", "founded", "seit", "gegr", "od", "від", "з", "from", "c",
];

/// The birth year a bio states as one of its segments: "IT, 1987, Львів", "Ansbach · 1984
/// · Kfz-Meister", "2002 р.", "'96", "89er", "04er · gaming". A bare year is how people
/// write their birth year in a bio; a year with words around it ("seit 1983", "est.
/// 1998") is something else and is left to the phrase rules.
fn bare_bio_year(bio: &str, post_year: i32) -> Option<i32> {
    let mut found = None;
    let separates = |c: char| !(c.is_alphanumeric() || c.is_whitespace() || c == '\'');
    let mut previous = "";
    for segment in bio.split(separates) {
        // "Est. 2010", "since: 1998": the word before the separator makes it a founding
        // year.
        let after_since = previous
            .split_whitespace()
            .next_back()
            .is_some_and(|w| FOUNDED_WORDS.contains(&w));
        previous = segment;
        let segment = segment.trim();
        if after_since {
            continue;
        }
        let (quoted, segment) = match segment.strip_prefix('\'') {
            Some(rest) => (true, rest),
            None => (false, segment),
        };
        let digits = segment.bytes().take_while(u8::is_ascii_digit).count();
        let rest = segment[digits..].trim();
        let year = match (digits, quoted) {
            (4, false) if YEAR_UNITS.contains(&rest) => segment[..4].parse().ok()?,
            (2, true) if rest.is_empty() => two_digit_year(segment[..2].parse().ok()?, post_year),
            // "05", "03 ✨": the leading zero makes a year of it, not an age or a count.
            (2, false) if rest.is_empty() && segment.starts_with('0') => {
                two_digit_year(segment[..2].parse().ok()?, post_year)
            }
            // "89er", "04er Baujahr"; "90er Kind" is a decade, which the phrase rules read.
            (2, false) => {
                let unit = rest.strip_prefix("er")?.trim();
                if !YEAR_UNITS.contains(&unit) {
                    continue;
                }
                two_digit_year(segment[..2].parse().ok()?, post_year)
            }
            _ => continue,
        };
        if !(1920..=post_year - 12).contains(&year) || found.is_some_and(|f| f != year) {
            return None; // two different years: not telling which is the birth year
        }
        found = Some(year);
    }
    found
}

/// Evidence right after "my son", "when I was" and the like is not about the author now.
fn is_guarded(found: &Found<'_>, hit: &RuleHit) -> bool {
    found.hits.iter().any(|g| {
        g.kind == RuleKind::Guard
            && g.start < hit.start
            && hit.start <= g.end + GUARD_REACH
            && !found.text[g.end.min(hit.start)..hit.start].contains(['.', '!', '?', '|', ';'])
    })
}

pub(crate) fn cohort_of(birth_year: i32, b: &CohortBoundaries) -> Cohort {
    if birth_year >= b.gen_z_from {
        Cohort::GenZ
    } else if birth_year >= b.millennials_from {
        Cohort::Millennials
    } else if birth_year >= b.gen_x_from {
        Cohort::GenX
    } else if birth_year >= b.boomers_from {
        Cohort::Boomers
    } else {
        Cohort::Silent
    }
}

/// The cohort holding most of the birth years `lo..=hi`, and the share it holds.
fn cohort_of_range(lo: i32, hi: i32, b: &CohortBoundaries) -> (Cohort, f32) {
    let mut counts = [0u32; 5];
    for year in lo..=hi {
        counts[cohort_of(year, b) as usize] += 1;
    }
    let (index, &n) = counts
        .iter()
        .enumerate()
        .max_by_key(|&(_, n)| *n)
        .unwrap_or((0, &0));
    let total = (hi - lo + 1).max(1) as f32;
    (Cohort::ALL[index], n as f32 / total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::fold;
    use crate::rules::{BUILTIN, RuleSet};

    fn infer_from(bio: &str, post: &str, year: i32) -> Tag<Cohort> {
        let rules = RuleSet::parse(BUILTIN).unwrap();
        let (bio, post) = (fold(bio), fold(post));
        let (mut bio_hits, mut post_hits) = (Vec::new(), Vec::new());
        rules.scan(&bio, year, &mut bio_hits);
        rules.scan(&post, year, &mut post_hits);
        let found = [
            Found {
                place: Place::Bio,
                text: &bio,
                hits: &bio_hits,
            },
            Found {
                place: Place::Post,
                text: &post,
                hits: &post_hits,
            },
        ];
        infer(
            &found,
            PostDate { year, month: 9 },
            &CohortBoundaries::default(),
        )
    }

    fn cohort(bio: &str, post: &str) -> Cohort {
        infer_from(bio, post, 2026).value
    }

    #[test]
    fn stated_birth_year() {
        assert_eq!(cohort("born in '98, Kraków", ""), Cohort::Millennials);
        assert_eq!(cohort("rocznik 85", ""), Cohort::Millennials);
        assert_eq!(
            cohort("", "Urodziłam się w 1958 i pamiętam"),
            Cohort::Boomers
        );
        assert_eq!(cohort("b. 2005", ""), Cohort::GenZ);
    }

    #[test]
    fn ages_resolve_against_the_post_date() {
        assert_eq!(cohort("", "I'm 19 and broke"), Cohort::GenZ);
        assert_eq!(cohort("", "mam 52 lata i nadal tankuję"), Cohort::GenX);
        assert_eq!(
            infer_from("", "I'm 24 and broke", 2010).value,
            Cohort::Millennials
        );
        assert_eq!(cohort("", "just turned 40 today!"), Cohort::Millennials);
    }

    #[test]
    fn retirement_year_implies_boomer() {
        assert_eq!(cohort("retired since 2015", ""), Cohort::Boomers);
    }

    #[test]
    fn self_identification_and_bio_words() {
        assert_eq!(
            cohort("", "As a millennial I can't afford this"),
            Cohort::Millennials
        );
        assert_eq!(cohort("", "jako boomer powiem wam"), Cohort::Boomers);
        assert_eq!(cohort("", "my fellow gen z, listen"), Cohort::GenZ);
        assert_eq!(cohort("Proud Gen X. Dad.", ""), Cohort::GenX);
        assert_eq!(
            cohort("", "boomers ruined housing"),
            Cohort::Unknown,
            "topic, not self"
        );
    }

    #[test]
    fn life_stage() {
        assert_eq!(
            cohort("", "Spending the weekend with my grandkids"),
            Cohort::Boomers
        );
        assert_eq!(
            cohort("", "jestem na emeryturze i mam czas"),
            Cohort::Boomers
        );
        assert_eq!(cohort("licealistka 📚", ""), Cohort::GenZ);
    }

    #[test]
    fn bare_birth_years_in_bios() {
        assert_eq!(cohort("IT, 1987, Львів", ""), Cohort::Millennials);
        assert_eq!(
            cohort("Ansbach · 1984 · Kfz-Meister", ""),
            Cohort::Millennials
        );
        assert_eq!(cohort("2002 р.", ""), Cohort::Millennials);
        assert_eq!(cohort("2005", ""), Cohort::GenZ);
        assert_eq!(cohort("89er", ""), Cohort::Millennials);
        assert_eq!(cohort("04er · gaming · memes", ""), Cohort::GenZ);
        assert_eq!(cohort("95er Baujahr 🌸", ""), Cohort::Millennials);
        assert_eq!(
            cohort("05 · Ausbildung zur Pflegefachfrau", ""),
            Cohort::GenZ
        );
        // A year with words around it is not a birth year; two years tell nothing; a
        // year too recent to be an author's is none.
        assert_eq!(cohort("Grüne seit 1983", ""), Cohort::Unknown);
        assert_eq!(cohort("1984 | 2019", ""), Cohort::Unknown);
        assert_eq!(cohort("Champions 2019", ""), Cohort::Unknown);
        assert_eq!(cohort("Est. 2010 | craft beer", ""), Cohort::Unknown);
        assert_eq!(cohort("2020", ""), Cohort::Unknown);
        assert_eq!(cohort("12 | 45", ""), Cohort::Unknown);
    }

    #[test]
    fn ages_as_spans_and_school_leaving_years() {
        assert_eq!(
            cohort("", "Ich bin Anfang 30 und kenne die DB nur so"),
            Cohort::Millennials
        );
        assert_eq!(
            cohort("", "Ich bin Mitte 50 und hab das geahnt"),
            Cohort::GenX
        );
        assert_eq!(
            cohort("", "Early 40s, never driven outside the UK"),
            Cohort::Millennials
        );
        // Born 1977–1986: split between two cohorts, so no answer.
        assert_eq!(cohort("", "in my 40s and still broke"), Cohort::Unknown);
        assert_eq!(cohort("Abi 2024, jetzt FSJ", ""), Cohort::GenZ);
        assert_eq!(
            cohort("class of 2008, still in Leeds", ""),
            Cohort::Millennials
        );
        assert_eq!(cohort("", "У 2010 я закінчив школу"), Cohort::Unknown);
        assert_eq!(
            cohort("", "закінчив школу в 2010 у Харкові"),
            Cohort::Millennials
        );
        assert_eq!(
            cohort("", "Jako facet po pięćdziesiątce nie sądziłem"),
            Cohort::GenX
        );
        assert_eq!(
            cohort("", "Jetzt mit 35 kauf ich nur bequeme Schuhe"),
            Cohort::Millennials
        );
        // Born 1979 or 1980: on the line, so no answer.
        assert_eq!(
            cohort("", "Mit 46 weiß man, dass teuer nicht besser heißt"),
            Cohort::Unknown
        );
        assert_eq!(cohort("", "Klassenfahrt mit 24 Kindern"), Cohort::Unknown);
        assert_eq!(cohort("", "Мені 34, працюю в кафе"), Cohort::Millennials);
        assert_eq!(cohort("lat 34, ojciec dwójki", ""), Cohort::Millennials);
        assert_eq!(cohort("19 lvl, pracuję na nockach", ""), Cohort::GenZ);
        assert_eq!(
            cohort("", "as an 80s baby I remember branches"),
            Cohort::Millennials
        );
    }

    #[test]
    fn bare_ages_in_bios() {
        assert_eq!(cohort("19, nocny marek", ""), Cohort::GenZ);
        assert_eq!(cohort("Erzieherin, 59", ""), Cohort::GenX);
        assert_eq!(cohort("мама, 33", ""), Cohort::Millennials);
        assert_eq!(cohort("tata, 42 lata", ""), Cohort::Millennials);
        assert_eq!(cohort("Stats since 1998 | 24/7", ""), Cohort::Unknown);
        assert_eq!(cohort("Mama von 2", ""), Cohort::Unknown);
        assert_eq!(cohort("12 | 45", ""), Cohort::Unknown);
        assert_eq!(cohort("20 ✿ london ✿ she/her", ""), Cohort::GenZ);
        assert_eq!(cohort("88 and still tooting", ""), Cohort::Silent);
        assert_eq!(cohort("72 Jahre jung 🌻", ""), Cohort::Boomers);
        assert_eq!(
            cohort("Lublin, 34 l., mama Frania", ""),
            Cohort::Millennials
        );
        assert_eq!(cohort("2 kids and a dog", ""), Cohort::Unknown);
    }

    #[test]
    fn more_ways_of_saying_it() {
        let cases = [
            (
                "",
                "Als 34-Jähriger Senior Engineer kann ich sagen",
                Cohort::Millennials,
            ),
            ("", "bin 2004 geboren und kenn nix anderes", Cohort::GenZ),
            ("Babyboomer, Schrebergarten, Schalke", "", Cohort::Boomers),
            ("Schülerin, 10. Klasse", "", Cohort::GenZ),
            ("OAP, Sunderland fan", "", Cohort::Boomers),
            (
                "",
                "im in year 10 and the meal deal is my whole personality",
                Cohort::GenZ,
            ),
            ("", "jako 50latek z Radomia potwierdzam", Cohort::GenX),
            ("", "Jestem z rocznika 2009 i serio nie wiem", Cohort::GenZ),
            (
                "",
                "Jestem w 3 klasie liceum i robię weekendy",
                Cohort::GenZ,
            ),
            ("", "Я 1999 року, і пам'ятаю", Cohort::Millennials),
            ("", "Ми, міленіали, пам'ятаємо часи", Cohort::Millennials),
            // A self-statement outweighs a bare "N lat" (here a span).
            (
                "",
                "Pracuję w Orlenie 25 lat, mam 52 lata i wiem jedno",
                Cohort::GenX,
            ),
            (
                "",
                "Dziś mija 10 lat jak pracuję jako kierowca",
                Cohort::Unknown,
            ),
        ];
        for (bio, post, want) in cases {
            assert_eq!(cohort(bio, post), want, "{bio:?} {post:?}");
        }
    }

    #[test]
    fn stronger_tier_wins() {
        assert_eq!(cohort("millennial", "I'm 65 now"), Cohort::Boomers);
    }

    #[test]
    fn guards_stop_third_party_and_past_statements() {
        assert_eq!(cohort("", "my son just turned 18"), Cohort::Unknown);
        assert_eq!(cohort("", "my dad is 70 years old"), Cohort::Unknown);
        assert_eq!(
            cohort("", "when I was in high school we had no phones"),
            Cohort::Unknown
        );
        assert_eq!(cohort("", "mój syn jest w liceum"), Cohort::Unknown);
        assert_eq!(cohort("", "ok boomer"), Cohort::Unknown);
    }

    #[test]
    fn numbers_that_are_not_ages() {
        assert_eq!(cohort("", "I'm 24 hours into this outage"), Cohort::Unknown);
        assert_eq!(
            cohort("", "mam 30 lat doświadczenia w branży"),
            Cohort::Unknown
        );
        assert_eq!(cohort("", "I'm 3 days late"), Cohort::Unknown);
    }

    #[test]
    fn slang_alone_names_no_generation() {
        let one = infer_from("", "this ad is mid", 2026);
        assert_eq!(one.value, Cohort::Unknown);
        let two = infer_from("", "no cap this is bussin", 2026);
        assert_eq!(two.value, Cohort::Unknown);
        assert_eq!(two.evidence, "weak.slang_only");
        // With real evidence beside it, the evidence decides.
        let aged = infer_from("", "no cap this is bussin, I'm 19", 2026);
        assert_eq!(aged.value, Cohort::GenZ);
    }

    #[test]
    fn ages_on_a_cohort_boundary_are_no_evidence() {
        // Born 2002 or 2003; 1979 or 1980; 1964 or 1965.
        for post in ["mam 23 lata", "Ich bin 46", "I'm 61"] {
            assert_eq!(cohort("", post), Cohort::Unknown, "{post}");
        }
        assert_eq!(cohort("", "mam 24 lata"), Cohort::Millennials);
        assert_eq!(cohort("", "I'm 62"), Cohort::Boomers);
        // An exact birthday is not a boundary guess.
        assert_eq!(cohort("", "właśnie skończyłam 23 lata"), Cohort::GenZ);
    }

    #[test]
    fn spans_of_time_are_not_ages() {
        for post in [
            "Sprzedaję na Allegro od 12 lat.",
            "Pracuję tu przez 15 lat i widziałam wszystko",
            "Працюю на Новій пошті понад 10 років, і скажу чесно",
        ] {
            assert_eq!(cohort("", post), Cohort::Unknown, "{post}");
        }
        assert_eq!(
            cohort("", "Mam 44 lata, w DB od 12 lat"),
            Cohort::Millennials
        );
    }

    #[test]
    fn a_relatives_age_is_theirs() {
        for post in [
            "Syn (13 lat) pisze referat.",
            "Jako matka trójki dzieci (6, 9 i 13 lat) mówię: Lidl oszczędza mi 150 zł",
            "my daughter, 15 years old, loves it",
        ] {
            assert_eq!(cohort("", post), Cohort::Unknown, "{post}");
        }
    }

    #[test]
    fn boundaries_are_configurable() {
        let b = CohortBoundaries {
            gen_z_from: 1997,
            ..CohortBoundaries::default()
        };
        assert_eq!(cohort_of(1998, &b), Cohort::GenZ);
        assert_eq!(
            cohort_of(1998, &CohortBoundaries::default()),
            Cohort::Millennials
        );
    }
}
