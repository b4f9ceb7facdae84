//! Source type: who is speaking, relative to one brand.
//!
//! Identity beats self-description beats content. Configured accounts and domains
//! (the brand's own, its staff's, the press directory) and accounts named after the
//! brand are facts, so they are checked first; then what the bio says (a role at the
//! brand, a press role, a staff disclaimer); then what the post says: staff speaking
//! as staff ("na mojej zmianie"), a brand answering ("DM us"), a stake other than
//! buying (recruiting, investing), and buying or using the product. A customer needs
//! that last evidence: someone who merely names a brand is as likely a bystander
//! commenting on news, so with no evidence the answer is `unknown`, not `customer`.

use earshot_model::{Platform, RawMention};

use crate::brand::{BrandEntry, BrandHit, TermKind};
use crate::press::{PressDirectory, host_in, with_lowercase};
use crate::rules::{RuleHit, RuleKind};
use crate::tags::{SourceType, Tag};

/// Bytes between "engineer at" and the brand it names ("engineer at @Acme").
const WORK_AT_GAP: usize = 3;
/// Bytes between "I work" and the brand in a post ("I work in signal maintenance at
/// Deutsche Bahn"), within one sentence.
const POST_WORK_AT_REACH: usize = 48;
/// Bytes before a rule in which a qualifier ("former", "not a", "fan of") applies.
const QUALIFIER_REACH: usize = 12;

/// What the enricher found in one mention, shared by every brand it matched.
pub(crate) struct Evidence<'a> {
    pub(crate) mention: &'a RawMention,
    pub(crate) bio: &'a str,
    pub(crate) post: &'a str,
    pub(crate) bio_rules: &'a [RuleHit],
    pub(crate) post_rules: &'a [RuleHit],
    pub(crate) bio_brands: &'a [BrandHit],
    pub(crate) post_brands: &'a [BrandHit],
    pub(crate) press: &'a PressDirectory,
}

/// Who is speaking about `brand`: the account facts decide alone; every other rule
/// answer is a feature of the trained model (`model.rs`), which reads it together with
/// the words of the post, bio, handle and name, and abstains (`unknown`) when unsure.
pub(crate) fn classify(ev: &Evidence<'_>, brand_id: u32, brand: &BrandEntry) -> Tag<SourceType> {
    let rule = classify_by_rules(ev, brand_id, brand);
    if is_account_fact(&rule) {
        return rule;
    }
    crate::model::decide(ev, brand_id, &brand.name, rule)
}

/// Rule answers that are facts about the account (configured handles and domains, RSS,
/// the press directory), not readings of the text: the model never overrides them.
pub(crate) fn is_account_fact(rule: &Tag<SourceType>) -> bool {
    matches!(
        rule.evidence.as_ref(),
        "brand_account.handle"
            | "employee.handle"
            | "employee.domain"
            | "press.rss"
            | "press.account"
    )
}

