//! What whatlang should not see. Social text is full of tokens that carry no language
//! but skew trigram statistics: URLs and @handles (mostly ASCII, read as English),
//! emoji, digits, and "soooo" elongations. We drop them, keep hashtag words (they are
//! usually real words), lowercase, and stop after a bounded number of letters: the
//! first couple of hundred characters decide a language as well as the whole post.

use super::script::{Script, ScriptCounts};

/// Writes the detectable part of `text` into `out` and counts its letters per script.
pub(crate) fn clean_into(
    text: &str,
    max_chars: usize,
    out: &mut String,
    scripts: &mut ScriptCounts,
) {
    out.clear();
    *scripts = ScriptCounts::default();
    let mut kept = 0usize;
    for token in text.split_whitespace() {
        if kept >= max_chars {
            break;
        }
        if is_noise_token(token) {
            continue;
        }
        let token = token.strip_prefix('#').unwrap_or(token);
        let start_len = out.len();
        if !out.is_empty() {
            out.push(' ');
        }
        let (mut prev, mut run) = ('\0', 0u32);
        let mut pending_space = false;
        for c in token.chars() {
            let script = Script::of(c);
            let letter = match script {
                _ if c.is_ascii() => c.is_ascii_alphabetic(),
                Script::Other => c.is_alphabetic(),
                _ => true, // the script ranges hold letters (and a few marks we keep)
            };
            if letter || (c == '\'' && prev != '\0' && prev != ' ') {
                if c == prev {
                    run += 1;
                    if run == 3 {
                        out.pop(); // "sooo" → "so", "jsemmmm" → "jsem"; "good" stays
                    }
                    if run >= 3 {
                        continue;
                    }
                } else {
                    run = 1;
                }
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                if c.is_ascii() {
                    out.push(c.to_ascii_lowercase());
                } else {
                    out.extend(c.to_lowercase());
                }
                if c != '\'' {
                    scripts.add(script);
                }
                kept += 1;
                prev = c;
            } else if prev != '\0' {
                // Digits, punctuation and emoji separate words but are not kept.
                pending_space = true;
                prev = ' ';
                run = 0;
            }
        }
        if out.len() == start_len + usize::from(start_len > 0) {
            out.truncate(start_len); // token had no letters
        }
    }
}

/// URLs, bare domains, @handles and e-mail addresses.
fn is_noise_token(token: &str) -> bool {
    let t = token.trim_start_matches(|c: char| !c.is_alphanumeric() && c != '@' && c != '#');
    if t.starts_with('@')
        || t.contains("://")
        || t.get(..4).is_some_and(|w| w.eq_ignore_ascii_case("www."))
    {
        return true;
    }
    // user@host, host.tld/path, host.tld
    if t.contains('@') {
        return true;
    }
    looks_like_domain(t.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '/'))
}

fn looks_like_domain(t: &str) -> bool {
    let host = t.split('/').next().unwrap_or(t);
    let Some((name, tld)) = host.rsplit_once('.') else {
        return false;
    };
    !name.is_empty()
        && (2..=6).contains(&tld.len())
        && tld.bytes().all(|b| b.is_ascii_alphabetic())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && (t.contains('/') || KNOWN_TLDS.iter().any(|k| k.eq_ignore_ascii_case(tld)))
        && !(tld.bytes().any(|b| b.is_ascii_uppercase())
            && name.bytes().any(|b| b.is_ascii_lowercase()))
}

/// Lowercase-only TLDs common in posts; "koniec.Nowy" (a missing space) is not a domain.
const KNOWN_TLDS: &[&str] = &[
    "com", "pl", "org", "net", "io", "de", "uk", "eu", "fr", "it", "es", "cz", "sk", "ua", "ru",
    "info", "app", "dev", "co", "tv", "news", "social", "me", "ly", "gl", "gov", "edu",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(text: &str) -> (String, ScriptCounts) {
        let mut out = String::new();
        let mut scripts = ScriptCounts::default();
        clean_into(text, 1000, &mut out, &mut scripts);
        (out, scripts)
    }

    #[test]
    fn drops_urls_handles_and_emoji_keeps_hashtag_words() {
        let (out, _) = clean(
            "@ala@mastodon.social Sooooo gooood 😍😍 https://orlen.pl/x #Tankowanie orlen.pl!",
        );
        assert_eq!(
            out, "so god tankowanie",
            "runs of three or more collapse to one"
        );
    }

    #[test]
    fn splits_on_digits_and_punctuation() {
        let (out, counts) = clean("Cena:6,49zł/l... drożej!!!");
        assert_eq!(out, "cena zł l drożej");
        assert_eq!(counts.letters, 13);
    }

    #[test]
    fn keeps_inner_apostrophes() {
        assert_eq!(clean("I'm fine, it's ok").0, "i'm fine it's ok");
    }

    #[test]
    fn counts_scripts() {
        let (_, counts) = clean("Привіт hello");
        assert_eq!(counts.get(Script::Cyrillic), 6);
        assert_eq!(counts.get(Script::Latin), 5);
    }

    #[test]
    fn stops_after_the_bound() {
        let mut out = String::new();
        let mut scripts = ScriptCounts::default();
        clean_into(&"słowo ".repeat(1000), 50, &mut out, &mut scripts);
        assert!(out.chars().count() < 70, "{}", out.len());
    }

    #[test]
    fn shouted_urls_are_urls() {
        assert_eq!(
            clean("ZOBACZ WWW.ORLEN.PL/PROMO HTTPS://X.PL ORLEN.PL").0,
            "zobacz"
        );
    }

    #[test]
    fn a_missing_space_is_not_a_domain() {
        assert_eq!(clean("koniec.Nowy").0, "koniec nowy");
    }
}
