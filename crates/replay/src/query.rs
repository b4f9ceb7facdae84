//! The full-text matching the search routes share: a quoted phrase matches as a whole,
//! anything else matches when every word is present; always whole words, ignoring case.

/// Whether `text` (lower-cased) holds `phrase` as whole words.
fn contains_words(text: &str, phrase: &str) -> bool {
    !phrase.is_empty()
        && text.match_indices(phrase).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + phrase.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
}

/// Whether `text` matches `query` (`"a b"` the phrase, `a b` both words).
pub(crate) fn matches(text: &str, query: &str) -> bool {
    let text = text.to_lowercase();
    let query = query.trim().to_lowercase();
    match query.strip_prefix('"').and_then(|q| q.strip_suffix('"')) {
        Some(phrase) => contains_words(&text, phrase.trim()),
        None => {
            let mut words = query.split_whitespace().peekable();
            words.peek().is_some() && words.all(|w| contains_words(&text, w))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_and_phrases() {
        assert!(matches("Stacja Orlen, kawa", "orlen"));
        assert!(matches("Stacja Orlen, kawa", "kawa orlen"));
        assert!(matches("Stacja Orlen, kawa", "\"stacja orlen\""));
        assert!(!matches("Stacja Orlen, kawa", "\"kawa orlen\""));
        assert!(!matches("Orlenie", "orlen"));
        assert!(!matches("anything", "  "));
    }
}
