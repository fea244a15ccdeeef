//! Any bytes as a serialized `LiteralMap` or `Literal` with offloaded literals, resolved from an
//! in-memory store holding the input itself: errors are fine, panics and hangs are bugs. Run
//! with `cargo +nightly fuzz run offloaded_literal`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = flyte_storage::fuzzing::offloaded_literal(data);
});
