//! lingua-rs for what our cheap evidence cannot settle: short posts (a few words, no
//! telling function word) and the close pairs whatlang confuses on whole sentences
//! (ru/uk/bg/be, cs/sk, es/pt). On the public test set lingua answers 95% of word
//! pairs right where whatlang gets 60%, but it costs 0.1–1 ms a text, 10–50× our
//! marker path, so it only sees the texts that need it, and only the few languages in
//! play. Its models are compiled in for the languages of this crate's `lingua`
//! features; everything else stays with markers and whatlang.

use std::cell::RefCell;

use lingua::{Language, LanguageDetector, LanguageDetectorBuilder};

use super::codes::{LangSet, bit, id_of_code};

/// Groups whose members whatlang and our markers confuse on real sentences.
const CLOSE_GROUPS: [&[&str]; 3] = [&["ru", "uk", "be", "bg"], &["cs", "sk"], &["es", "pt"]];

pub(crate) struct LinguaBackstop {
    /// Our ids of the candidate languages lingua has a model for.
    pub(crate) covered: LangSet,
    /// The close groups, each narrowed to the covered candidates (≥ 2 of them).
    pub(crate) close_groups: Vec<LangSet>,
    /// Our id of each covered candidate, with its lingua language.
    lingua_of: Vec<(usize, Language)>,
    /// Keeps every covered model loaded (lingua holds them in process-wide maps, shared
    /// by all detectors), so no mention pays for loading one.
    _preloaded: Option<LanguageDetector>,
}

impl std::fmt::Debug for LinguaBackstop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinguaBackstop")
            .field("covered", &self.covered)
            .field("close_groups", &self.close_groups)
            .finish_non_exhaustive()
    }
}

thread_local! {
    /// lingua detectors by (language set, trigram-only): a detector's cost grows with
    /// its languages, so each question gets one with exactly the languages in play.
    /// Building one is cheap once the models are loaded.
    static DETECTORS: RefCell<Vec<(LangSet, bool, LanguageDetector)>> =
        const { RefCell::new(Vec::new()) };
}

/// Most cached detectors per thread; past it the cache starts over.
const MAX_DETECTORS: usize = 64;

impl LinguaBackstop {
    /// The backstop for `candidates ∩ lingua's languages`; loads their models now, so
    /// the first mention is not slower than the rest.
    pub(crate) fn new(candidates: LangSet) -> Self {
        let lingua_of: Vec<(usize, Language)> = Language::all()
            .into_iter()
            .filter_map(|l| {
                let id = id_of_code(&l.iso_code_639_1().to_string())?;
                (candidates & bit(id) != 0).then_some((id, l))
            })
            .collect();
        let covered = lingua_of.iter().fold(0, |s, &(id, _)| s | bit(id));
        let close_groups: Vec<LangSet> = CLOSE_GROUPS
            .iter()
            .map(|g| {
                g.iter()
                    .filter_map(|c| id_of_code(c))
                    .fold(0, |s, id| s | bit(id))
                    & covered
            })
            .filter(|g| g.count_ones() >= 2)
            .collect();
        let languages: Vec<Language> = lingua_of.iter().map(|&(_, l)| l).collect();
        let preloaded = (languages.len() >= 2).then(|| {
            LanguageDetectorBuilder::from_languages(&languages)
                .with_preloaded_language_models()
                .build()
        });
        Self {
            covered,
            close_groups,
            lingua_of,
            _preloaded: preloaded,
        }
    }

    /// The close group `id` belongs to, among the covered candidates.
    pub(crate) fn close_group_of(&self, id: usize) -> Option<LangSet> {
        self.close_groups.iter().copied().find(|g| g & bit(id) != 0)
    }

    /// lingua's confidence for each language of `allow` (those it covers), best first,
    /// renormalised over `allow`. Empty when fewer than two are covered or lingua has no
    /// evidence at all. `trigrams_only` is lingua's low-accuracy mode: on a sentence it
    /// is as sure as the full model and several times faster.
    pub(crate) fn rank(
        &self,
        text: &str,
        allow: LangSet,
        trigrams_only: bool,
        out: &mut Vec<(usize, f64)>,
    ) {
        out.clear();
        let allow = allow & self.covered;
        if allow.count_ones() < 2 {
            return;
        }
        let values = DETECTORS.with(|cell| {
            let mut detectors = cell.borrow_mut();
            let index = match detectors
                .iter()
                .position(|(set, low, _)| *set == allow && *low == trigrams_only)
            {
                Some(i) => i,
                None => {
                    if detectors.len() >= MAX_DETECTORS {
                        detectors.clear();
                    }
                    let languages: Vec<Language> = self
                        .lingua_of
                        .iter()
                        .filter(|(id, _)| allow & bit(*id) != 0)
                        .map(|&(_, l)| l)
                        .collect();
                    let mut builder = LanguageDetectorBuilder::from_languages(&languages);
                    if trigrams_only {
                        builder.with_low_accuracy_mode();
                    }
                    detectors.push((allow, trigrams_only, builder.build()));
                    detectors.len() - 1
                }
            };
            detectors[index].2.compute_language_confidence_values(text)
        });
        let mut total = 0.0;
        for (language, confidence) in values {
            if let Some(&(id, _)) = self.lingua_of.iter().find(|(_, l)| *l == language)
                && confidence > 0.0
            {
                out.push((id, confidence));
                total += confidence;
            }
        }
        if total > 0.0 {
            for (_, c) in out.iter_mut() {
                *c /= total;
            }
        }
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
    }

    /// The ids lingua can answer, for tests.
    #[cfg(test)]
    pub(crate) fn covered_ids(&self) -> Vec<usize> {
        super::codes::ids(self.covered).collect()
    }
}
