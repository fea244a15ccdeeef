//! Auth rules on flyte-binary's `configuration.auth` (flyte-core keeps auth in
//! `configmap.adminServer`, which is not checked yet).

use flyte_config::NodeRef;

use super::{at, entry, is_true, text, Context};
use crate::{Chart, Rule, Severity};

pub(super) fn check(cx: &mut Context, root: NodeRef<'_>) {
    if cx.chart != Chart::FlyteBinary || !is_true(root, "configuration.auth.enabled") {
        return;
    }
    let Some(auth) = at(root, "configuration.auth") else {
        return;
    };
    let Some(enabled) = at(auth, "enabled") else {
        return;
    };
    let missing: Vec<&str> = ["oidc.baseUrl", "oidc.clientId"]
        .into_iter()
        .filter(|k| text(auth, k).is_none())
        .collect();
    let uris: Vec<&str> = at(auth, "authorizedUris")
        .into_iter()
        .flat_map(NodeRef::items)
        .filter_map(NodeRef::as_scalar)
        .collect();
    let mut missing = missing.join(" and ");
    if uris.is_empty() {
        if !missing.is_empty() {
            missing.push_str(" and ");
        }
        missing.push_str("authorizedUris");
    }
    if !missing.is_empty() {
        cx.push(
            Rule::AuthIncomplete,
            Severity::Error,
            "configuration.auth.enabled",
            enabled,
            format!("auth is enabled but configuration.auth.{missing} is not set"),
        );
    }
    let Some(host) = text(root, "ingress.host") else {
        return;
    };
    if !uris.is_empty() && !uris.iter().any(|u| uri_host(u) == host) {
        if let Some((_, node)) = entry(root, "ingress.host") {
            cx.push(
                Rule::AuthIngressHostNotAuthorized,
                Severity::Error,
                "ingress.host",
                node,
                format!(
                    "the ingress host {host} is not in configuration.auth.authorizedUris; \
                     flyteadmin accepts tokens only for the authorized URIs, so clients that \
                     come in through the ingress are refused"
                ),
            );
        }
    }
}

/// The host of `https://host:port/path`, or the text itself when it has no scheme.
fn uri_host(uri: &str) -> &str {
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority.split(':').next().unwrap_or(authority)
}
