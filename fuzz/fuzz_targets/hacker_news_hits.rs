#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    earshot_collectors::fuzzing::hacker_news_hits(data);
});
