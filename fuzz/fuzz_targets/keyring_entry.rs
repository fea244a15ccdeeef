//! Any text as an OS keyring entry (flytectl's JSON of Go's `oauth2.Token`), decoded, encoded and
//! decoded again. Run with `cargo +nightly fuzz run keyring_entry` from this directory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = flyte_auth::fuzzing::keyring_entry(text);
});
