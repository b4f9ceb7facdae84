//! Brand queries compiled into one Aho-Corasick automaton over folded text.
//!
//! Every term of every brand (keywords, required and excluded terms, `#hashtags`,
//! `@handles`, domains, staff hashtags) is one pattern, so a mention is scanned once
//! however many brands are configured. Each hit is then checked at its edges: a
//! keyword must be a whole word ("Orlen" is not in "Borlenge"), optionally followed by
//! an inflectional ending ("Orlenu", "Orlenem"); a domain may follow a subdomain dot
//! but not a letter.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use earshot_model::Brand;

use crate::ConfigError;
use crate::fold::{char_at, char_before, fold, is_word_char};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TermKind {
    Keyword,
    Required,
    Excluded,
    Hashtag,
    Handle,
    Domain,
    /// "#AcmeLife": evidence of staff, never a match on its own.
    StaffTag,
}

#[derive(Debug, Clone, Copy)]
struct Term {
    brand: u32,
    kind: TermKind,
    /// The pattern is a stem ("biedronk") that only counts with an ending.
    needs_ending: bool,
    /// Endings may follow ("orlen" + "u").
    inflects: bool,
}

/// A brand's identity beyond its query: who speaks for it.
#[derive(Debug)]
pub(crate) struct BrandEntry {
    pub(crate) name: String,
    pub(crate) handles: Vec<String>,
    pub(crate) domains: Vec<String>,
    pub(crate) employee_handles: Vec<String>,
    pub(crate) employee_domains: Vec<String>,
    pub(crate) has_required: bool,
}

/// One term found in a folded text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BrandHit {
    pub(crate) brand: u32,
    pub(crate) kind: TermKind,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) inflected: bool,
}

#[derive(Debug)]
pub(crate) struct BrandMatcher {
    automaton: Option<AhoCorasick>,
    terms: Vec<Term>,
    pub(crate) brands: Vec<BrandEntry>,
    /// Folded inflectional endings, longest first.
    endings: Vec<String>,
}

/// Shortest keyword that may take an ending: short words inflect into other words.
const MIN_INFLECTED_LEN: usize = 4;

