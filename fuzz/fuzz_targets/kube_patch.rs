//! Any body, content type and verb through MockKube's write paths (JSON patch, merge patch,
//! server-side apply, create, replace): a 4xx `Status` is fine, a panic or a hang is a bug.
//! Run with `cargo +nightly fuzz run kube_patch` from this directory.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// The first byte picks the request; the rest is the body.
const REQUESTS: &[(&str, &str, &str)] = &[
    (
        "PATCH",
        "/api/v1/namespaces/ns/secrets/s",
        "application/json-patch+json",
    ),
    (
        "PATCH",
        "/api/v1/namespaces/ns/secrets/s",
        "application/merge-patch+json",
    ),
    (
        "PATCH",
        "/api/v1/namespaces/ns/secrets/s",
        "application/strategic-merge-patch+json",
    ),
    (
        "PATCH",
        "/api/v1/namespaces/ns/secrets/s",
        "application/apply-patch+yaml",
    ),
    (
        "PATCH",
        "/api/v1/namespaces/ns/secrets/new",
        "application/apply-patch+yaml",
    ),
    ("PATCH", "/api/v1/namespaces/ns/secrets/s", "text/plain"),
    ("POST", "/api/v1/namespaces/ns/secrets", "application/json"),
    ("PUT", "/api/v1/namespaces/ns/secrets/s", "application/json"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let (method, path, content_type) = REQUESTS[usize::from(pick) % REQUESTS.len()];
    let force = if pick >= 128 { "&force=true" } else { "" };
    let query = format!("fieldManager=fuzz{force}");
    let code = flyte_testkit::fuzzing::kube_request(method, path, &query, content_type, body);
    assert!(
        (200..500).contains(&code),
        "{code}: a 5xx is the mock's fault"
    );
});
