//! Any bytes as a package archive (gzipped or plain tar): errors are fine, panics and hangs are
//! bugs. Run with `cargo +nightly fuzz run package_reader` from this directory; seed the corpus
//! with `flyte-admin-client/tests/fixtures/pyflyte/*.tgz`.
#![no_main]

use flyte_admin_client::register::Package;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(package) = Package::from_archive_bytes("fuzz.tgz", data) {
        for entry in &package.entries {
            let _ = entry.entity.id();
            let _ = entry.entity.encode();
        }
    }
});
