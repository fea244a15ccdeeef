//! Any text as a JWT whose `exp` claim flyte-auth reads (unverified) for a token's expiry.
//! Run with `cargo +nightly fuzz run jwt_exp` from this directory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let token = String::from_utf8_lossy(data);
    let _ = flyte_auth::fuzzing::jwt_exp(&token);
});