/// The hand-written rules alone: identity, then self-description, then the post.
pub(crate) fn classify_by_rules(
    ev: &Evidence<'_>,
    brand_id: u32,
    brand: &BrandEntry,
) -> Tag<SourceType> {
    use SourceType::*;
    let handle = ev.mention.author.handle.as_str();
    if brand.handles.iter().any(|h| same_account(handle, h))
        || brand
            .domains
            .iter()
            .any(|d| handle.trim_start_matches('@').eq_ignore_ascii_case(d))
    {
        return Tag::new(BrandAccount, 0.95, "brand_account.handle");
    }
    if brand
        .employee_handles
        .iter()
        .any(|h| same_account(handle, h))
    {
        return Tag::new(Employee, 0.95, "employee.handle");
    }
    let brand_voice = has(ev.post_rules, RuleKind::BrandVoice, |_| true);
    // "zabka_pomoc", "Lidl Kundenservice": an account named after the brand.
    let named_after_brand = named_after(ev.mention, &brand.name);
    if named_after_brand && (brand_voice || is_service_name(ev.mention)) {
        return Tag::new(BrandAccount, 0.85, "brand_account.name");
    }
    if brand
        .employee_domains
        .iter()
        .any(|d| on_domain(handle, d) || bio_has_email_on(ev.bio, d))
    {
        return Tag::new(Employee, 0.9, "employee.domain");
    }
    if ev.mention.platform == Platform::Rss {
        return Tag::new(Press, 0.95, "press.rss");
    }
    if ev.press.is_account(handle) || ev.press.is_domain_handle(handle) {
        return Tag::new(Press, 0.9, "press.account");
    }
    if is_newsy_name(ev.mention) {
        return Tag::new(Press, 0.65, "press.account_name");
    }
    if is_bot_handle(handle) || has(ev.bio_rules, RuleKind::Bot, |h| !negated(ev.bio, h.start)) {
        return Tag::new(Other, 0.7, "other.bot");
    }
    // Meme pages name brands to be funny, not as their customers.
    if is_meme_account(ev.mention, ev.bio) {
        return Tag::new(Other, 0.65, "other.meme_account");
    }

    let brand_hits = |hits| of_brand(hits, brand_id);
    match bio_role_at(ev.bio, ev.bio_rules, ev.bio_brands, brand_id) {
        Some(BioRole::WorksAt) => return Tag::new(Employee, 0.85, "employee.bio_works_at"),
        Some(BioRole::AtBrand) => return Tag::new(Employee, 0.8, "employee.bio_at_brand"),
        None => {}
    }
    let fan_before = |at: usize| qualified(ev.bio_rules, RuleKind::Fan, at, ev.bio);
    if brand_hits(ev.bio_brands).any(|b| b.kind == TermKind::Handle && !fan_before(b.start)) {
        return Tag::new(Employee, 0.75, "employee.bio_handle");
    }
    if brand_hits(ev.bio_brands)
        .chain(brand_hits(ev.post_brands))
        .any(|b| b.kind == TermKind::StaffTag)
    {
        return Tag::new(Employee, 0.75, "employee.hashtag");
    }

    let press_role = ev.bio_rules.iter().any(|r| {
        r.kind == RuleKind::PressRole
            && !qualified(ev.bio_rules, RuleKind::PressNegation, r.start, ev.bio)
    });
    if press_role {
        return Tag::new(Press, 0.8, "press.bio_role");
    }
    if has(ev.bio_rules, RuleKind::PressBio, |_| true) {
        return Tag::new(Press, 0.7, "press.bio");
    }

    let brand_in_bio =
        brand_hits(ev.bio_brands).any(|b| b.kind != TermKind::StaffTag && !fan_before(b.start));
    if brand_in_bio && has(ev.bio_rules, RuleKind::StaffDisclaimer, |_| true) {
        return Tag::new(Employee, 0.7, "employee.disclaimer");
    }
    let says_works_here = ev
        .post_rules
        .iter()
        .filter(|r| r.kind == RuleKind::WorkAt)
        .any(|r| {
            !qualified(ev.post_rules, RuleKind::Guard, r.start, ev.post)
                && brand_hits(ev.post_brands).any(|b| {
                    b.start >= r.end
                        && b.start - r.end <= POST_WORK_AT_REACH
                        && !ev.post[r.end..b.start].contains(['.', '!', '?', '|', ';'])
                })
        });
    if says_works_here {
        return Tag::new(Employee, 0.7, "employee.post_works_at");
    }
    // A role at the brand in the bio without a preposition ("Zugbegleiterin, DB").
    if brand_in_bio && has(ev.bio_rules, RuleKind::WorkAt, |_| true) {
        return Tag::new(Employee, 0.65, "employee.bio_role");
    }
    let unguarded = |kind: RuleKind| {
        has(ev.post_rules, kind, |r| {
            !qualified(ev.post_rules, RuleKind::Guard, r.start, ev.post)
        })
    };
    // Staff speak as staff without naming the employer next to it: "na mojej zmianie".
    let staff_voice = unguarded(RuleKind::StaffVoice)
        || has(ev.bio_rules, RuleKind::StaffVoice, |_| true) && brand_in_bio;
    // A recruiter's "unseren Kunden", a student's "w pracy magisterskiej": the stake
    // they state outranks words staff also use.
    let other_role =
        unguarded(RuleKind::OtherRole) || has(ev.bio_rules, RuleKind::OtherRole, |_| true);
    if staff_voice && !other_role && !has(ev.bio_rules, RuleKind::Organization, |_| true) {
        return Tag::new(Employee, 0.6, "employee.post_staff_voice");
    }
    if brand_voice {
        return Tag::new(BrandAccount, 0.6, "brand_account.voice");
    }
    if has(ev.bio_rules, RuleKind::Organization, |_| true) {
        return Tag::new(Other, 0.6, "other.organization");
    }
    if other_role {
        return Tag::new(Other, 0.6, "other.role");
    }
    if has(ev.post_rules, RuleKind::Purchase, |r| {
        !qualified(ev.post_rules, RuleKind::Guard, r.start, ev.post) && !negated(ev.post, r.start)
    }) {
        return Tag::new(Customer, 0.8, "customer.purchase");
    }
    // "Nigdy nie kupowałam w Żabce", "I've never ordered from it": says it is no customer.
    if has(ev.post_rules, RuleKind::Purchase, |r| {
        negated(ev.post, r.start)
    }) {
        return Tag::new(Other, 0.6, "other.not_customer");
    }
    if unguarded(RuleKind::FirstPerson) {
        return Tag::new(Customer, 0.6, "customer.first_person");
    }
    // A few words and a brand ("Żabka 💚", "InPost znowu spóźniony"): a user's verdict.
    if ev
        .post
        .split(' ')
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count()
        <= 6
    {
        return Tag::new(Customer, 0.5, "customer.short_verdict");
    }
    // Nothing says who is speaking: a bystander as likely as a customer.
    Tag::new(Unknown, 0.3, "no_evidence")
}

