//! Language: whatlang as the detector of last resort, after cheaper and more reliable
//! evidence. In order:
//!
//! 1. Clean the text (`clean`): no URLs, @handles, emoji, digits or elongations, and at
//!    most `language_max_chars` letters.
//! 2. Too few letters, or no script holding most of them: `und`, not a guess.
//! 3. A script used by one language (Greek, Hangul, Thai, kana...) decides alone.
//! 4. Otherwise score function words and letters (`markers`) for the candidates of
//!    that script. A platform hint is taken when the text does not contradict it;
//!    a clear marker winner is taken without whatlang.
//! 5. Only what is left goes to whatlang, restricted to the few candidates the
//!    markers did not rule out.
//! 6. A second opinion from lingua-rs (`lingua_backstop`) where that is not enough:
//!    short posts (under `LINGUA_SHORT_LETTERS` letters), where markers rarely fire and
//!    whatlang guesses, and answers in a close group (ru/uk/bg/be, cs/sk, es/pt).
//!    The platform hint is a prior: lingua has to find it clearly worse to overrule it.

mod clean;
pub(crate) mod codes;
mod lingua_backstop;
mod markers;
pub(crate) mod script;

use std::cell::RefCell;

use codes::{LANGS, LangSet, bit, ids};
use lingua_backstop::LinguaBackstop;
use markers::{Markers, Scores};
use script::{Script, ScriptCounts};

use crate::ConfigError;
use crate::tags::Tag;

pub(crate) const UND: &str = "und";

/// Tuning knobs, from [`crate::EnrichmentConfig`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct LanguageSettings {
    pub(crate) max_chars: usize,
    pub(crate) min_letters: u32,
    /// Ask lingua for a second opinion (see the module doc).
    pub(crate) lingua: bool,
}

#[derive(Debug)]
pub(crate) struct LanguageDetector {
    candidates: LangSet,
    markers: Markers,
    lingua: LinguaBackstop,
    settings: LanguageSettings,
}

/// Reusable buffers for one thread.
#[derive(Default)]
pub(crate) struct LanguageScratch {
    clean: String,
    scripts: ScriptCounts,
    scores: Scores,
    /// The candidates of the text's script, once known (0 before).
    langs: LangSet,
    ranked: Vec<(usize, f64)>,
}

/// Marker score a language needs to be taken without whatlang.
const MARKERS_DECIDE: f32 = 2.0;
/// Text whatlang sees when it is asked: its cost grows with length, its accuracy
/// hardly does past a sentence or two.
const WHATLANG_MAX_BYTES: usize = 160;
/// Letters below which a text without any function word is not guessed at.
const SHORT_WITHOUT_MARKERS: u32 = 20;
/// Below this many letters lingua decides among the covered candidates: markers
/// rarely fire on a few words and whatlang's trigrams are a guess.
const LINGUA_SHORT_LETTERS: u32 = 30;
/// lingua's renormalised share the best language needs on a short text, else `und`.
const LINGUA_SHORT_MIN_SHARE: f64 = 0.3;
/// The hint stays when lingua gives it at least this share of the best one's.
const HINT_KEPT_SHARE: f64 = 0.5;
/// lingua's share needed to move a sentence to another member of its close group.
const LINGUA_CLOSE_MIN_SHARE: f64 = 0.6;
/// whatlang's (scaled) confidence above which its close-group answer is not rechecked.
const WHATLANG_SURE: f32 = 0.6;
/// Marker score lead over every other member of its close group that settles a
/// sentence without lingua.
const CLOSE_MARKER_MARGIN: f32 = 2.0;
/// Text lingua sees for a close pair: its cost grows with length, and a sentence or
/// two decides a close pair as well as more.
const LINGUA_MAX_BYTES: usize = 120;

