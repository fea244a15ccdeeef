//! Lists as the API server serves them: label and field selectors, in one namespace or across
//! all, in pages (`limit`, and the opaque `continue` token of the page before).
//!
//! A continue token says which list it continues (its resourceVersion) and the last object
//! served; the next page starts after that object in the mock's order (namespace, then name).
//! Unlike the API server, which serves every page from the first page's snapshot, the mock
//! reads its current objects: what changed between two pages shows in the later one. A token
//! from before [`MockKube::compact`](super::MockKube::compact) is answered 410 Gone, as the
//! API server answers one whose snapshot etcd compacted away; one that is not a token, 400.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hyper::{Body, Response, StatusCode};
use serde_json::{json, Value};

use super::{query_param, respond, status, Store, Target};

/// `a=b,c!=d,e` label selectors (equality, inequality and existence).
fn labels_match(obj: &Value, selector: &str) -> bool {
    let labels = &obj["metadata"]["labels"];
    selector.split(',').filter(|s| !s.is_empty()).all(|term| {
        if let Some((k, v)) = term.split_once("!=") {
            labels[k.trim()].as_str() != Some(v.trim())
        } else if let Some((k, v)) = term.split_once('=') {
            labels[k.trim().trim_end_matches('=')].as_str() == Some(v.trim())
        } else {
            !labels[term.trim()].is_null()
        }
    })
}

/// `a.b=c` field selectors on dotted paths.
fn fields_match(obj: &Value, selector: &str) -> bool {
    selector.split(',').filter(|s| !s.is_empty()).all(|term| {
        let Some((path, want)) = term.split_once('=') else {
            return true;
        };
        let mut at = obj;
        for p in path.trim_end_matches('=').split('.') {
            at = &at[p];
        }
        at.as_str() == Some(want)
    })
}

/// Where a page starts: after the object `after` (namespace, name) of the list at
/// resourceVersion `rv`.
struct Continue {
    rv: u64,
    after: (String, String),
}

impl Continue {
    /// The token, shaped as the API server's (`{"v": ..., "rv": ..., "start": ...}`, base64).
    fn encode(&self) -> String {
        let (ns, name) = &self.after;
        let start = format!("{ns}/{name}\u{0}");
        URL_SAFE_NO_PAD
            .encode(json!({"v": "meta.k8s.io/v1", "rv": self.rv, "start": start}).to_string())
    }

    fn decode(token: &str) -> Option<Continue> {
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        let v: Value = serde_json::from_slice(&bytes).ok()?;
        let start = v["start"].as_str()?.strip_suffix('\u{0}')?;
        let (ns, name) = start.split_once('/')?;
        Some(Continue {
            rv: v["rv"].as_u64()?,
            after: (ns.to_owned(), name.to_owned()),
        })
    }
}

