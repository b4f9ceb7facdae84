#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mention) = earshot_model::RawMention::decode(data) {
        // What decodes must encode and decode again to the same record.
        let again = earshot_model::RawMention::decode(&mention.encode());
        assert!(again.is_ok_and(|m| m.id == mention.id), "round trip failed");
    }
});
