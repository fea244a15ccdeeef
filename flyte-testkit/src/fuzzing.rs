//! Entry points for the fuzz targets in the repository's `fuzz/` directory.
//!
//! **Not part of the API**: hidden from the docs, exempt from semantic versioning, and free to
//! change or go in any release. They exist because the parsers they reach are private, and a
//! fuzz target is a separate crate. Each function must return for any input; a panic is a bug.

/// Runs `text` through the list requests' parsers: as `filters` (then matched against rows), as
/// a page token, a sort key, an RFC 3339 timestamp and a duration. Returns how many filters
/// parsed (0 when refused).
pub fn list_filters(text: &str) -> usize {
    crate::lists::fuzz_filters(text)
}

/// Sends one request to a fresh [`MockKube`](crate::MockKube) store (the namespace `ns` and the
/// secret `ns/s` in it), skipping only the socket: `method` (an invalid one is `PATCH`), `path`
/// (`/api/v1/namespaces/ns/secrets/s`), the query, the `Content-Type` and the body. Returns the
/// answer's HTTP status code.
pub fn kube_request(method: &str, path: &str, query: &str, content_type: &str, body: &[u8]) -> u16 {
    crate::k8s::fuzz_request(method, path, query, content_type, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the fuzzers found and what they are seeded with, run by every `cargo test` (CI has
    /// no nightly toolchain to fuzz with): every input must return.
    const NASTY_TEXT: &[&str] = &[
        "",
        "+",
        "++++",
        "(",
        ")",
        "eq(",
        "eq()",
        "eq(,)",
        "eq(name,)",
        "eq(name, )",
        "eq(name,a)+",
        "eq(name,a))",
        "eq((name,a)",
        "eq(name,a,b,c)",
        "value_in(name,;;;)",
        "value_in(phase,RUNNING;;9223372036854775808;-1)",
        "eq(phase,99999999999999999999999999)",
        "eq(count,-9223372036854775808)",
        "gt(count,9223372036854775808)",
        "eq(duration,1e308)",
        "eq(duration,-1e309)",
        "eq(duration,NaN)",
        "eq(duration,inf)",
        "gt(duration,9999999999h)",
        "gt(duration,1h1h1h1h)",
        "gt(duration,.)",
        "gt(duration,-)",
        "gt(duration,µ)",
        "gt(duration,1µ)",
        "gt(duration,1é)",
        "gt(duration,1.5.5s)",
        "gt(duration,0)",
        "lt(created_at,2024-01-01T00:00:00Z)",
        "lt(created_at,2024-01-01T00:00:00)",
        "lt(created_at,2024-01-01T)",
        "lt(created_at,9999999999-01-01T00:00:00Z)",
        "lt(created_at,2024-01-01T00:00:00.99999999999999999999999+99:99)",
        "lt(created_at,2024-01-01Tééééééééé)",
        "lt(created_at,éééééééééé)",
        "lt(created_at,2024-02-30T25:61:61Z)",
        "lt(created_at,-2024-01-01T00:00:00Z)",
        "lt(created_at,+999999-01-01T00:00:00Z)",
        "eq(launch_plan.name,x)",
        "eq(launch_plan.,x)",
        "eq(.name,x)",
        "eq(task.name,x)",
        "eq(a.b.c,x)",
        "contains(name,ü)",
        "ü(ü,ü)",
        "eq(名前,値)",
        "eq(name,\u{0})",
        "eq(name,\u{feff})",
        "eq(name,\n)",
        "🦀🦀🦀(🦀,🦀)",
        "-1",
        "+5",
        "18446744073709551616",
        "9223372036854775807",
        "2024-01-01T00:00:00Z",
        "1970-01-01T00:00:00.é",
        "1970-10-00T05:00:00+Z",
        "lt(created_at,1970-10-00T05:00:00+Z)",
        "1h30m",
        "-.5µs",
    ];

    #[test]
    fn list_filters_return_for_nasty_inputs() {
        for text in NASTY_TEXT {
            let _ = list_filters(text);
        }
        assert_eq!(list_filters("eq(phase,RUNNING)+gt(duration,1m)"), 2);
        assert_eq!(list_filters("eq(phase"), 0);
        let long = format!("eq(name,{})", "é".repeat(100_000));
        assert_eq!(list_filters(&long), 1);
    }

    const SECRET: &str = "/api/v1/namespaces/ns/secrets/s";

    #[test]
    fn kube_requests_return_for_nasty_bodies() {
        let json_patch = "application/json-patch+json";
        let merge = "application/merge-patch+json";
        let apply = "application/apply-patch+yaml";
        let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
        let deep_object = format!("{}1{}", "{\"a\":".repeat(127), "}".repeat(127));
        let huge_number = format!("{{\"a\": 1{}}}", "0".repeat(5000));
        let cases: &[(&str, &str, &str, &[u8], u16)] = &[
            ("PATCH", SECRET, json_patch, b"", 400),
            ("PATCH", SECRET, json_patch, b"\xff\xfe", 400),
            ("PATCH", SECRET, json_patch, b"[]", 200),
            ("PATCH", SECRET, json_patch, b"[{}]", 422),
            ("PATCH", SECRET, json_patch, b"[{\"op\":\"remove\",\"path\":\"\"}]", 422),
            ("PATCH", SECRET, json_patch, b"[{\"op\":\"replace\",\"path\":\"\",\"value\":null}]", 422),
            ("PATCH", SECRET, json_patch, b"[{\"op\":\"add\",\"path\":\"/metadata\",\"value\":7}]", 200),
            ("PATCH", SECRET, json_patch, b"[{\"op\":\"add\",\"path\":\"/metadata/finalizers/18446744073709551616\",\"value\":1}]", 422),
            ("PATCH", SECRET, json_patch, b"[{\"op\":\"add\",\"path\":\"/metadata/finalizers/-1\",\"value\":1}]", 422),
            ("PATCH", SECRET, json_patch, b"[{\"op\":\"move\",\"from\":\"/metadata/labels\",\"path\":\"/metadata/labels/x\"}]", 422),
            ("PATCH", SECRET, json_patch, deep.as_bytes(), 400),
            ("PATCH", SECRET, merge, b"null", 400),
            ("PATCH", SECRET, merge, b"{\"metadata\": null}", 200),
            ("PATCH", SECRET, merge, b"{\"metadata\": [1]}", 200),
            ("PATCH", SECRET, merge, deep_object.as_bytes(), 200),
            ("PATCH", SECRET, merge, huge_number.as_bytes(), 400),
            ("PATCH", SECRET, "text/plain", b"{}", 415),
            ("PATCH", SECRET, "", b"{}", 415),
            ("PATCH", SECRET, apply, b"a: b", 400),
            ("PATCH", SECRET, apply, b"[]", 400),
            ("PATCH", "/api/v1/namespaces/ns/secrets/new", apply, b"{\"metadata\": {\"managedFields\": 5}}", 201),
            ("PATCH", SECRET, apply, b"{\"metadata\": {\"managedFields\": [{\"fieldsV1\": [1]}]}}", 200),
            ("POST", "/api/v1/namespaces/ns/secrets", "", b"[1]", 400),
            ("POST", "/api/v1/namespaces/ns/secrets", "", b"{\"metadata\": 5}", 201),
            ("POST", "/api/v1/namespaces/ns/secrets", "", b"{\"metadata\": {\"name\": 5}}", 201),
            ("PUT", SECRET, "", b"\"s\"", 400),
            ("PUT", SECRET, "", b"{}", 200),
            ("DELETE", SECRET, "", b"\xff", 200),
            ("GET", "/api/v1/namespaces/ns/pods/p/log", "", b"", 404),
            ("GET", "/api/v1/namespaces/ns/secrets", "", b"", 200),
            ("GET", "//////", "", b"", 404),
            ("GET", "/apis/ü/ü/namespaces/ü/ü/ü/ü", "", b"", 404),
        ];
        for (method, path, content_type, body, code) in cases {
            let got = kube_request(method, path, "fieldManager=fuzz", content_type, body);
            let shown = String::from_utf8_lossy(&body[..body.len().min(80)]);
            assert_eq!(got, *code, "{method} {path} {content_type} {shown}");
        }
        for query in [
            "limit=-1",
            "limit=99999999999999999999999",
            "continue=%FF%FE",
            "continue=eyJ2IjoxfQ",
            "labelSelector=%00,!=,==,=",
            "fieldSelector=a.b.c.d=,=x,...=",
            "tailLines=18446744073709551616",
        ] {
            let got = kube_request("GET", "/api/v1/namespaces/ns/secrets", query, "", b"");
            assert!(got == 200 || got == 400, "{query}: {got}");
        }
    }
}
