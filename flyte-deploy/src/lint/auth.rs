//! Auth rules: flyte-binary's `configuration.auth`, and flyte-core's flyteadmin config in
//! `configmap.adminServer` (`server.security.useAuth`, `auth`).

use flyte_config::NodeRef;

use super::{at, entry, is_true, text, Context};
use crate::{Chart, Rule, Severity};

/// flyte-core's `configmap.adminServer.auth.authorizedUris` default at v1.16.8: localhost and
/// in-cluster addresses only. Helm replaces lists, so these apply unless the file sets its own.
const CORE_DEFAULT_URIS: &[&str] = &[
    "https://localhost:30081",
    "http://flyteadmin:80",
    "http://flyteadmin.flyte.svc.cluster.local:80",
];

pub(super) fn check(cx: &mut Context, root: NodeRef<'_>) {
    match cx.chart {
        Chart::FlyteBinary => binary(cx, root),
        Chart::FlyteCore => core(cx, root),
    }
}

fn binary(cx: &mut Context, root: NodeRef<'_>) {
    if !is_true(root, "configuration.auth.enabled") {
        return;
    }
    let Some(auth) = at(root, "configuration.auth") else {
        return;
    };
    let Some(enabled) = at(auth, "enabled") else {
        return;
    };
    let mut missing: Vec<&str> = ["oidc.baseUrl", "oidc.clientId"]
        .into_iter()
        .filter(|k| text(auth, k).is_none())
        .collect();
    let uris = scalars(at(auth, "authorizedUris"));
    if uris.is_empty() {
        missing.push("authorizedUris");
    }
    if !missing.is_empty() {
        cx.push(
            Rule::AuthIncomplete,
            Severity::Error,
            "configuration.auth.enabled",
            enabled,
            format!(
                "auth is enabled but configuration.auth.{} is not set",
                missing.join(" and ")
            ),
        );
    }
    if !uris.is_empty() {
        ingress_host(
            cx,
            root,
            "ingress.host",
            &uris,
            "configuration.auth.authorizedUris",
        );
    }
}

fn core(cx: &mut Context, root: NodeRef<'_>) {
    const BASE: &str = "configmap.adminServer";
    let Some(use_auth) = at(root, &format!("{BASE}.server.security.useAuth"))
        .filter(|_| is_true(root, &format!("{BASE}.server.security.useAuth")))
    else {
        return;
    };
    let auth = at(root, &format!("{BASE}.auth"));
    let openid = ["userAuth.openId.baseUrl", "userAuth.openId.clientId"];
    let mut missing: Vec<&str> = openid
        .into_iter()
        .filter(|k| auth.and_then(|a| text(a, k)).is_none())
        .collect();
    let written = auth.and_then(|a| at(a, "authorizedUris"));
    let uris = match written {
        Some(list) => scalars(Some(list)),
        None => CORE_DEFAULT_URIS.to_vec(),
    };
    if uris.is_empty() {
        missing.push("authorizedUris");
    }
    if !missing.is_empty() {
        // Helm merges the chart's example IdP (https://accounts.google.com with the chart's
        // own client id) into any openId key the file leaves out.
        let example = if missing.iter().any(|m| m.starts_with("userAuth")) {
            "; the chart's example IdP (https://accounts.google.com and its example client id) \
             stays in force for what is left out"
        } else {
            ""
        };
        cx.push(
            Rule::AuthIncomplete,
            Severity::Error,
            &format!("{BASE}.server.security.useAuth"),
            use_auth,
            format!(
                "useAuth is true but {BASE}.auth.{} is not set{example}",
                missing.join(" and ")
            ),
        );
    }
    if !uris.is_empty() {
        let source = if written.is_some() {
            format!("{BASE}.auth.authorizedUris")
        } else {
            format!(
                "the chart's default {BASE}.auth.authorizedUris ({})",
                CORE_DEFAULT_URIS.join(", ")
            )
        };
        ingress_host(cx, root, "common.ingress.host", &uris, &source);
    }
}

/// The scalar items of a list node.
fn scalars(list: Option<NodeRef<'_>>) -> Vec<&str> {
    list.into_iter()
        .flat_map(NodeRef::items)
        .filter_map(NodeRef::as_scalar)
        .collect()
}

/// Reports the ingress host at `host_path` when no URI in `uris` has that host.
fn ingress_host(cx: &mut Context, root: NodeRef<'_>, host_path: &str, uris: &[&str], source: &str) {
    let Some(host) = text(root, host_path) else {
        return;
    };
    // Helm renders `{{ ... }}` hosts with tpl, so their value is unknown here.
    if host.contains("{{") || uris.iter().any(|u| uri_host(u) == host) {
        return;
    }
    if let Some((_, node)) = entry(root, host_path) {
        cx.push(
            Rule::AuthIngressHostNotAuthorized,
            Severity::Error,
            host_path,
            node,
            format!(
                "the ingress host {host} is not in {source}; flyteadmin accepts tokens only for \
                 the authorized URIs, so clients that come in through the ingress are refused"
            ),
        );
    }
}

/// The host of `https://host:port/path`, or the text itself when it has no scheme.
fn uri_host(uri: &str) -> &str {
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority.split(':').next().unwrap_or(authority)
}