/// How a bio states a role at a brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BioRole {
    /// A work phrase right before the brand: "Kassierer bei Lidl", "pracuję w Żabce".
    WorksAt,
    /// A role "@" the brand: "backend @ Allegro", "SRE @ Zalando".
    AtBrand,
}

/// Whether the (folded) bio states a role at `brand_id`. Shared by the source-type rules
/// and the brand match (a staff member's post about the job often does not name the
/// employer: [`crate::Enricher`] matches it through the bio).
pub(crate) fn bio_role_at(
    bio: &str,
    bio_rules: &[RuleHit],
    bio_brands: &[BrandHit],
    brand_id: u32,
) -> Option<BioRole> {
    let works_at = bio_rules
        .iter()
        .filter(|r| r.kind == RuleKind::WorkAt)
        .any(|r| {
            of_brand(bio_brands, brand_id).any(|b| {
                b.start >= r.end
                    && b.start - r.end <= WORK_AT_GAP
                    && gap_is_blank(bio, r.end, b.start)
            })
        });
    if works_at {
        return Some(BioRole::WorksAt);
    }
    of_brand(bio_brands, brand_id)
        .any(|b| {
            b.kind == TermKind::Keyword
                && bio[..b.start].ends_with(' ')
                && bio[..b.start].trim_end().ends_with('@')
        })
        .then_some(BioRole::AtBrand)
}

/// The author's handle or display name carries the brand's name ("zabka_pomoc",
/// "Lidl Kundenservice").
pub(crate) fn named_after(mention: &RawMention, brand: &str) -> bool {
    let key: String = crate::fold::fold(brand)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    if key.chars().count() < 4 {
        return false;
    }
    let squash = |s: &str| -> String {
        crate::fold::fold(s)
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect()
    };
    let local = mention
        .author
        .handle
        .trim_start_matches('@')
        .split(['@', '.'])
        .next()
        .unwrap_or("");
    squash(local).contains(&key) || squash(&mention.author.name).contains(&key)
}

/// A handle or display name that says it is news: `logistics_weekly`, `berlin_news`.
fn is_newsy_name(mention: &RawMention) -> bool {
    const WORDS: &[&str] = &[
        "news",
        "wiadomosci",
        "nachrichten",
        "novyny",
        "новини",
        "weekly",
        "daily",
        "gazeta",
        "zeitung",
        "magazin",
        "journal",
        "tygodnik",
        "dziennik",
        "report",
        "times",
        "herald",
        "tribune",
        "press",
        "prasa",
        "presse",
    ];
    let handle = crate::fold::fold(
        mention
            .author
            .handle
            .trim_start_matches('@')
            .split(['@', '.'])
            .next()
            .unwrap_or(""),
    );
    let name = crate::fold::fold(&mention.author.name);
    WORDS.iter().any(|w| {
        handle.split(['_', '-']).any(|t| t == *w)
            || name.split(|c: char| !c.is_alphanumeric()).any(|t| t == *w)
    })
}

/// A handle, display name or bio that says the account posts memes.
fn is_meme_account(mention: &RawMention, bio: &str) -> bool {
    const WORDS: &[&str] = &[
        "meme",
        "memes",
        "memy",
        "memow",
        "smieszki",
        "мем",
        "меми",
        "мемы",
        "мемів",
    ];
    let words = |s: &str| {
        crate::fold::fold(s)
            .split(|c: char| !c.is_alphanumeric())
            .any(|t| WORDS.contains(&t))
    };
    words(&mention.author.handle) || words(&mention.author.name) || words(bio)
}

/// A display name or handle that says "support" or "official".
fn is_service_name(mention: &RawMention) -> bool {
    const WORDS: &[&str] = &[
        "support",
        "help",
        "pomoc",
        "hilfe",
        "service",
        "care",
        "official",
        "oficjal",
        "kundenservice",
        "kontakt",
        "info",
        "sklep",
        "shop",
        "store",
        "polska",
        "poland",
        "uk",
        "ua",
        "pl",
        "de",
        "підтримка",
        "офіц",
    ];
    let name = crate::fold::fold(&mention.author.name);
    let handle = crate::fold::fold(&mention.author.handle);
    WORDS.iter().any(|w| {
        name.split(|c: char| !c.is_alphanumeric())
            .any(|t| t.starts_with(w))
            || handle
                .split(|c: char| !c.is_alphanumeric())
                .any(|t| t == *w)
            || handle.contains(&format!("_{w}"))
    })
}