impl LanguageDetector {
    pub(crate) fn new(
        candidate_codes: &[String],
        settings: LanguageSettings,
    ) -> Result<Self, ConfigError> {
        let mut candidates = 0;
        for code in candidate_codes {
            let id = codes::id_of_code(code.trim())
                .ok_or_else(|| ConfigError::UnknownLanguage(code.clone()))?;
            candidates |= bit(id);
        }
        if candidates == 0 {
            candidates = codes::ALL_LANGS;
        }
        let markers = Markers::parse(include_str!("../../data/languages.txt"))?;
        // Without lingua, no models are loaded: nothing is covered.
        let lingua = LinguaBackstop::new(if settings.lingua { candidates } else { 0 });
        Ok(Self {
            candidates,
            markers,
            lingua,
            settings,
        })
    }

    pub(crate) fn detect(
        &self,
        text: &str,
        hint: Option<&str>,
        scratch: &mut LanguageScratch,
    ) -> Tag<&'static str> {
        let tag = self.detect_cheaply(text, hint, scratch);
        self.second_opinion(tag, hint, scratch)
    }

    /// Asks lingua about a short text or a close-group answer; see the module doc.
    fn second_opinion(
        &self,
        tag: Tag<&'static str>,
        hint: Option<&str>,
        scratch: &mut LanguageScratch,
    ) -> Tag<&'static str> {
        let langs = scratch.langs;
        if langs.count_ones() < 2 || tag.evidence == "script" {
            return tag;
        }
        // A letter a language lacks ("ę" in a "German" post) rules it out for lingua too:
        // fewer languages make lingua cheaper, and one left needs no lingua at all.
        let covered = langs & self.lingua.covered;
        let fits = ids(covered)
            .filter(|&id| scratch.scores.foreign_letters[id] == 0)
            .fold(0, |set, id| set | bit(id));
        let covered = if fits != 0 { fits } else { covered };
        if covered.count_ones() < 2 {
            return tag;
        }
        let answered = codes::id_of_code(tag.value);
        let hint = hint
            .and_then(codes::id_of_hint)
            .filter(|&id| covered & bit(id) != 0);
        let ranked = &mut scratch.ranked;
        if scratch.scripts.letters < LINGUA_SHORT_LETTERS {
            // Cheap evidence for a language lingua has no model of stands: lingua cannot name it.
            if answered.is_some_and(|id| covered & bit(id) == 0) && tag.confidence >= 0.6 {
                return tag;
            }
            self.lingua.rank(&scratch.clean, covered, false, ranked);
            let Some(&(best, share)) = ranked.first() else {
                return tag;
            };
            if let Some(h) = hint {
                let hint_share = ranked.iter().find(|(id, _)| *id == h).map_or(0.0, |r| r.1);
                if hint_share >= HINT_KEPT_SHARE * share {
                    return Tag::new(code(h), 0.8, "hint+lingua");
                }
            }
            if share < LINGUA_SHORT_MIN_SHARE {
                return if tag.value == UND {
                    tag
                } else {
                    Tag::new(UND, 0.2, "uncertain")
                };
            }
            return Tag::new(code(best), (0.3 + 0.6 * share) as f32, "lingua");
        }
        // A whole sentence: only a close-group answer gets a second look.
        let Some(answered) = answered else {
            return tag;
        };
        let Some(group) = self.lingua.close_group_of(answered).map(|g| g & covered) else {
            return tag;
        };
        // Words and letters only one member has ("ř", "ї", "ñ", "что"...) already
        // decided it: lingua runs on the rest.
        let own = scratch.scores.adjusted(answered);
        let separated = ids(group & !bit(answered))
            .all(|other| own - scratch.scores.adjusted(other) >= CLOSE_MARKER_MARGIN);
        // A platform hint the text does not contradict is the author's own setting:
        // it is not second-guessed on a whole sentence.
        // whatlang sure of it, restricted to the few candidates the markers left: kept.
        let whatlang_sure = tag.evidence == "whatlang" && tag.confidence >= WHATLANG_SURE;
        if group.count_ones() < 2 || separated || whatlang_sure || tag.evidence.starts_with("hint")
        {
            return tag;
        }
        let clean = &scratch.clean;
        self.lingua.rank(
            &clean[..clean.floor_char_boundary(LINGUA_MAX_BYTES)],
            group,
            true,
            ranked,
        );
        let Some(&(best, share)) = ranked.first() else {
            return tag;
        };
        if best != answered && share >= LINGUA_CLOSE_MIN_SHARE {
            Tag::new(code(best), (0.3 + 0.6 * share) as f32, "lingua(close_pair)")
        } else {
            tag
        }
    }

    fn detect_cheaply(
        &self,
        text: &str,
        hint: Option<&str>,
        scratch: &mut LanguageScratch,
    ) -> Tag<&'static str> {
        let LanguageScratch {
            clean,
            scripts,
            scores,
            langs: script_langs,
            ..
        } = scratch;
        *script_langs = 0;
        clean::clean_into(text, self.settings.max_chars, clean, scripts);
        if scripts.letters < self.settings.min_letters {
            return Tag::new(UND, 0.1, "too_short");
        }
        let Some((script, in_script)) = scripts.dominant() else {
            return Tag::new(UND, 0.1, "too_short");
        };
        if in_script * 10 < scripts.letters * 7 {
            return Tag::new(UND, 0.2, "mixed_script");
        }
        let langs = codes::langs_of_script(script) & self.candidates;
        *script_langs = langs;
        if langs == 0 {
            return Tag::new(UND, 0.2, "not_a_candidate");
        }
        if langs.count_ones() == 1 {
            return Tag::new(code(langs.trailing_zeros() as usize), 0.95, "script");
        }
        let hint = hint
            .and_then(codes::id_of_hint)
            .filter(|&id| langs & bit(id) != 0);
        self.markers.score(clean, langs, scores);
        let scored = langs & self.markers.with_tables;
        let (best, second) = scores.top_two(scored);
        let adj = |id: Option<usize>| id.map_or(0.0, |id| scores.adjusted(id));

        if let Some(h) = hint {
            let contradicted = best.is_some_and(|b| {
                b != h && adj(Some(b)) >= 1.0 && adj(Some(h)) <= 0.34 * adj(Some(b))
            });
            if !contradicted {
                return if best == Some(h) && adj(Some(h)) >= 2.0 {
                    Tag::new(code(h), 0.95, "hint+markers")
                } else {
                    Tag::new(code(h), 0.8, "hint")
                };
            }
        }

        let (best_score, second_score) = (adj(best), adj(second));
        if let Some(b) = best
            && best_score >= MARKERS_DECIDE
            && best_score >= 2.0 * second_score.max(0.0) + 0.5
        {
            let confidence = (0.5 + 0.08 * (best_score - second_score)).clamp(0.6, 0.95);
            return Tag::new(code(b), confidence, "markers");
        }

        // A short text with one language's words and no other's: take it, unsure.
        if let Some(b) = best
            && best_score >= 1.0
            && second_score <= 0.0
        {
            return Tag::new(code(b), 0.6, "markers");
        }

        // Narrow whatlang to the languages the markers did not rule out.
        let plausible: LangSet = ids(scored)
            .filter(|&id| {
                scores.foreign_letters[id] == 0
                    && scores.score[id] > 0.0
                    && scores.score[id] >= 0.5 * best_score
            })
            .fold(0, |set, id| set | bit(id));
        let allow = if plausible.count_ones() >= 2 {
            top_n(scores, plausible, 3)
        } else if plausible.count_ones() == 1 && script != Script::Latin {
            plausible
        } else if best_score <= 0.0 && scripts.letters < SHORT_WITHOUT_MARKERS {
            // A few words and not one function word: any answer would be a guess.
            return Tag::new(UND, 0.15, "too_short");
        } else {
            // No telling function word: the tabled languages the letters allow, or
            // failing those, the script's other languages.
            let tabled = ids(scored)
                .filter(|&id| scores.foreign_letters[id] == 0)
                .fold(0, |set, id| set | bit(id));
            let untabled = langs & !scored;
            if tabled != 0 {
                tabled
            } else if untabled != 0 {
                untabled
            } else {
                langs
            }
        };
        if allow.count_ones() == 1 {
            return Tag::new(code(allow.trailing_zeros() as usize), 0.6, "markers");
        }
        match detect_with_whatlang(
            &clean[..clean.floor_char_boundary(WHATLANG_MAX_BYTES)],
            allow,
        ) {
            // Without any marker, a short text's whatlang answer is a guess: needs to be sure.
            Some((id, confidence))
                if best_score > 0.0
                    || confidence >= 0.2
                    || (confidence >= 0.1 && scripts.letters >= 25) =>
            {
                let evidence = if hint.is_some() {
                    "whatlang(hint_overruled)"
                } else {
                    "whatlang"
                };
                Tag::new(
                    code(id),
                    (confidence as f32 * 0.9).clamp(0.3, 0.9),
                    evidence,
                )
            }
            _ => Tag::new(UND, 0.2, "uncertain"),
        }
    }
}

