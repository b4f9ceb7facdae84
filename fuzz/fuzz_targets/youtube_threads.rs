#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    earshot_collectors::fuzzing::youtube_threads(data);
});
