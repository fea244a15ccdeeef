//! Any bytes as a request to the PKCE login's local callback server (any local page or program
//! can send one). Run with `cargo +nightly fuzz run callback_request` from this directory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = flyte_auth::fuzzing::callback_request(data, "state-of-this-login");
});
