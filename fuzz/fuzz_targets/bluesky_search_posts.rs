#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    earshot_collectors::fuzzing::bluesky_search_posts(data);
});