fn code(id: usize) -> &'static str {
    LANGS[id].code
}

/// The `n` best-scoring languages of `set`.
fn top_n(scores: &Scores, set: LangSet, n: usize) -> LangSet {
    let mut ranked: [(f32, usize); 128] = [(f32::MIN, 0); 128];
    let mut len = 0;
    for id in ids(set) {
        ranked[len] = (scores.adjusted(id), id);
        len += 1;
    }
    let ranked = &mut ranked[..len];
    ranked.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    ranked.iter().take(n).fold(0, |s, &(_, id)| s | bit(id))
}

thread_local! {
    /// whatlang detectors by allow-list; building one allocates, using one does not.
    static DETECTORS: RefCell<Vec<(LangSet, whatlang::Detector)>> = const { RefCell::new(Vec::new()) };
}

/// Runs whatlang restricted to `allow`; returns the language id and its confidence.
fn detect_with_whatlang(text: &str, allow: LangSet) -> Option<(usize, f64)> {
    DETECTORS.with(|cell| {
        let mut detectors = cell.borrow_mut();
        let index = match detectors.iter().position(|(set, _)| *set == allow) {
            Some(i) => i,
            None => {
                if detectors.len() >= 256 {
                    detectors.clear();
                }
                let list = ids(allow).map(|id| LANGS[id].lang).collect();
                detectors.push((allow, whatlang::Detector::with_allowlist(list)));
                detectors.len() - 1
            }
        };
        let info = detectors[index].1.detect(text)?;
        let id = codes::id_of_lang(info.lang())?;
        Some((id, info.confidence()))
    })
}

