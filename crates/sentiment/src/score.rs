//! The rules: from tokens and lexicon entries to a valence sum, clause by clause.
//!
//! The shape follows VADER (Hutto & Gilbert, 2014), whose rules were validated on social
//! text: each sentiment word's valence, strengthened by intensifiers, capitals and
//! elongation, scaled by -0.74 under a negator; clauses before a contrast word count half
//! and those after it one and a half. On top of that: clauses far from the brand count
//! less (sentiment toward the brand, not the post's mood), a comparison where the brand is
//! on the losing side counts against it, questions and service requests are damped toward
//! neutral, and a reliable irony marker turns praise into criticism.

use std::ops::Range;

use crate::lexicon::{Entry, Lexicon, Symbols, role};
use crate::text::{Kind, Tokens, squeeze, tokenize};

/// VADER's empirically derived constants.
const NEGATION_SCALE: f32 = -0.74;
const CAPS_EMPHASIS: f32 = 0.733;
const EXCLAMATION_EMPHASIS: f32 = 0.292;
const BOOSTER_DECAY: [f32; 3] = [1.0, 0.95, 0.9];
const BEFORE_CONTRAST: f32 = 0.5;
const AFTER_CONTRAST: f32 = 1.5;
/// Elongation ("sooo good") emphasises like a mild intensifier.
const ELONGATION_EMPHASIS: f32 = 0.3;
/// A question's sentiment words mostly ask rather than judge ("is it any good?"): one
/// mild word in a question stays below the neutral threshold, a strong rhetorical one not.
const QUESTION_DAMPING: f32 = 0.1;
/// A service request ("how do I…", "can someone help") is neutral unless it also judges.
const REQUEST_DAMPING: f32 = 0.5;
/// A support reply's words ("sorry", "problem") describe the customer's issue, not a view.
const REPLY_DAMPING: f32 = 0.3;
/// What a comparison that the brand wins or loses adds to its sum.
const COMPARISON_WEIGHT: f32 = 2.0;
/// The sum at which the normalised score reaches about ±0.71 (VADER's alpha).
const NORMALISATION_ALPHA: f32 = 15.0;

/// What the rules found in a text, toward a brand or overall.
#[derive(Debug, Default, Clone)]
pub(crate) struct RuleAnalysis {
    /// The weighted valence sum.
    pub total: f32,
    /// `total` squashed into [-1, 1].
    pub score: f32,
    /// Weighted sums of the positive and the negative contributions.
    pub positive: f32,
    pub negative: f32,
    pub complaint_marker: bool,
    pub question: bool,
    pub request: bool,
    pub irony: bool,
    pub negations: u32,
    /// Contributions and what made them; rendered as text by [`finish_evidence`] only for
    /// the few shown, so a long post does not pay for a string per sentiment word.
    pub evidence: Vec<(f32, Evidence)>,
    /// Per token: the weight of its clause, and whether a negator is among the three
    /// words before it in its clause; what the trained model's features are weighted by.
    pub clause_weight_of_token: Vec<f32>,
    pub in_negation_scope: Vec<bool>,
}

#[derive(Debug, Clone)]
pub(crate) enum Evidence {
    /// A word, phrase or emoji of the text, and whether a negator turned it.
    Words { span: Range<usize>, negated: bool },
    /// A rule that fired.
    Rule(String),
}

#[derive(Debug, Clone, Copy, Default)]
struct Clause {
    sentence: u32,
    question: bool,
    request: bool,
    contrast_start: bool,
    has_brand: bool,
    weight: f32,
}

/// What one word token resolved to.
#[derive(Clone, Copy)]
enum Resolved<'a> {
    None,
    Entry(&'a Entry),
    /// The first token of a phrase: its entry and how many tokens it spans.
    Phrase(&'a Entry, usize),
    /// A later token of a phrase already counted.
    Consumed,
}

pub(crate) struct Scorer<'a> {
    pub lexicon: &'a Lexicon,
    pub symbols: &'a Symbols,
}