/// A list request on `t` (a collection), its query parameters in `query`.
pub(super) fn list(store: &Store, t: &Target, query: &str, kind: &str) -> Response<Body> {
    let selector = query_param(query, "labelSelector").unwrap_or_default();
    let fields = query_param(query, "fieldSelector").unwrap_or_default();
    let limit = query_param(query, "limit")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n > 0);
    let (rv, after) = match query_param(query, "continue").filter(|c| !c.is_empty()) {
        None => (store.resource_version, None),
        Some(token) => match Continue::decode(&token) {
            None => {
                return status(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "continue key is not valid: not a continue token this server issued".to_owned(),
                )
            }
            Some(c) if c.rv < store.compacted => {
                return status(
                    StatusCode::GONE,
                    "Expired",
                    "The provided continue parameter is too old to display a consistent list \
                     result. You can start a new list without the continue parameter."
                        .to_owned(),
                )
            }
            Some(c) => (c.rv, Some(c.after)),
        },
    };
    let mut matching = store.objects.iter().filter(|((r, ns, name), v)| {
        *r == t.resource
            && (t.namespace.is_empty() || *ns == t.namespace)
            && after
                .as_ref()
                .is_none_or(|(a_ns, a_name)| (ns, name) > (a_ns, a_name))
            && labels_match(v, &selector)
            && fields_match(v, &fields)
    });
    let page: Vec<_> = matching
        .by_ref()
        .take(limit.unwrap_or(usize::MAX))
        .collect();
    let remaining = matching.count();
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if remaining > 0 {
        if let Some(((_, ns, name), _)) = page.last() {
            let token = Continue {
                rv,
                after: (ns.clone(), name.clone()),
            };
            metadata["continue"] = Value::String(token.encode());
            // As the API server: a count only when no selector makes it unknowable.
            if selector.is_empty() && fields.is_empty() {
                metadata["remainingItemCount"] = json!(remaining);
            }
        }
    }
    let items: Vec<&Value> = page.into_iter().map(|(_, v)| v).collect();
    respond(
        StatusCode::OK,
        &json!({"kind": format!("{kind}List"), "apiVersion": t.api_version, "metadata": metadata, "items": items}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MockKube;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    async fn mock(namespaces: usize) -> std::io::Result<MockKube> {
        let kube = MockKube::start().await?;
        for i in 0..namespaces {
            kube.insert(json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": format!("ns{i}"), "labels": {"even": (i % 2 == 0).to_string()}}}));
        }
        Ok(kube)
    }

    async fn get(
        kube: &MockKube,
        query: &[(&str, &str)],
    ) -> Result<(StatusCode, Value), Box<dyn std::error::Error>> {
        let target = Target {
            api_version: "v1".to_owned(),
            resource: "namespaces".to_owned(),
            namespace: String::new(),
            name: None,
            sub: None,
        };
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        let response = list(&kube.store(), &target, &query, "Namespace");
        let code = response.status();
        let body = hyper::body::to_bytes(response.into_body()).await?;
        Ok((code, serde_json::from_slice(&body)?))
    }

    fn names(list: &Value) -> Vec<String> {
        list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["metadata"]["name"].as_str().map(str::to_owned))
            .collect()
    }

    #[tokio::test]
    async fn pages_continue_where_the_last_ended_and_count_what_remains() -> TestResult {
        let kube = mock(5).await?;
        let (code, first) = get(&kube, &[("limit", "2")]).await?;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(names(&first), ["ns0", "ns1"]);
        assert_eq!(first["metadata"]["remainingItemCount"], 3);
        let token = first["metadata"]["continue"].as_str().ok_or("no token")?;
        let (_, second) = get(&kube, &[("limit", "2"), ("continue", token)]).await?;
        assert_eq!(names(&second), ["ns2", "ns3"]);
        assert_eq!(
            second["metadata"]["resourceVersion"],
            first["metadata"]["resourceVersion"]
        );
        let token = second["metadata"]["continue"].as_str().ok_or("no token")?;
        let (_, last) = get(&kube, &[("limit", "2"), ("continue", token)]).await?;
        assert_eq!(names(&last), ["ns4"]);
        assert!(last["metadata"].get("continue").is_none(), "{last}");
        assert!(
            last["metadata"].get("remainingItemCount").is_none(),
            "{last}"
        );

        let (_, all) = get(&kube, &[]).await?;
        assert_eq!(names(&all).len(), 5);
        assert!(all["metadata"].get("continue").is_none(), "{all}");
        Ok(())
    }

    #[tokio::test]
    async fn with_a_selector_the_remaining_count_is_not_given() -> TestResult {
        let kube = mock(5).await?;
        let (_, first) = get(&kube, &[("labelSelector", "even=true"), ("limit", "2")]).await?;
        assert_eq!(names(&first), ["ns0", "ns2"]);
        assert!(first["metadata"]["continue"].is_string(), "{first}");
        assert!(
            first["metadata"].get("remainingItemCount").is_none(),
            "{first}"
        );
        let token = first["metadata"]["continue"].as_str().ok_or("no token")?;
        let (_, rest) = get(
            &kube,
            &[
                ("labelSelector", "even=true"),
                ("limit", "2"),
                ("continue", token),
            ],
        )
        .await?;
        assert_eq!(names(&rest), ["ns4"]);
        Ok(())
    }

    #[tokio::test]
    async fn a_token_from_before_compaction_is_gone_and_a_made_up_one_is_refused() -> TestResult {
        let kube = mock(3).await?;
        let (_, first) = get(&kube, &[("limit", "1")]).await?;
        let token = first["metadata"]["continue"]
            .as_str()
            .ok_or("no token")?
            .to_owned();
        kube.compact();
        let (code, gone) = get(&kube, &[("limit", "1"), ("continue", &token)]).await?;
        assert_eq!(code, StatusCode::GONE);
        assert_eq!(
            (gone["reason"].as_str(), gone["code"].as_u64()),
            (Some("Expired"), Some(410))
        );

        // A list started after the compaction continues as usual.
        let (_, again) = get(&kube, &[("limit", "1")]).await?;
        let token = again["metadata"]["continue"].as_str().ok_or("no token")?;
        let (code, next) = get(&kube, &[("limit", "1"), ("continue", token)]).await?;
        assert_eq!(
            (code, names(&next)),
            (StatusCode::OK, vec!["ns1".to_owned()])
        );

        let (code, bad) = get(&kube, &[("continue", "not-a-token")]).await?;
        assert_eq!(code, StatusCode::BAD_REQUEST);
        assert_eq!(bad["reason"], "BadRequest");
        Ok(())
    }
}
