//! Discovery: what FlyteAdmin says about its authorization server and its public client.

use flyteidl::flyteidl::service::auth_metadata_service_client::AuthMetadataServiceClient;
use flyteidl::flyteidl::service::{OAuth2MetadataRequest, PublicClientAuthConfigRequest};
use std::time::Duration;

use flyte_config::Secret;
use tonic::transport::Channel;

use crate::error::{Error, Kind, Result};

const FLOW: &str = "discovery";

/// The authorization server and public client FlyteAdmin advertises.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthMetadata {
    /// The issuer.
    pub issuer: String,
    /// Where codes are requested (PKCE).
    pub authorization_endpoint: String,
    /// Where tokens are requested.
    pub token_endpoint: String,
    /// Where device codes are requested, when the server has one.
    pub device_authorization_endpoint: String,
    /// The public client PKCE and device flow use.
    pub client_id: String,
    /// The redirect URI registered for the public client.
    pub redirect_uri: String,
    /// Scopes for public clients.
    pub scopes: Vec<String>,
    /// The gRPC metadata key FlyteAdmin reads the token from.
    pub authorization_metadata_key: String,
    /// The audience FlyteAdmin expects, when it names one.
    pub audience: String,
}

/// Where to ask: FlyteAdmin's gRPC channel, its HTTP base URL, or both (gRPC first).
#[derive(Debug, Clone, Default)]
pub(crate) struct Source {
    pub(crate) grpc: Option<Channel>,
    pub(crate) http_base: Option<String>,
}

fn unimplemented_means_disabled(s: &tonic::Status) -> bool {
    s.code() == tonic::Code::Unimplemented
}

/// `Ok(None)` when the server has auth turned off. `proxy` goes with both calls, as with every
/// other call on the channel.
// tonic's interceptors return its `Status` as their error: the size is not ours to choose.
#[allow(clippy::result_large_err)]
async fn over_grpc(channel: Channel, proxy: Option<&Secret>) -> Result<Option<AuthMetadata>> {
    let proxy = match proxy.map(|p| tonic::metadata::MetadataValue::try_from(p.expose())) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => {
            return Err(Error::new(
                Kind::Config,
                FLOW,
                "admin.proxyCommand printed a value that cannot be a gRPC header",
            ))
        }
    };
    let mut client =
        AuthMetadataServiceClient::with_interceptor(channel, move |mut req: tonic::Request<()>| {
            if let Some(p) = &proxy {
                req.metadata_mut().insert("proxy-authorization", p.clone());
            }
            Ok(req)
        });
    let meta = match client.get_o_auth2_metadata(OAuth2MetadataRequest {}).await {
        Ok(m) => m.into_inner(),
        Err(s) if unimplemented_means_disabled(&s) => return Ok(None),
        Err(s) => {
            return Err(Error::new(
                Kind::Discovery,
                FLOW,
                format!("GetOAuth2Metadata failed: {} {}", s.code(), s.message()),
            )
            .with_source(s))
        }
    };
    let client_config = match client
        .get_public_client_config(PublicClientAuthConfigRequest {})
        .await
    {
        Ok(c) => c.into_inner(),
        Err(s) if unimplemented_means_disabled(&s) => return Ok(None),
        Err(s) => {
            return Err(Error::new(
                Kind::Discovery,
                FLOW,
                format!("GetPublicClientConfig failed: {} {}", s.code(), s.message()),
            )
            .with_source(s))
        }
    };
    Ok(Some(AuthMetadata {
        issuer: meta.issuer,
        authorization_endpoint: meta.authorization_endpoint,
        token_endpoint: meta.token_endpoint,
        device_authorization_endpoint: meta.device_authorization_endpoint,
        client_id: client_config.client_id,
        redirect_uri: client_config.redirect_uri,
        scopes: client_config.scopes,
        authorization_metadata_key: client_config.authorization_metadata_key,
        audience: client_config.audience,
    }))
}

