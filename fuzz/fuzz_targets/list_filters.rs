//! Any text through the test kit's list request parsers (filters, page tokens, sort keys,
//! timestamps, durations): an INVALID_ARGUMENT is fine, a panic or a hang is a bug.
//! Run with `cargo +nightly fuzz run list_filters` from this directory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // gRPC strings are UTF-8; invalid bytes are read as a client's lossy conversion would send them.
    let text = String::from_utf8_lossy(data);
    let _ = flyte_testkit::fuzzing::list_filters(&text);
});