impl Scorer<'_> {
    pub fn analyse(&self, text: &str, brand: &[Range<usize>], tokens: &mut Tokens) -> RuleAnalysis {
        tokenize(text, self.symbols, tokens);
        let list = &tokens.list;
        let n = list.len();
        let mut resolved: Vec<Resolved> = vec![Resolved::None; n];
        let mut squeezed = String::new();
        let mut i = 0;
        while i < n {
            let tok = &list[i];
            if !matches!(tok.kind, Kind::Word | Kind::Hashtag) {
                i += 1;
                continue;
            }
            let folded = tokens.folded(tok);
            let mut entry = self.lexicon.lookup(folded);
            if tok.kind == Kind::Hashtag && entry.is_none() {
                entry = self.lexicon.lookup(&folded[1..]);
            }
            if entry.is_none() && tok.elongated {
                for keep in [2, 1] {
                    squeeze(folded, keep, &mut squeezed);
                    if let Some(e) = self.lexicon.lookup(&squeezed) {
                        entry = Some(e);
                        break;
                    }
                }
            }
            let Some(entry) = entry else {
                i += 1;
                continue;
            };
            resolved[i] = Resolved::Entry(entry);
            if let Some((phrase_entry, len)) = self.match_phrase(entry, tokens, i) {
                resolved[i] = Resolved::Phrase(phrase_entry, len);
                for r in resolved.iter_mut().take(i + len).skip(i + 1) {
                    *r = Resolved::Consumed;
                }
                i += len;
                continue;
            }
            i += 1;
        }

        // Clauses: split at punctuation and before contrast words.
        let mut clauses: Vec<Clause> = Vec::with_capacity(8);
        let mut clause_of = vec![0u32; n];
        let mut exclamations = 0u32;
        let mut current = Clause::default();
        let mut clause_has_tokens = false;
        let mut irony = false;
        let mut reply = false;
        let mut staff = false;
        let mut complaint_marker_at: Vec<usize> = Vec::new();
        for (idx, tok) in list.iter().enumerate() {
            let entry = match resolved[idx] {
                Resolved::Entry(e) | Resolved::Phrase(e, _) => Some(e),
                _ => None,
            };
            if let Some(e) = entry
                && e.has(role::CONTRAST)
                && clause_has_tokens
            {
                clauses.push(current);
                current = Clause {
                    sentence: current.sentence,
                    contrast_start: true,
                    ..Clause::default()
                };
                clause_has_tokens = false;
            } else if let Some(e) = entry
                && e.has(role::CONTRAST)
            {
                current.contrast_start = true;
            }
            clause_of[idx] = clauses.len() as u32;
            if let Some(e) = entry {
                if e.has(role::ASK) {
                    current.request = true;
                }
                if e.has(role::IRONY) {
                    irony = true;
                }
                if e.has(role::REPLY) {
                    reply = true;
                }
                if e.has(role::STAFF) {
                    staff = true;
                }
                if e.has(role::COMPLAINT) || e.has(role::SELF) {
                    complaint_marker_at.push(idx);
                }
            }
            // The upside-down face is social text's wink that praise is not meant.
            if matches!(tok.kind, Kind::Emoji(_)) && text[tok.span.clone()].starts_with('\u{1f643}')
            {
                irony = true;
            }
            if brand
                .iter()
                .any(|b| b.start < tok.span.end && tok.span.start < b.end)
            {
                current.has_brand = true;
            }
            if let Kind::Punct(mark) = tok.kind {
                match mark {
                    b'?' => current.question = true,
                    b'!' => exclamations += 1,
                    _ => {}
                }
                // Runs of marks ("?!", "...") end one clause, not several.
                if clause_has_tokens {
                    let ends_sentence = matches!(mark, b'.' | b'!' | b'?' | b';' | b'\n');
                    let sentence = current.sentence + u32::from(ends_sentence);
                    clauses.push(current);
                    current = Clause {
                        sentence,
                        ..Clause::default()
                    };
                    clause_has_tokens = false;
                } else if let Some(last) = clauses.last_mut()
                    && mark == b'?'
                {
                    last.question = true;
                }
                continue;
            }
            clause_has_tokens = true;
        }
        // Trailing marks belong to a clause not yet pushed; so does an empty text.
        if clause_has_tokens
            || clause_of
                .last()
                .is_none_or(|&c| c as usize == clauses.len())
        {
            clauses.push(current);
        }

        // Weights: distance from the brand, contrast, questions, requests.
        let brand_clauses: Vec<usize> = clauses
            .iter()
            .enumerate()
            .filter(|(_, c)| c.has_brand)
            .map(|(i, _)| i)
            .collect();
        let last_contrast = clauses.iter().rposition(|c| c.contrast_start);
        for (ci, clause) in clauses.iter_mut().enumerate() {
            let mut w = 1.0;
            if let Some(d) = brand_clauses.iter().map(|&b| b.abs_diff(ci)).min() {
                w /= 1.0 + 0.5 * d as f32;
            }
            if let Some(c) = last_contrast {
                w *= if ci < c {
                    BEFORE_CONTRAST
                } else {
                    AFTER_CONTRAST
                };
            }
            if reply {
                w *= REPLY_DAMPING;
            }
            if clause.question {
                w *= QUESTION_DAMPING;
            } else if clause.request {
                w *= REQUEST_DAMPING;
            }
            clause.weight = w;
        }
        let brand_sentences: Vec<u32> =
            brand_clauses.iter().map(|&c| clauses[c].sentence).collect();
        let mut out = RuleAnalysis {
            irony,
            question: clauses.iter().any(|c| c.question),
            request: reply || clauses.iter().any(|c| c.request),
            clause_weight_of_token: clause_of
                .iter()
                .map(|&c| clauses[c as usize].weight)
                .collect(),
            in_negation_scope: negation_scope(tokens, &resolved, &clause_of),
            ..RuleAnalysis::default()
        };

        // Comparisons in the brand's sentences: which side of "than" is the brand on?
        let mut comparison_words: Vec<usize> = Vec::new();
        if !brand.is_empty() {
            self.compare(
                tokens,
                &resolved,
                &clause_of,
                &clauses,
                &brand_sentences,
                brand,
                &mut out,
                &mut comparison_words,
            );
        }

        // Valence of each word, emoji and phrase.
        let shouting_everywhere = tokens.words > 0 && tokens.caps_words * 2 > tokens.words;
        for idx in 0..n {
            let tok = &list[idx];
            let clause = clause_of[idx];
            let (valence, span): (f32, Range<usize>) = match (tok.kind, resolved[idx]) {
                (Kind::Emoji(v), _) => (v, tok.span.clone()),
                (_, Resolved::Entry(e)) if !comparison_words.contains(&idx) => {
                    (e.valence, tok.span.clone())
                }
                (_, Resolved::Phrase(e, len)) => {
                    (e.valence, tok.span.start..list[idx + len - 1].span.end)
                }
                _ => continue,
            };
            if valence == 0.0 {
                continue;
            }
            let sign = valence.signum();
            let mut v = valence;
            if !matches!(tok.kind, Kind::Emoji(_)) {
                if tok.caps && !shouting_everywhere {
                    v += sign * CAPS_EMPHASIS;
                }
                if tok.elongated {
                    v += sign * ELONGATION_EMPHASIS;
                }
            }
            // Intensifiers and negators among the three words before, in the same clause.
            let mut negated = false;
            let mut seen = 0;
            let mut j = idx;
            while j > 0 && seen < 3 {
                j -= 1;
                if clause_of[j] != clause {
                    break;
                }
                if !matches!(list[j].kind, Kind::Word | Kind::Hashtag) {
                    continue;
                }
                if let Resolved::Entry(e) = resolved[j] {
                    if e.booster != 0.0 {
                        v += sign * e.booster * BOOSTER_DECAY[seen];
                    }
                    if e.has(role::NEGATOR) {
                        negated = true;
                    }
                }
                seen += 1;
            }
            if negated {
                v *= NEGATION_SCALE;
                out.negations += 1;
            }
            let w = clauses[clause as usize].weight;
            let contribution = v * w;
            if contribution > 0.0 {
                out.positive += contribution;
            } else {
                out.negative -= contribution;
            }
            out.total += contribution;
            out.evidence
                .push((contribution, Evidence::Words { span, negated }));
        }

        // Complaint markers in clauses that are about the brand (or anywhere, overall),
        // unless the speaker works there: complaints are customers' (employees' negative
        // posts are about the job; in the apart sets 5 of about 300 gold complaints are
        // employees', and a third of the flag's false alarms were).
        out.complaint_marker = !staff
            && complaint_marker_at
                .iter()
                .any(|&i| clauses[clause_of[i] as usize].weight >= 0.3 || brand.is_empty());
        if out.total != 0.0 && exclamations > 0 {
            out.total += out.total.signum() * EXCLAMATION_EMPHASIS * exclamations.min(4) as f32;
        }
        if irony && out.total > 0.0 {
            out.total = -out.total;
            out.evidence
                .push((out.total, Evidence::Rule("irony marker".to_string())));
        }
        out.score = out.total / (out.total * out.total + NORMALISATION_ALPHA).sqrt();
        out
    }

    /// The phrase starting at token `i` whose words follow, longest first.
    fn match_phrase<'l>(
        &'l self,
        entry: &Entry,
        tokens: &Tokens,
        i: usize,
    ) -> Option<(&'l Entry, usize)> {
        let mut best: Option<(&Entry, usize)> = None;
        for &p in &entry.phrases {
            let phrase = &self.lexicon.phrases[p as usize];
            let len = phrase.rest.len() + 1;
            if best.is_some_and(|(_, l)| l >= len) {
                continue;
            }
            let words = tokens.list[i + 1..]
                .iter()
                .take(phrase.rest.len())
                .filter(|t| matches!(t.kind, Kind::Word | Kind::Hashtag));
            let matched = words.clone().count() == phrase.rest.len()
                && tokens.list[i + 1..i + len]
                    .iter()
                    .zip(&phrase.rest)
                    .all(|(t, w)| w.matches(tokens.folded(t)));
            if matched {
                best = Some((&phrase.entry, len));
            }
        }
        best
    }

    #[allow(clippy::too_many_arguments)]
    fn compare(
        &self,
        tokens: &Tokens,
        resolved: &[Resolved],
        clause_of: &[u32],
        clauses: &[Clause],
        brand_sentences: &[u32],
        brand: &[Range<usize>],
        out: &mut RuleAnalysis,
        comparison_words: &mut Vec<usize>,
    ) {
        let list = &tokens.list;
        let sentence_of = |i: usize| clauses[clause_of[i] as usize].sentence;
        for (a, r) in resolved.iter().enumerate() {
            let Resolved::Entry(e) = r else { continue };
            if e.comparative == 0.0 || !brand_sentences.contains(&sentence_of(a)) {
                continue;
            }
            let s = sentence_of(a);
            let than = (a + 1..list.len())
                .take_while(|&t| sentence_of(t) == s)
                .find(|&t| matches!(resolved[t], Resolved::Entry(x) if x.has(role::THAN)));
            let Some(than) = than else { continue };
            let in_brand = |i: usize| {
                let span = &list[i].span;
                brand
                    .iter()
                    .any(|b| b.start < span.end && span.start < b.end)
            };
            let before = (0..a).any(|i| sentence_of(i) == s && in_brand(i));
            let after = (than + 1..list.len()).any(|i| sentence_of(i) == s && in_brand(i));
            let sign = match (before, after) {
                (true, false) => 1.0,
                (false, true) => -1.0,
                _ => continue,
            };
            let negated = (a.saturating_sub(3)..a)
                .any(|j| matches!(resolved[j], Resolved::Entry(x) if x.has(role::NEGATOR)));
            let mut contribution = sign * e.comparative * COMPARISON_WEIGHT;
            if negated {
                contribution *= NEGATION_SCALE;
            }
            comparison_words.push(a);
            out.total += contribution;
            if contribution > 0.0 {
                out.positive += contribution;
            } else {
                out.negative -= contribution;
            }
            let side = if sign > 0.0 {
                "brand wins"
            } else {
                "brand loses"
            };
            let words = format!(
                "comparison ({side}): {} … {}",
                tokens.folded(&list[a]),
                tokens.folded(&list[than])
            );
            out.evidence.push((contribution, Evidence::Rule(words)));
        }
    }
}

