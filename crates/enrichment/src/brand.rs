//! Brand queries compiled into one Aho-Corasick automaton over folded text.
//!
//! Every term of every brand (keywords, required and excluded terms, `#hashtags`,
//! `@handles`, domains, staff hashtags) is one or more patterns, so a mention is
//! scanned once however many brands are configured. Each hit is then checked at its
//! edges: a keyword must be whole words ("Orlen" is not in "Borlenge"); each of its
//! words may take any of its inflected forms ([`crate::morph`]: "w Żabce", "na stacji
//! Orlen", "Orła"); a domain may follow a subdomain dot but not a letter.
//!
//! The automaton holds the forms of a keyword's first word; the words after it are
//! checked in place, so "stacja Orlen" costs one pattern per form of "stacja".

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use earshot_model::Brand;

use crate::ConfigError;
use crate::fold::{char_at, char_before, fold, fold_into, is_word_char};
use crate::hash::FxMap;
use crate::morph::{self, After, Form};

/// Shortest brand term (folded bytes) that names an account after the brand: "DB" in a
/// handle is too often something else.
const MIN_AUTHOR_TERM: usize = 4;

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

/// One automaton pattern: a form of a term's first word.
#[derive(Debug, Clone, Copy)]
struct Term {
    brand: u32,
    kind: TermKind,
    after: After,
    inflected: bool,
    /// Index into [`BrandMatcher::rests`]: the forms of the words after the first.
    rest: usize,
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
    /// Context words of other senses of brand names that are ordinary words
    /// (`data/decoy_senses.txt`); see [`DecoyCues`].
    decoys: Option<DecoyCues>,
    /// Per multi-word term, per word after the first: its forms. Index 0 is empty.
    rests: Vec<Vec<Vec<Form>>>,
    pub(crate) brands: Vec<BrandEntry>,
    /// Every configured handle → the first brand that has it, and the same for handles
    /// without an instance (`orlen`, matching `orlen@any.social`): one lookup per
    /// mention instead of comparing the author with every brand's handles.
    own_handles: FxMap<Box<str>, u32>,
    own_local_handles: FxMap<Box<str>, u32>,
    /// Folded inflectional endings, longest first.
    endings: Vec<String>,
}

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
        let mut rests: Vec<Vec<Vec<Form>>> = vec![Vec::new()];
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
                    if !word_like {
                        patterns.push(folded);
                        terms.push(Term {
                            brand: id,
                            kind,
                            after: After::Boundary,
                            inflected: false,
                            rest: 0,
                        });
                        continue;
                    }
                    let mut words = folded.split([' ', '-']).filter(|w| !w.is_empty());
                    let first = words.next().unwrap_or_default();
                    let rest_forms: Vec<Vec<Form>> =
                        words.map(|w| morph::forms(w, inflect)).collect();
                    let rest = if rest_forms.is_empty() {
                        0
                    } else {
                        rests.push(rest_forms);
                        rests.len() - 1
                    };
                    for form in morph::forms(first, inflect) {
                        patterns.push(form.text);
                        terms.push(Term {
                            brand: id,
                            kind,
                            after: form.after,
                            inflected: form.inflected,
                            rest,
                        });
                    }
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
        let decoys = DecoyCues::new(brands)?;
        let (mut own_handles, mut own_local_handles) = (FxMap::default(), FxMap::default());
        for (id, entry) in entries.iter().enumerate() {
            for handle in &entry.handles {
                own_handles
                    .entry(handle.as_str().into())
                    .or_insert(id as u32);
                if !handle.contains('@') {
                    own_local_handles
                        .entry(handle.as_str().into())
                        .or_insert(id as u32);
                }
            }
        }
        Ok(Self {
            automaton,
            terms,
            decoys,
            rests,
            brands: entries,
            own_handles,
            own_local_handles,
            endings,
        })
    }

    /// The first brand one of whose handles is the author's, as
    /// [`crate::source::same_account`] decides it (configured handles are folded, so
    /// lowercase: comparing ignoring ASCII case is comparing the ASCII-lowercased author).
    pub(crate) fn own_account(&self, author_handle: &str) -> Option<usize> {
        if self.own_handles.is_empty() {
            return None;
        }
        let author = author_handle.trim_start_matches('@').to_ascii_lowercase();
        let whole = self.own_handles.get(author.as_str()).copied();
        let local = author
            .split_once('@')
            .and_then(|(local, _)| self.own_local_handles.get(local).copied());
        whole.into_iter().chain(local).min().map(|id| id as usize)
    }

    /// The brands an author's handle or display name is named after: "TescoHelp",
    /// "zalando_hilfe", "zalandohilfe.bsky.social", "Lidl Deutschland Kundenservice",
    /// "ROZETKA Допомога". These are the brand's support, shop and staff accounts, whose
    /// replies seldom name the brand ("@jess Sorry about that, can you DM us?"), so the
    /// brand scan of the post alone misses them. A brand name inside a word of the display
    /// name does not count ("Polidlo"); inside the handle it does when the handle starts
    /// with it ("lidlgirl_"), since handles run words together. `buf`, `folded` and
    /// `hits` are scratch space (it runs for every mention no brand names). Adds each
    /// brand once to `out`.
    pub(crate) fn named_by_author(
        &self,
        handle: &str,
        name: &str,
        buf: &mut String,
        folded: &mut String,
        hits: &mut Vec<BrandHit>,
        out: &mut Vec<u32>,
    ) {
        let Some(automaton) = &self.automaton else {
            return;
        };
        let local = handle
            .trim_start_matches('@')
            .trim_start_matches("u/")
            .split(['@', '.'])
            .next()
            .unwrap_or("");
        let push = |brand: u32, out: &mut Vec<u32>| {
            if !out.contains(&brand) {
                out.push(brand);
            }
        };
        // The handle's letters run together, folded: a prefix match.
        buf.clear();
        buf.extend(local.chars().filter(|c| c.is_alphanumeric()));
        fold_into(buf, folded);
        for m in automaton.find_overlapping_iter(folded.as_str()) {
            let term = self.terms[m.pattern().as_usize()];
            if m.start() == 0
                && m.end() - m.start() >= MIN_AUTHOR_TERM
                && term.rest == 0
                && matches!(term.kind, TermKind::Keyword | TermKind::Handle)
            {
                push(term.brand, out);
            }
        }
        // The handle's words ("TescoHelp" → "Tesco Help", "zalando_hilfe") and the
        // display name, scanned with word boundaries like a post.
        buf.clear();
        let mut previous_lower = false;
        for c in local.chars() {
            if c == '_' || c == '-' {
                buf.push(' ');
            } else {
                if c.is_uppercase() && previous_lower {
                    buf.push(' ');
                }
                buf.push(c);
            }
            previous_lower = c.is_lowercase();
        }
        buf.push_str(" | ");
        buf.push_str(name);
        fold_into(buf, folded);
        hits.clear();
        self.scan(folded, 64, hits);
        for hit in hits.iter() {
            if hit.end - hit.start >= MIN_AUTHOR_TERM
                && matches!(hit.kind, TermKind::Keyword | TermKind::Handle)
            {
                push(hit.brand, out);
            }
        }
    }

    /// Appends the hits in folded `text` to `out`, at most `limit` of them.
    pub(crate) fn scan(&self, text: &str, limit: usize, out: &mut Vec<BrandHit>) {
        let Some(automaton) = &self.automaton else {
            return;
        };
        let first = out.len();
        for m in automaton.find_overlapping_iter(text) {
            if out.len() >= limit {
                break;
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
            let matched = match term.kind {
                TermKind::Handle | TermKind::Domain => ends_host(text, end).then_some((end, false)),
                _ => self.words_end(text, end, term),
            };
            let Some((end, inflected)) = matched else {
                continue;
            };
            // Several forms of one word ("zabk" + "a", "zabka") find the same place.
            if let Some(same) = out
                .iter_mut()
                .rev()
                .take(8)
                .find(|h| h.brand == term.brand && h.kind == term.kind && h.start == start)
            {
                same.inflected &= inflected;
                same.end = same.end.max(end);
                continue;
            }
            out.push(BrandHit {
                brand: term.brand,
                kind: term.kind,
                start,
                end,
                inflected: term.inflected || inflected,
            });
        }
        if let Some(decoys) = &self.decoys {
            decoys.exclude_other_senses(text, first, limit, out);
        }
    }

    /// Where a word-like term that matched its first form up to `end` ends, with the
    /// words after it, and whether any word was inflected; `None` if it does not.
    fn words_end(&self, text: &str, end: usize, term: Term) -> Option<(usize, bool)> {
        let (mut end, mut inflected) = self.form_end(text, end, term.after)?;
        for word in &self.rests[term.rest] {
            let next = text[end..]
                .strip_prefix([' ', '-'])
                .map(|_| end + 1)
                .filter(|&at| text[at..].starts_with(is_word_char))?;
            let (word_end, word_inflected) = word.iter().find_map(|form| {
                text[next..].starts_with(form.text.as_str()).then_some(())?;
                let (e, i) = self.form_end(text, next + form.text.len(), form.after)?;
                Some((e, i || form.inflected))
            })?;
            end = word_end;
            inflected |= word_inflected;
        }
        Some((end, inflected))
    }

    /// Where the word of a form ending at `end` ends, given what may follow it.
    fn form_end(&self, text: &str, end: usize, after: After) -> Option<(usize, bool)> {
        let at_boundary = |at: usize| !char_at(text, at).is_some_and(is_word_char);
        let ends_word = !text[..end].ends_with(is_word_char);
        if after != After::MustInflect && (ends_word || at_boundary(end)) {
            return Some((end, false));
        }
        if after == After::Boundary {
            return None;
        }
        let rest = &text[end..];
        // "Tesco's", "InPost'u", "Allegro-wi": an apostrophe or dash before the ending.
        let (rest, skip) = match rest.strip_prefix(['\'', '-']) {
            Some(r) if after == After::MayInflect => (r, 1),
            _ => (rest, 0),
        };
        self.endings
            .iter()
            .find(|e| rest.starts_with(e.as_str()) && at_boundary(end + skip + e.len()))
            .map(|e| (end + skip + e.len(), true))
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
            vec![(TermKind::Keyword, true), (TermKind::Keyword, true)]
        );
        assert!(kinds("Orlenowski").is_empty());
    }

    fn matches(keyword: &str, text: &str) -> bool {
        let b = Brand {
            name: "B".into(),
            keywords: vec![keyword.into()],
            ..Brand::default()
        };
        let m = BrandMatcher::new(&[b], true).unwrap();
        let mut out = Vec::new();
        m.scan(&fold(text), 100, &mut out);
        !out.is_empty()
    }

    #[test]
    fn polish_alternations_and_fleeting_vowels_match() {
        assert!(matches("Żabka", "kupiłam w Żabce bułki"));
        assert!(matches("Żabka", "w zabce znowu kolejka"));
        assert!(matches("Jaskółka", "byłem w Jaskółce"));
        assert!(matches("Biedronka", "promocje w Biedronce"));
        assert!(matches("InPost", "paczka utknęła w InPoście"));
        assert!(matches("InPost", "z InPostu nic"));
        assert!(matches(
            "Orzeł",
            "tankuję tylko na Orle, nie na Orła stacjach"
        ));
        assert!(matches("Żywiec", "dwa Żywce i chipsy"));
        assert!(matches("Żywiec", "piwo z Żywca"));
    }

    #[test]
    fn every_word_of_a_phrase_inflects() {
        assert!(matches("stacja Orzeł", "na stacji Orzeł było tanio"));
        assert!(matches("stacja Orzeł", "przy stacjach Orła"));
        assert!(matches("Deutsche Bahn", "mit der Deutschen Bahn"));
        assert!(matches("Нова пошта", "забрав у Новій пошті"));
        assert!(matches("Нова пошта", "відправив Новою поштою"));
        assert!(!matches(
            "stacja Orzeł",
            "stacja benzynowa, orzeł na niebie"
        ));
    }

    #[test]
    fn ukrainian_forms_match() {
        assert!(matches("Розетка", "замовив у Розетці"));
        assert!(matches("Розетка", "на Розетку"));
        assert!(matches("монобанк", "у монобанку кешбек"));
        assert!(!matches("монобанк", "монобанкір"));
    }

    #[test]
    fn forms_do_not_leak_into_other_words() {
        assert!(!matches("Żabka", "żabkowaty"));
        assert!(!matches("Lidl", "lidlowski"));
        assert!(!matches("Orlen", "orle"));
        assert!(matches("Tesco", "Tesco's meal deal"));
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
    fn own_account_lookup_agrees_with_comparing_every_handle() {
        let other = Brand {
            name: "Tesco".into(),
            keywords: vec!["Tesco".into()],
            handles: vec!["@Tesco".into(), "orlen@other.social".into()],
            ..Brand::default()
        };
        let brands = [other, brand()];
        let m = BrandMatcher::new(&brands, true).unwrap();
        for author in [
            "orlen",
            "@ORLEN",
            "orlen@mastodon.social",
            "Orlen@Other.Social",
            "@orlen.bsky.social",
            "tesco@x.y",
            "orlenfan",
            "",
            "@",
            "ł@orlen",
            "TESCO",
        ] {
            let by_comparing = m.brands.iter().position(|b| {
                b.handles
                    .iter()
                    .any(|h| crate::source::same_account(author, h))
            });
            assert_eq!(m.own_account(author), by_comparing, "{author:?}");
        }
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

/// Other senses of brand names that are ordinary words ("żabka" the frog or the
/// breaststroke, "allegro" the tempo, "розетка" the socket), told apart by context:
/// a brand named only by such a keyword or its hashtag, in a text that holds a cue
/// word of another sense ("staw", "pływ", "sonata", "електрик"), is not matched. The
/// brand's handle or domain still matches, and a keyword the table does not list is
/// never affected. Compiled once; scanned only when such a brand was hit.
#[derive(Debug)]
struct DecoyCues {
    automaton: AhoCorasick,
    /// Per cue pattern, the brand it speaks against.
    brand_of: Vec<u32>,
    /// Per cue pattern: five letters or more, so it also matches the words it begins.
    stem: Vec<bool>,
    /// Brands with cues, as a bit set for the common case of < 64 brands.
    prone: Vec<u32>,
}

impl DecoyCues {
    fn new(brands: &[Brand]) -> Result<Option<Self>, ConfigError> {
        let table = decoy_table();
        let shared = table.get("*").cloned().unwrap_or_default();
        let mut patterns = Vec::new();
        let mut brand_of = Vec::new();
        let mut stem = Vec::new();
        let mut prone = Vec::new();
        for (id, brand) in brands.iter().enumerate() {
            let mut any = false;
            for keyword in &brand.keywords {
                if let Some(cues) = table.get(fold(keyword.trim()).as_str()) {
                    for cue in cues.iter().chain(&shared) {
                        stem.push(cue.chars().count() >= 5);
                        patterns.push(cue.clone());
                        brand_of.push(id as u32);
                    }
                    any = true;
                }
            }
            if any {
                prone.push(id as u32);
            }
        }
        if patterns.is_empty() {
            return Ok(None);
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| ConfigError::BrandAutomaton(e.to_string()))?;
        Ok(Some(Self {
            automaton,
            brand_of,
            stem,
            prone,
        }))
    }

    /// Adds an exclusion hit for each decoy-prone brand that `out[first..]` names only
    /// by keyword or hashtag when `text` holds one of its cues.
    fn exclude_other_senses(
        &self,
        text: &str,
        first: usize,
        limit: usize,
        out: &mut Vec<BrandHit>,
    ) {
        let candidates = |out: &[BrandHit], brand: u32| {
            let hits = || out[first..].iter().filter(move |h| h.brand == brand);
            hits().any(|h| matches!(h.kind, TermKind::Keyword | TermKind::Hashtag))
                && !hits().any(|h| {
                    matches!(
                        h.kind,
                        TermKind::Handle | TermKind::Domain | TermKind::Excluded
                    )
                })
        };
        if !self.prone.iter().any(|&b| candidates(out, b)) {
            return;
        }
        for m in self.automaton.find_overlapping_iter(text) {
            let brand = self.brand_of[m.pattern().as_usize()];
            let starts_word = !char_before(text, m.start()).is_some_and(is_word_char);
            // Short cues are whole words: "zaba" is not the start of "zabawne".
            let whole = self.stem[m.pattern().as_usize()]
                || !char_at(text, m.end()).is_some_and(is_word_char);
            if starts_word && whole && out.len() < limit.max(first + 1) && candidates(out, brand) {
                out.push(BrandHit {
                    brand,
                    kind: TermKind::Excluded,
                    start: m.start(),
                    end: m.end(),
                    inflected: false,
                });
            }
        }
    }
}

/// `data/decoy_senses.txt`: folded section name → folded cue words.
fn decoy_table() -> std::collections::HashMap<String, Vec<String>> {
    let mut table: std::collections::HashMap<String, Vec<String>> = Default::default();
    let mut section: Option<String> = None;
    for line in include_str!("../data/decoy_senses.txt").lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = Some(fold(name));
            continue;
        }
        if let Some(name) = &section {
            table.entry(name.clone()).or_default().push(fold(line));
        }
    }
    table
}