async fn get_json(
    http: &reqwest::Client,
    url: &str,
    proxy: Option<&Secret>,
) -> Result<Option<serde_json::Value>> {
    let mut req = http.get(url);
    if let Some(p) = proxy {
        req = req.header("proxy-authorization", p.expose());
    }
    let mut resp = crate::http::without_redirects(req.send())
        .await
        .map_err(|e| {
            let e = e.without_url();
            Error::new(Kind::Transient, FLOW, format!("GET {url} failed: {e}")).with_source(e)
        })?;
    let status = resp.status();
    if status.is_redirection() {
        return Err(crate::oauth::redirect_refused(FLOW, "GET", url, status));
    }
    // 501 is FlyteAdmin's gateway without the auth service; 404 a server without the route.
    if status == reqwest::StatusCode::NOT_IMPLEMENTED || status == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    let content_type = crate::oauth::content_type(&resp);
    let body = crate::oauth::read_answer(&mut resp, FLOW, &format!("GET {url}")).await?;
    if !status.is_success() {
        let kind = if status.is_server_error() {
            Kind::Transient
        } else {
            Kind::Protocol
        };
        return Err(Error::new(
            kind,
            FLOW,
            format!(
                "GET {url}: HTTP {status}: {}",
                crate::oauth::describe_failure(
                    serde_json::from_slice(&body).ok().as_ref(),
                    body.len(),
                    content_type.as_deref()
                )
            ),
        ));
    }
    serde_json::from_slice(&body).map(Some).map_err(|e| {
        Error::new(Kind::Protocol, FLOW, format!("GET {url}: not JSON: {e}")).with_source(e)
    })
}

async fn over_http(
    http: &reqwest::Client,
    base: &str,
    proxy: Option<&Secret>,
) -> Result<Option<AuthMetadata>> {
    let base = base.trim_end_matches('/');
    let Some(meta) = get_json(
        http,
        &format!("{base}/.well-known/oauth-authorization-server"),
        proxy,
    )
    .await?
    else {
        return Ok(None);
    };
    let Some(client) = get_json(http, &format!("{base}/config/v1/flyte_client"), proxy).await?
    else {
        return Ok(None);
    };
    let s = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    Ok(Some(AuthMetadata {
        issuer: s(&meta, "issuer"),
        authorization_endpoint: s(&meta, "authorization_endpoint"),
        token_endpoint: s(&meta, "token_endpoint"),
        device_authorization_endpoint: s(&meta, "device_authorization_endpoint"),
        client_id: s(&client, "client_id"),
        redirect_uri: s(&client, "redirect_uri"),
        scopes: client["scopes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        authorization_metadata_key: s(&client, "authorization_metadata_key"),
        audience: s(&client, "audience"),
    }))
}

/// How to ask: the HTTP client, how long each attempt may take, and the `proxy-authorization`
/// value from `admin.proxyCommand`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Asking<'a> {
    pub(crate) http: &'a reqwest::Client,
    pub(crate) timeout: Duration,
    pub(crate) proxy: Option<&'a Secret>,
}

/// `attempt`, cut off after `timeout` (zero: no limit).
async fn bounded<T>(
    timeout: Duration,
    what: &str,
    attempt: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    if timeout.is_zero() {
        return attempt.await;
    }
    tokio::time::timeout(timeout, attempt).await.map_err(|e| {
        Error::new(
            Kind::Timeout,
            FLOW,
            format!("{what}: no answer within {timeout:?}"),
        )
        .with_source(e)
    })?
}

/// Asks FlyteAdmin's `AuthMetadataService` over its gRPC channel, then the HTTP discovery
/// document at its HTTP base, as flytectl does. `Ok(None)`: authentication is off. When every
/// place asked fails, the error ([`Error::is_discovery`]) names each and its answer.
pub(crate) async fn discover(source: &Source, asking: Asking<'_>) -> Result<Option<AuthMetadata>> {
    let mut failures = Vec::new();
    if let Some(channel) = &source.grpc {
        let attempt = over_grpc(channel.clone(), asking.proxy);
        match bounded(asking.timeout, "GetOAuth2Metadata", attempt).await {
            Ok(found) => return Ok(found),
            Err(e) => {
                tracing::debug!("discovery over gRPC failed, trying HTTP: {e}");
                failures.push(format!(
                    "FlyteAdmin's AuthMetadataService over gRPC: {}",
                    e.message()
                ));
            }
        }
    }
    if let Some(base) = &source.http_base {
        let attempt = over_http(asking.http, base, asking.proxy);
        match bounded(asking.timeout, "GET", attempt).await {
            Ok(found) => return Ok(found),
            Err(e) => failures.push(format!("HTTP discovery at {base}: {}", e.message())),
        }
    }
    Err(if failures.is_empty() {
        Error::new(
            Kind::Config,
            FLOW,
            "no FlyteAdmin endpoint to discover the authorization server from",
        )
    } else {
        Error::new(
            Kind::Discovery,
            FLOW,
            format!(
                "cannot find FlyteAdmin's authorization server: {}",
                failures.join("; ")
            ),
        )
    })
}
