//! Text helpers shared by platforms: turning the HTML some platforms send (Mastodon
//! content and bios, YouTube comments, RSS descriptions) into the plain text enrichment
//! reads, and matching brand queries locally where a platform cannot search for them
//! (Bluesky's Jetstream, Reddit's subreddit listings).

use std::sync::Arc;

use earshot_model::Brand;

use crate::error::Error;

pub use earshot_enrichment::BrandFilter;

/// The brands' queries as one filter: enrichment's matcher (folding, whole words,
/// Polish and Ukrainian inflection: "w Żabce", "na stacji Orlen"), so a collector
/// never drops a mention enrichment would tag.
pub fn brand_filter(brands: &[Brand]) -> Result<Arc<BrandFilter>, Error> {
    BrandFilter::new(brands)
        .map(Arc::new)
        .map_err(|e| Error::config("brands", e.to_string()))
}

/// Strips tags, turns paragraph and line breaks into newlines and decodes entities.
/// Not a full HTML parser: posts are small, simple fragments, and a dependency-free
/// pass is enough to get readable text out of them.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            // A stray `<` that opens no tag is text.
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end].trim().to_ascii_lowercase();
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or_default();
        match name {
            "br" => out.push('\n'),
            "p" | "div" | "li" | "blockquote" if tag.starts_with('/') => out.push('\n'),
            "p" | "div" | "li" | "blockquote" if !out.is_empty() && !out.ends_with('\n') => {
                out.push('\n')
            }
            _ => {}
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    let decoded = decode_entities(&out);
    // Collapse the blank lines tag removal leaves behind.
    let lines: Vec<&str> = decoded
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("\n")
}

/// The longest entity name between `&` and `;` that is decoded (`#x10FFFF` is 8).
const MAX_ENTITY_LEN: usize = 10;