/// Hits of one brand that refer to it (everything but exclusions).
pub(crate) fn of_brand(hits: &[BrandHit], brand: u32) -> impl Iterator<Item = &BrandHit> {
    hits.iter()
        .filter(move |h| h.brand == brand && h.kind != TermKind::Excluded)
}

fn has(hits: &[RuleHit], kind: RuleKind, ok: impl Fn(&RuleHit) -> bool) -> bool {
    hits.iter().any(|h| h.kind == kind && ok(h))
}

/// A rule of `kind` ends shortly before `at`, in the same clause.
fn qualified(hits: &[RuleHit], kind: RuleKind, at: usize, text: &str) -> bool {
    hits.iter().any(|q| {
        q.kind == kind
            && q.start < at
            && at <= q.end + QUALIFIER_REACH
            && !text[q.end.min(at)..at].contains(['.', '!', '?', '|', ';', ','])
    })
}

/// "not a bot", "nie jestem botem".
fn negated(text: &str, at: usize) -> bool {
    let before = &text[..at];
    let window = &before[before.floor_char_boundary(before.len().saturating_sub(16))..];
    [
        "not ",
        "nie ",
        "no ",
        "never ",
        "nigdy ",
        "nicht ",
        "kein",
        "не ",
        "ніколи ",
    ]
    .iter()
    .any(|w| window.contains(w))
}

fn gap_is_blank(text: &str, from: usize, to: usize) -> bool {
    text.get(from..to)
        .is_some_and(|g| g.chars().all(|c| c == ' ' || c == '@' || c == '#'))
}

/// Handles compare without `@` and case; a configured handle without an instance
/// matches that name on any instance.
pub(crate) fn same_account(author: &str, configured: &str) -> bool {
    let author = author.trim_start_matches('@');
    if author.eq_ignore_ascii_case(configured) {
        return true;
    }
    !configured.contains('@')
        && author
            .split_once('@')
            .is_some_and(|(local, _)| local.eq_ignore_ascii_case(configured))
}

/// The author's handle is on `domain`: `jan.orlen.pl`, `orlen.pl`, `jan@orlen.pl`.
fn on_domain(author: &str, domain: &str) -> bool {
    let host = author
        .trim_start_matches('@')
        .rsplit('@')
        .next()
        .unwrap_or("");
    with_lowercase(host, |h| host_in(h, |d| d == domain))
}

/// An e-mail address on `domain` in the (folded) bio.
fn bio_has_email_on(bio: &str, domain: &str) -> bool {
    bio.match_indices(domain).any(|(i, _)| {
        bio[..i].ends_with('@')
            && !bio[i + domain.len()..].starts_with(|c: char| c.is_alphanumeric())
    })
}

fn is_bot_handle(handle: &str) -> bool {
    let local = handle
        .trim_start_matches('@')
        .split(['@', '.'])
        .next()
        .unwrap_or("");
    let n = local.len();
    n > 3 && local.is_char_boundary(n - 3) && local[n - 3..].eq_ignore_ascii_case("bot")
        || local.to_ascii_lowercase().contains("_bot")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_compare_loosely() {
        assert!(same_account("@Orlen", "orlen"));
        assert!(same_account("orlen@mastodon.social", "orlen"));
        assert!(!same_account("orlen@mastodon.social", "orlen@other.social"));
        assert!(!same_account("orlenfan", "orlen"));
    }

    #[test]
    fn domains_of_handles() {
        assert!(on_domain("jan.orlen.pl", "orlen.pl"));
        assert!(on_domain("jan@orlen.pl", "orlen.pl"));
        assert!(!on_domain("jan.notorlen.pl", "orlen.pl"));
    }

    #[test]
    fn emails_in_bio() {
        assert!(bio_has_email_on(
            "kontakt: jan.kowalski@orlen.pl",
            "orlen.pl"
        ));
        assert!(!bio_has_email_on("fan of orlen.pl", "orlen.pl"));
    }

    #[test]
    fn bot_handles() {
        assert!(is_bot_handle("PriceBot"));
        assert!(is_bot_handle("deals_bot_pl@botsin.space"));
        assert!(!is_bot_handle("robert"));
        assert!(!is_bot_handle("bot"));
    }

    #[test]
    fn negation_window() {
        assert!(negated("i'm not a bot", 10));
        assert!(!negated("news bot", 5));
    }
}