impl BrandMatcher {
    pub(crate) fn new(brands: &[Brand], inflect: bool) -> Result<Self, ConfigError> {
        let mut endings: Vec<String> = Vec::new();
        if inflect {
            for line in include_str!("../data/inflection.txt").lines() {
                let Some((_, list)) = line.split_once('=').filter(|_| !line.starts_with('#'))
                else {
                    continue;
                };
                for ending in list.split_whitespace().map(fold) {
                    if !endings.contains(&ending) {
                        endings.push(ending);
                    }
                }
            }
            endings.sort_by_key(|e| std::cmp::Reverse(e.len()));
        }
        let staff_templates: Vec<&str> = include_str!("../data/staff_hashtags.txt")
            .lines()
            .map(str::trim)
            .filter(|l| l.contains("{brand}"))
            .collect();

        let mut patterns: Vec<String> = Vec::new();
        let mut terms: Vec<Term> = Vec::new();
        let mut entries = Vec::with_capacity(brands.len());
        for (index, brand) in brands.iter().enumerate() {
            if brand.name.trim().is_empty() {
                return Err(ConfigError::UnnamedBrand { index });
            }
            let id = index as u32;
            let mut add = |kind: TermKind, field: &'static str, values: &[String], prefix: &str| {
                let mut folded_terms = Vec::new();
                for (i, value) in values.iter().enumerate() {
                    let folded = normalize_term(value, prefix);
                    if folded.trim_start_matches(['#', '@']).is_empty() {
                        return Err(ConfigError::EmptyBrandTerm {
                            brand: index,
                            field,
                            index: i,
                        });
                    }
                    folded_terms.push(folded);
                }
                for folded in folded_terms {
                    let word_like = matches!(
                        kind,
                        TermKind::Keyword | TermKind::Required | TermKind::Excluded
                    );
                    let inflects = inflect
                        && word_like
                        && folded.chars().count() >= MIN_INFLECTED_LEN
                        && folded.ends_with(|c: char| c.is_ascii_alphabetic());
                    if inflects
                        && folded.chars().count() > MIN_INFLECTED_LEN
                        && folded.ends_with(['a', 'e', 'o', 'y'])
                    {
                        let stem = &folded[..folded.len() - 1];
                        patterns.push(stem.to_owned());
                        terms.push(Term {
                            brand: id,
                            kind,
                            needs_ending: true,
                            inflects: true,
                        });
                    }
                    patterns.push(folded);
                    terms.push(Term {
                        brand: id,
                        kind,
                        needs_ending: false,
                        inflects,
                    });
                }
                Ok(())
            };
            add(TermKind::Keyword, "keywords", &brand.keywords, "")?;
            add(TermKind::Required, "required", &brand.required, "")?;
            add(TermKind::Excluded, "excluded", &brand.excluded, "")?;
            add(TermKind::Hashtag, "hashtags", &brand.hashtags, "#")?;
            let mention_handles: Vec<String> = brand
                .handles
                .iter()
                .map(|h| handle_as_mentioned(h))
                .collect();
            add(TermKind::Handle, "handles", &mention_handles, "@")?;
            let domains: Vec<String> = brand
                .domains
                .iter()
                .map(|d| bare_domain(d).to_owned())
                .collect();
            add(TermKind::Domain, "domains", &domains, "")?;
            if brand.keywords.is_empty()
                && brand.hashtags.is_empty()
                && brand.handles.is_empty()
                && brand.domains.is_empty()
            {
                return Err(ConfigError::BrandMatchesNothing { index });
            }
            let mut staff_names: Vec<String> = std::iter::once(&brand.name)
                .chain(&brand.hashtags)
                .map(|n| fold(n).chars().filter(|c| c.is_alphanumeric()).collect())
                .filter(|n: &String| n.len() >= 3)
                .collect();
            staff_names.dedup();
            let staff_tags: Vec<String> = staff_names
                .iter()
                .flat_map(|n| staff_templates.iter().map(move |t| t.replace("{brand}", n)))
                .collect();
            add(TermKind::StaffTag, "name", &staff_tags, "#")?;
            entries.push(BrandEntry {
                name: brand.name.clone(),
                handles: brand
                    .handles
                    .iter()
                    .map(|h| fold(h.trim().trim_start_matches('@')))
                    .collect(),
                domains: domains.iter().map(|d| fold(d)).collect(),
                employee_handles: brand
                    .employee_handles
                    .iter()
                    .map(|h| fold(h.trim().trim_start_matches('@')))
                    .collect(),
                employee_domains: brand
                    .employee_domains
                    .iter()
                    .map(|d| fold(bare_domain(d.trim_start_matches('@'))))
                    .collect(),
                has_required: !brand.required.is_empty(),
            });
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&patterns)
                    .map_err(|e| ConfigError::BrandAutomaton(e.to_string()))?,
            )
        };
        Ok(Self {
            automaton,
            terms,
            brands: entries,
            endings,
        })
    }

    /// Appends the hits in folded `text` to `out`, at most `limit` of them.
    pub(crate) fn scan(&self, text: &str, limit: usize, out: &mut Vec<BrandHit>) {
        let Some(automaton) = &self.automaton else {
            return;
        };
        for m in automaton.find_overlapping_iter(text) {
            if out.len() >= limit {
                return;
            }
            let term = self.terms[m.pattern().as_usize()];
            let (start, end) = (m.start(), m.end());
            let pattern_starts_word = text[start..].starts_with(is_word_char);
            let left_ok = match term.kind {
                TermKind::Domain => {
                    !char_before(text, start).is_some_and(|c| is_word_char(c) || c == '-')
                }
                _ => !(pattern_starts_word && char_before(text, start).is_some_and(is_word_char)),
            };
            // "me@orlen.com" is an e-mail address, not the keyword or a handle.
            let in_email = text[..start].ends_with('@')
                && char_before(text, start - 1).is_some_and(is_word_char)
                || term.kind != TermKind::Handle
                    && term.kind != TermKind::Domain
                    && char_before(text, start) == Some('@')
                    && text[..start - 1].ends_with(is_word_char);
            if !left_ok || in_email {
                continue;
            }
            let (right_ok, inflected) = match term.kind {
                TermKind::Handle | TermKind::Domain => (ends_host(text, end), false),
                _ => self.word_end(text, end, term),
            };
            if right_ok {
                out.push(BrandHit {
                    brand: term.brand,
                    kind: term.kind,
                    start,
                    end,
                    inflected,
                });
            }
        }
    }

    /// Whether a word-like term ends at `end`, directly or after an ending.
    fn word_end(&self, text: &str, end: usize, term: Term) -> (bool, bool) {
        let ends_word = !text[..end].ends_with(is_word_char);
        let at_boundary = |at: usize| !char_at(text, at).is_some_and(is_word_char);
        if !term.needs_ending && (ends_word || at_boundary(end)) {
            return (true, false);
        }
        if term.inflects {
            let rest = &text[end..];
            for ending in &self.endings {
                if rest.starts_with(ending.as_str()) && at_boundary(end + ending.len()) {
                    return (true, true);
                }
            }
        }
        (false, false)
    }
}