/// Plain `whatlang::detect` on the raw text, mapped to ISO 639-1: the baseline the
/// evaluation and the benchmark compare against.
pub fn raw_whatlang(text: &str) -> &'static str {
    whatlang::detect(text)
        .and_then(|info| codes::id_of_lang(info.lang()))
        .map_or(UND, code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector() -> LanguageDetector {
        LanguageDetector::new(
            &[],
            LanguageSettings {
                max_chars: 200,
                min_letters: 8,
                lingua: true,
            },
        )
        .unwrap()
    }

    fn detect(text: &str, hint: Option<&str>) -> Tag<&'static str> {
        detector().detect(text, hint, &mut LanguageScratch::default())
    }

    #[test]
    fn short_text_is_und() {
        let tag = detect("lol 😂 @x", Some("en"));
        assert_eq!((tag.value, tag.evidence.as_ref()), (UND, "too_short"));
        assert!(tag.confidence <= 0.2);
    }

    #[test]
    fn single_language_scripts_decide_alone() {
        assert_eq!(detect("Αυτό είναι ελληνικό κείμενο", None).value, "el");
        assert_eq!(detect("이것은 한국어 문장입니다 정말로", None).value, "ko");
        assert_eq!(detect("これは日本語の文章です。本当に", None).value, "ja");
    }

    #[test]
    fn markers_separate_ukrainian_from_russian() {
        assert_eq!(
            detect("Це дуже добре, що ви тут і ми разом", None).value,
            "uk"
        );
        assert_eq!(
            detect("Это очень хорошо, что вы здесь и мы вместе", None).value,
            "ru"
        );
    }

    #[test]
    fn hint_is_taken_when_text_agrees() {
        let tag = detect("Tankowałam dziś na Orlenie, ceny znowu w górę", Some("pl"));
        assert_eq!(tag.value, "pl");
        assert!(tag.evidence.starts_with("hint"));
    }

    #[test]
    fn wrong_hint_is_overruled() {
        let tag = detect(
            "I think this is the best thing that has happened to me in years",
            Some("pl"),
        );
        assert_eq!(tag.value, "en");
    }

    #[test]
    fn mixed_scripts_are_und() {
        let tag = detect("Привет hello мир world друзья friends", None);
        assert_eq!(tag.value, UND);
    }

    #[test]
    fn candidate_list_restricts_answers() {
        let d = LanguageDetector::new(
            &["pl".into(), "en".into()],
            LanguageSettings {
                max_chars: 200,
                min_letters: 8,
                lingua: true,
            },
        )
        .unwrap();
        let tag = d.detect(
            "Это очень хорошо, что вы здесь",
            None,
            &mut LanguageScratch::default(),
        );
        assert_eq!(tag.value, UND);
    }

    #[test]
    fn two_word_posts_are_answered() {
        for (text, want) in [
            ("dzięki wielkie", "pl"),
            ("спасибо огромное", "ru"),
            ("дякую друзі", "uk"),
            ("vielen dank", "de"),
            ("muchas gracias", "es"),
            ("merci beaucoup", "fr"),
            ("grazie mille", "it"),
        ] {
            // Before lingua, whatlang or markers alone left most of these `und`.
            let tag = detect(text, None);
            assert_eq!((text, tag.value), (text, want), "{tag:?}");
        }
    }

    #[test]
    fn hint_is_a_prior_on_short_posts() {
        // "super" could be many languages: the hint decides.
        let tag = detect("to jest super", Some("pl"));
        assert_eq!((tag.value, tag.evidence.as_ref()), ("pl", "hint+lingua"));
        // A hint the words clearly contradict is overruled.
        let tag = detect("thank you so much", Some("pl"));
        assert_eq!(tag.value, "en");
    }

    #[test]
    fn close_pairs_get_a_second_opinion() {
        let tag = detect(
            "O governo anunciou ontem novas medidas para a economia do país",
            None,
        );
        assert_eq!(tag.value, "pt", "{tag:?}");
        let tag = detect(
            "El gobierno anunció ayer nuevas medidas para la economía del país",
            None,
        );
        assert_eq!(tag.value, "es", "{tag:?}");
    }

    #[test]
    fn lingua_answers_only_among_candidates() {
        let d = LanguageDetector::new(
            &["pl".into(), "en".into()],
            LanguageSettings {
                max_chars: 200,
                min_letters: 8,
                lingua: true,
            },
        )
        .unwrap();
        assert_eq!(
            d.lingua.covered_ids(),
            vec![
                codes::id_of_code("en").unwrap(),
                codes::id_of_code("pl").unwrap()
            ]
        );
        let tag = d.detect("muchas gracias", None, &mut LanguageScratch::default());
        assert!(["pl", "en", UND].contains(&tag.value), "{tag:?}");
    }

    #[test]
    fn unknown_candidate_is_a_config_error() {
        let err = LanguageDetector::new(
            &["xx".into()],
            LanguageSettings {
                max_chars: 200,
                min_letters: 8,
                lingua: true,
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("enrichment.candidate_languages"));
    }
}
