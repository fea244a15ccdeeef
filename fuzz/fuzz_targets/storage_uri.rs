//! Any text as a storage URI: errors are fine; a URI that parses but would send a request to a
//! host other than the configured store's (or does not parse back to itself) is a bug, and so
//! is a panic. Run with `cargo +nightly fuzz run storage_uri -- -dict=dicts/storage_uri.dict`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = flyte_storage::fuzzing::storage_uri(text);
    }
});