/// A handle or domain ends here unless a letter or a `.`/`-` plus a letter follows.
fn ends_host(text: &str, end: usize) -> bool {
    match char_at(text, end) {
        Some(c) if is_word_char(c) => false,
        Some('.' | '-') => !text[end + 1..].starts_with(is_word_char),
        _ => true,
    }
}

fn normalize_term(value: &str, prefix: &str) -> String {
    let folded = fold(value.trim());
    let bare = folded.trim_start_matches(['#', '@']);
    format!("{prefix}{bare}")
}

/// How a configured handle appears in a post: `@orlen@mastodon.social` is mentioned as
/// `@orlen`, `orlen.bsky.social` in full.
fn handle_as_mentioned(handle: &str) -> String {
    let h = handle.trim().trim_start_matches('@');
    h.split('@').next().unwrap_or(h).to_owned()
}

/// `https://www.orlen.pl/path` → `orlen.pl`.
pub(crate) fn bare_domain(d: &str) -> &str {
    let d = d.trim();
    let d = d.split_once("://").map_or(d, |(_, rest)| rest);
    let d = d.strip_prefix("www.").unwrap_or(d);
    d.split(['/', '?', '#']).next().unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brand() -> Brand {
        Brand {
            name: "Orlen".into(),
            keywords: vec!["Orlen".into(), "Biedronka".into()],
            excluded: vec!["Orlen Cup".into()],
            hashtags: vec!["#orlen".into()],
            handles: vec!["@orlen@mastodon.social".into(), "orlen.bsky.social".into()],
            domains: vec!["https://www.orlen.pl".into()],
            ..Brand::default()
        }
    }

    fn kinds(text: &str) -> Vec<(TermKind, bool)> {
        let m = BrandMatcher::new(&[brand()], true).unwrap();
        let mut out = Vec::new();
        m.scan(&fold(text), 100, &mut out);
        out.into_iter().map(|h| (h.kind, h.inflected)).collect()
    }

    #[test]
    fn keywords_are_whole_words() {
        assert_eq!(kinds("ORLEN!"), vec![(TermKind::Keyword, false)]);
        assert!(kinds("Borlenge and orlenx").is_empty());
    }

    #[test]
    fn keywords_inflect() {
        assert_eq!(kinds("na Orlenie"), vec![(TermKind::Keyword, true)]);
        assert_eq!(
            kinds("w Biedronce? nie, w Biedronki"),
            vec![(TermKind::Keyword, true)]
        );
        assert!(kinds("Orlenowski").is_empty());
    }

    #[test]
    fn hashtags_handles_and_domains() {
        let k = kinds(
            "#Orlen @orlen@mastodon.social https://orlen.pl/x shop.orlen.pl @orlen.bsky.social",
        );
        assert!(k.contains(&(TermKind::Hashtag, false)));
        assert_eq!(k.iter().filter(|(t, _)| *t == TermKind::Handle).count(), 2);
        assert_eq!(k.iter().filter(|(t, _)| *t == TermKind::Domain).count(), 2);
        assert!(
            !kinds("notorlen.pl orlen.pl.evil.com")
                .iter()
                .any(|(t, _)| *t == TermKind::Domain)
        );
        assert!(
            !kinds("@orlenfan")
                .iter()
                .any(|(t, _)| *t == TermKind::Handle)
        );
    }

    #[test]
    fn staff_hashtags_are_generated() {
        assert!(kinds("#OrlenLife").contains(&(TermKind::StaffTag, false)));
    }

    #[test]
    fn bad_brands_are_config_errors() {
        let mut b = brand();
        b.keywords.push("  ".into());
        let err = BrandMatcher::new(&[b], true).unwrap_err();
        assert!(err.to_string().contains("brands[0].keywords[2]"), "{err}");
        let empty = Brand {
            name: "X".into(),
            required: vec!["x".into()],
            ..Brand::default()
        };
        assert!(
            BrandMatcher::new(&[empty], true)
                .unwrap_err()
                .to_string()
                .contains("brands[0]")
        );
    }

    #[test]
    fn bare_domain_strips_scheme_www_and_path() {
        assert_eq!(bare_domain("https://www.orlen.pl/x?y"), "orlen.pl");
        assert_eq!(bare_domain("orlen.pl"), "orlen.pl");
    }
}