/// Decodes the named entities posts use and every numeric entity. Linear in the text:
/// the `;` is looked for only within [`MAX_ENTITY_LEN`] bytes of each `&`, so text with
/// many `&` and no `;` is not rescanned to its end for each one.
pub fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let window = &after.as_bytes()[..after.len().min(MAX_ENTITY_LEN + 1)];
        let semicolon = window.iter().position(|&b| b == b';');
        let decoded = semicolon.and_then(|end| {
            let entity = &after[..end];
            let ch = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => entity.strip_prefix('#').and_then(|num| {
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => num.parse().ok(),
                    };
                    code.and_then(char::from_u32)
                }),
            }?;
            Some((ch, end))
        });
        match decoded {
            Some((ch, end)) => {
                out.push(ch);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// What [`repair_body`] replaced in a response body.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Repairs {
    /// Bytes that were not UTF-8 (each run becomes one U+FFFD).
    pub invalid_utf8: bool,
    /// JSON `\uD800`-`\uDFFF` escapes not part of a surrogate pair, which serde_json
    /// (rightly) refuses: each becomes `\uFFFD`.
    pub lone_surrogates: usize,
}

/// A body with what makes a whole page unreadable replaced by U+FFFD: invalid UTF-8
/// and, with `json`, lone surrogate escapes. One bad byte in one post must not block
/// the job for good (the page would be retried, then fail, every interval). `None`
/// when there is nothing to repair, so a body failing for another reason stays failed.
pub fn repair_body(body: &[u8], json: bool) -> Option<(Vec<u8>, Repairs)> {
    let mut repairs = Repairs::default();
    let text = match std::str::from_utf8(body) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => {
            repairs.invalid_utf8 = true;
            String::from_utf8_lossy(body)
        }
    };
    let mut out = String::with_capacity(text.len());
    if json {
        let mut rest: &str = &text;
        while let Some(backslash) = rest.find('\\') {
            out.push_str(&rest[..backslash]);
            let escape = &rest[backslash..];
            let unit = |at: usize| {
                escape
                    .get(at..at + 6)
                    .filter(|e| e.starts_with("\\u"))
                    .and_then(|e| u16::from_str_radix(&e[2..], 16).ok())
            };
            let taken = match unit(0) {
                Some(0xD800..=0xDBFF) if matches!(unit(6), Some(0xDC00..=0xDFFF)) => {
                    out.push_str(&escape[..12]);
                    12
                }
                Some(0xD800..=0xDFFF) => {
                    repairs.lone_surrogates += 1;
                    out.push_str("\\uFFFD");
                    6
                }
                // Any other escape is two bytes (`\\`, `\"`, `\n`…) or a `\u` we keep.
                _ => {
                    let len = escape[1..].chars().next().map_or(0, char::len_utf8) + 1;
                    out.push_str(&escape[..len]);
                    len
                }
            };
            rest = &escape[taken..];
        }
        out.push_str(rest);
    } else {
        out.push_str(&text);
    }
    (repairs != Repairs::default()).then(|| (out.into_bytes(), repairs))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_and_invalid_bytes_are_replaced_and_pairs_kept() {
        let body = br#"{"a": "x\ud800y", "b": "\udc00", "pair": "\ud83d\ude00", "esc": "\\ud800", "q": "\"\u0041"}"#;
        let (repaired, repairs) = repair_body(body, true).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&repaired).unwrap();
        assert_eq!(value["a"], "x\u{FFFD}y");
        assert_eq!(value["b"], "\u{FFFD}");
        assert_eq!(value["pair"], "\u{1F600}", "a valid pair is kept");
        assert_eq!(
            value["esc"], "\\ud800",
            "an escaped backslash is not an escape"
        );
        assert_eq!(value["q"], "\"A");
        assert_eq!(repairs.lone_surrogates, 2);
        assert!(!repairs.invalid_utf8);

        let (repaired, repairs) = repair_body(b"<t>ceny \xC3\x28 Orlen</t>", false).unwrap();
        assert_eq!(repaired, "<t>ceny \u{FFFD}( Orlen</t>".as_bytes());
        assert!(repairs.invalid_utf8);
        // Nothing to repair: the caller keeps its original error.
        assert!(repair_body(br#"{"a": "\ud83d\ude00"}"#, true).is_none());
        assert!(repair_body(b"{\"a\": ", true).is_none());
    }

    #[test]
    fn mastodon_content_becomes_text() {
        let html = r#"<p>Znowu podwyżka na stacji Orlen &amp; kolejka.<br />6,89 za litr?</p><p><a href="https://pol.social/tags/orlen" class="mention hashtag" rel="tag">#<span>orlen</span></a> &#8220;serio&#x201D;</p>"#;
        assert_eq!(
            html_to_text(html),
            "Znowu podwyżka na stacji Orlen & kolejka.\n6,89 za litr?\n#orlen \u{201c}serio\u{201d}"
        );
    }

    /// Hostile text: a megabyte of `&` with no `;`. Before the `;` search was bounded this
    /// rescanned the rest of the text per `&` (~5·10^11 byte reads, minutes); now it is
    /// one pass. No timing is asserted (speed belongs in benchmarks): a regression shows
    /// as this test hanging.
    #[test]
    fn many_ampersands_decode_in_one_pass() {
        let text = "&a".repeat(500_000);
        assert_eq!(decode_entities(&text), text);
        let tail = format!("{text}&amp;");
        assert!(decode_entities(&tail).ends_with("&a&"));
        // A `;` beyond the longest entity does not make an entity.
        assert_eq!(
            decode_entities("&amp_is_not_closed;"),
            "&amp_is_not_closed;"
        );
        assert_eq!(decode_entities("&#x10FFFF;&lt;"), "\u{10FFFF}<");
    }

    /// A filter for one brand with these keywords.
    pub(crate) fn filter(keywords: &[&str]) -> BrandFilter {
        BrandFilter::new(&[Brand {
            name: "Brand".into(),
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            ..Brand::default()
        }])
        .unwrap()
    }

    #[test]
    fn brand_filter_matches_whole_words_ignoring_case_and_inflection() {
        let f = filter(&["Orlen", "Żabka", "stacja Orzeł"]);
        assert!(f.matches("Kolejka w ORLEN, znowu"));
        assert!(f.matches("(Żabka) nocny"));
        assert!(
            f.matches("znowu kolejka w Zabce"),
            "no diacritics, locative"
        );
        assert!(
            f.matches("na stacji Orzeł"),
            "inflected word inside a phrase"
        );
        assert!(f.matches("tankowałem na Orlenie"));
        assert!(!f.matches("orlenowski rachunek"));
        assert!(!f.matches("xorlen"));
    }

    #[test]
    fn brand_filter_config_errors_name_the_brand() {
        let err = brand_filter(&[Brand::default()]).unwrap_err().to_string();
        assert!(err.contains("brands"), "{err}");
    }

    #[test]
    fn stray_ampersands_and_brackets_survive() {
        assert_eq!(html_to_text("a & b < c"), "a & b < c");
        assert_eq!(decode_entities("&unknown; &#xZZ;"), "&unknown; &#xZZ;");
    }
}
