//! Which consumed records become mentions and which dead letters, and how large a
//! dead letter may grow (it must fit the broker whatever the record held).

use earshot_model::{MAX_RAW_MENTION_BYTES, RawMention};

use crate::batch::DeadLetter;

/// The whole dead-letter record (payload, key and headers) stays below this, under the
/// broker's default `message.max.bytes` (1,048,588), so a dead letter is never refused
/// for its size, which would stall the batch behind it.
pub const DEAD_LETTER_MAX_BYTES: usize = 1_000_000;

/// The `earshot.error` header keeps this much of the error text: a decode error can
/// quote the offending value in full (serde names the string it could not use).
pub const DEAD_LETTER_ERROR_MAX_BYTES: usize = 1024;

/// At most this much of the original key is kept; a hostile producer's key can be
/// megabytes long.
pub const DEAD_LETTER_KEY_MAX_BYTES: usize = 1024;

/// Room for the headers besides the error (names, source topic, partition, offset) and
/// the record's framing.
const HEADER_ROOM: usize = 4096;

/// Why a record is not stored.
#[derive(Debug)]
pub struct Rejection {
    pub reason: &'static str,
    pub error: String,
}

/// Decodes a record of `mentions.raw` and checks its key is the mention's id: the
/// collectors key by id so every copy of a mention lands on one partition, where the
/// processor drops repeats. A record keyed otherwise (or not at all) could have a copy
/// on another partition and be stored twice, so it is refused (`key_mismatch`).
pub fn admit(key: Option<&[u8]>, payload: &[u8]) -> Result<RawMention, Rejection> {
    let mention = RawMention::decode(payload).map_err(|error| Rejection {
        reason: error.reason(),
        error: error.to_string(),
    })?;
    if key != Some(mention.id.as_str().as_bytes()) {
        let shown = key.map_or_else(
            || "no key".to_string(),
            |key| format!("key `{}`", String::from_utf8_lossy(key)),
        );
        return Err(Rejection {
            reason: "key_mismatch",
            error: format!("{shown} is not the mention id `{}`", mention.id.as_str()),
        });
    }
    Ok(mention)
}

/// A dead letter for a refused record, cut to fit [`DEAD_LETTER_MAX_BYTES`]: the error
/// text, the key and the payload are truncated (the payload keeps its start, enough
/// to see what it was).
pub fn dead_letter(
    partition: i32,
    offset: i64,
    key: Option<Vec<u8>>,
    payload: &[u8],
    rejection: Rejection,
) -> DeadLetter {
    let key = key.map(|mut key| {
        key.truncate(DEAD_LETTER_KEY_MAX_BYTES);
        key
    });
    let error = truncate_text(rejection.error, DEAD_LETTER_ERROR_MAX_BYTES);
    let room = DEAD_LETTER_MAX_BYTES
        - HEADER_ROOM
        - DEAD_LETTER_ERROR_MAX_BYTES
        - DEAD_LETTER_KEY_MAX_BYTES;
    let kept = payload.len().min(room).min(MAX_RAW_MENTION_BYTES);
    DeadLetter {
        partition,
        offset,
        key,
        payload: payload[..kept].to_vec(),
        reason: rejection.reason,
        error,
    }
}

/// `text` cut to at most `max` bytes on a character boundary, saying how much was cut.
pub fn truncate_text(mut text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let note_room = 40;
    let end = text.floor_char_boundary(max - note_room);
    let cut = text.len() - end;
    text.truncate(end);
    text.push_str(&format!("… ({cut} bytes cut)"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use earshot_model::{Author, MentionId, Platform, SCHEMA_VERSION};

    fn mention() -> RawMention {
        RawMention {
            schema_version: SCHEMA_VERSION,
            id: MentionId::new(Platform::Bluesky, "3k1"),
            platform: Platform::Bluesky,
            platform_id: "3k1".into(),
            url: String::new(),
            text: "Orlen".into(),
            created_at: "2026-03-12T08:00:00Z".parse().unwrap(),
            collected_at: "2026-03-12T08:00:00Z".parse().unwrap(),
            author: Author::default(),
            engagement: Default::default(),
            language_hint: None,
            origin: Default::default(),
            source: String::new(),
            raw: serde_json::json!({}).into(),
        }
    }

    #[test]
    fn a_record_keyed_by_its_mention_id_is_admitted() {
        let m = mention();
        let admitted = admit(Some(m.id.as_str().as_bytes()), &m.encode()).unwrap();
        assert_eq!(admitted.id, m.id);
    }

    #[test]
    fn a_record_keyed_otherwise_or_unkeyed_is_a_key_mismatch() {
        let m = mention();
        for key in [Some(&b"bluesky:other"[..]), Some(&b""[..]), None] {
            let rejection = admit(key, &m.encode()).unwrap_err();
            assert_eq!(rejection.reason, "key_mismatch", "{key:?}");
            assert!(
                rejection.error.contains("bluesky:3k1"),
                "{}",
                rejection.error
            );
        }
        // A record that does not decode keeps its decode reason, whatever its key.
        assert_eq!(admit(None, b"{").unwrap_err().reason, "malformed");
    }

    #[test]
    fn a_dead_letter_fits_the_broker_whatever_the_record_held() {
        // A decode error that quotes an 800 kB value, a 5 MiB key and a 5 MiB payload.
        let mut record: serde_json::Value = serde_json::from_slice(&mention().encode()).unwrap();
        record["platform"] = "ą".repeat(400_000).into();
        let quoting = serde_json::to_vec(&record).unwrap();
        let rejection = admit(Some(b"k"), &quoting).unwrap_err();
        assert!(rejection.error.len() > 800_000, "serde quotes the value");
        let mut payload = quoting.clone();
        payload.resize(5 << 20, b' ');
        let letter = dead_letter(3, 9, Some(vec![b'k'; 5 << 20]), &payload, rejection);
        assert!(
            letter.error.len() <= DEAD_LETTER_ERROR_MAX_BYTES,
            "{}",
            letter.error.len()
        );
        assert!(letter.error.ends_with("bytes cut)"), "the cut is said");
        assert!(letter.key.as_ref().unwrap().len() <= DEAD_LETTER_KEY_MAX_BYTES);
        let headers_and_key = 4096 + letter.error.len() + letter.key.as_ref().unwrap().len();
        assert!(letter.payload.len() + headers_and_key <= DEAD_LETTER_MAX_BYTES);
        assert!(
            letter.payload.starts_with(&quoting[..100]),
            "the payload keeps its start"
        );
    }

    #[test]
    fn text_is_cut_on_a_character_boundary() {
        let cut = truncate_text("ż".repeat(1000), 101);
        assert!(cut.len() <= 101);
        assert!(cut.starts_with("żż"));
        assert_eq!(truncate_text("short".into(), 101), "short");
    }
}