/// Sorts evidence strongest first and keeps the few that decided.
pub(crate) fn finish_evidence(
    evidence: &mut [(f32, Evidence)],
    text: &str,
    toward_sign: f32,
    keep: usize,
) -> Vec<String> {
    // Show what pushed toward the verdict first; a neutral verdict shows the strongest.
    evidence.sort_by(|a, b| {
        let ka = if toward_sign == 0.0 {
            a.0.abs()
        } else {
            a.0 * toward_sign
        };
        let kb = if toward_sign == 0.0 {
            b.0.abs()
        } else {
            b.0 * toward_sign
        };
        kb.total_cmp(&ka)
    });
    evidence
        .iter()
        .take(keep)
        .map(|(_, e)| match e {
            Evidence::Words {
                span,
                negated: false,
            } => text[span.clone()].to_string(),
            Evidence::Words {
                span,
                negated: true,
            } => format!("negated: {}", &text[span.clone()]),
            Evidence::Rule(rule) => rule.clone(),
        })
        .collect()
}

/// Whether each token follows a negator within three words of its clause.
fn negation_scope(tokens: &Tokens, resolved: &[Resolved], clause_of: &[u32]) -> Vec<bool> {
    let mut scope = vec![false; tokens.list.len()];
    let mut remaining = 0u32;
    let mut clause = u32::MAX;
    for (i, tok) in tokens.list.iter().enumerate() {
        if clause_of[i] != clause {
            clause = clause_of[i];
            remaining = 0;
        }
        if !matches!(tok.kind, Kind::Word | Kind::Hashtag) {
            continue;
        }
        scope[i] = remaining > 0;
        remaining = remaining.saturating_sub(1);
        if matches!(resolved[i], Resolved::Entry(e) if e.has(role::NEGATOR)) {
            remaining = 3;
        }
    }
    scope
}
