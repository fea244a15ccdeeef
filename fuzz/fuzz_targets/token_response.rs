//! Any bytes as a token endpoint's successful answer, read as every flyte-auth flow reads it
//! (leniency, then the oauth2 crate's parser): "not a token" is fine, a panic is a bug.
//! Run with `cargo +nightly fuzz run token_response` from this directory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first eight bytes pick the moment it was received, so huge lifetimes meet every clock.
    let (clock, body) = data.split_at(data.len().min(8));
    let mut now = [0u8; 8];
    now[..clock.len()].copy_from_slice(clock);
    let _ = flyte_auth::fuzzing::token_response(body, u64::from_le_bytes(now));
});
