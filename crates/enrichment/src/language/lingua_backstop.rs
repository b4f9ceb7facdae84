//! lingua-rs for what our cheap evidence cannot settle: short posts (a few words, no
//! telling function word) and the close pairs whatlang confuses on whole sentences
//! (ru/uk/bg/be, cs/sk, es/pt). On the public test set lingua answers 95% of word
//! pairs right where whatlang gets 60%, but it costs 0.1–1 ms a text, 10–50× our
//! marker path, so it only sees the texts that need it, and only the few languages in
//! play. Its models are compiled in for the languages of this crate's `lingua`
//! features; everything else stays with markers and whatlang.

use lingua::{Language, LanguageDetector, LanguageDetectorBuilder};

use super::codes::{LangSet, bit, id_of_code};

/// Groups whose members whatlang and our markers confuse on real sentences.
const CLOSE_GROUPS: [&[&str]; 3] = [&["ru", "uk", "be", "bg"], &["cs", "sk"], &["es", "pt"]];

pub(crate) struct LinguaBackstop {
    /// Our ids of the candidate languages lingua has a model for.
    pub(crate) covered: LangSet,
    /// The close groups, each narrowed to the covered candidates (≥ 2 of them).
    pub(crate) close_groups: Vec<LangSet>,
    /// One detector per language set a short text may be asked about, smallest first.
    /// Models are shared between detectors (lingua keeps them in process-wide maps).
    detectors: Vec<(LangSet, LanguageDetector)>,
    /// Per close group, a trigram-only detector: on a sentence it is as sure as the
    /// full one and several times faster.
    close_detectors: Vec<(LangSet, LanguageDetector)>,
    /// Our id of each covered candidate, with its lingua language.
    lingua_of: Vec<(usize, Language)>,
}

impl std::fmt::Debug for LinguaBackstop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinguaBackstop")
            .field("covered", &self.covered)
            .field("close_groups", &self.close_groups)
            .field("detectors", &self.detectors.len())
            .finish_non_exhaustive()
    }
}

impl LinguaBackstop {
    /// Detectors for `candidates ∩ lingua's languages`, per script set in
    /// `script_sets` and per close group; loads every model they need now, so the first
    /// mention is not slower than the rest.
    pub(crate) fn new(candidates: LangSet, script_sets: &[LangSet]) -> Self {
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
        let mut sets: Vec<LangSet> = Vec::new();
        sets.extend(
            script_sets
                .iter()
                .map(|s| s & covered)
                .filter(|s| s.count_ones() >= 2),
        );
        sets.sort_by_key(|s| s.count_ones());
        sets.dedup();
        let build = |set: LangSet, low_accuracy: bool| {
            let languages: Vec<Language> = lingua_of
                .iter()
                .filter(|(id, _)| set & bit(*id) != 0)
                .map(|&(_, l)| l)
                .collect();
            let mut builder = LanguageDetectorBuilder::from_languages(&languages);
            if low_accuracy {
                builder.with_low_accuracy_mode();
            }
            (set, builder.with_preloaded_language_models().build())
        };
        let detectors = sets.into_iter().map(|set| build(set, false)).collect();
        let close_detectors = close_groups.iter().map(|&set| build(set, true)).collect();
        Self {
            covered,
            close_groups,
            detectors,
            close_detectors,
            lingua_of,
        }
    }

    /// The close group `id` belongs to, among the covered candidates.
    pub(crate) fn close_group_of(&self, id: usize) -> Option<LangSet> {
        self.close_groups.iter().copied().find(|g| g & bit(id) != 0)
    }

    /// lingua's confidence for each language of `allow` (those it covers), best first,
    /// renormalised over `allow`. Empty when fewer than two are covered or lingua has no
    /// evidence at all.
    /// `sentence` picks the trigram-only close-group detectors.
    pub(crate) fn rank(
        &self,
        text: &str,
        allow: LangSet,
        sentence: bool,
        out: &mut Vec<(usize, f64)>,
    ) {
        out.clear();
        let allow = allow & self.covered;
        if allow.count_ones() < 2 {
            return;
        }
        let detectors = if sentence {
            &self.close_detectors
        } else {
            &self.detectors
        };
        let Some((_, detector)) = detectors.iter().find(|(set, _)| set & allow == allow) else {
            return;
        };
        let mut total = 0.0;
        for (language, confidence) in detector.compute_language_confidence_values(text) {
            if let Some(&(id, _)) = self.lingua_of.iter().find(|(_, l)| *l == language)
                && allow & bit(id) != 0
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
