//! Discovery: what FlyteAdmin says about its authorization server and its public client.

use flyteidl::flyteidl::service::auth_metadata_service_client::AuthMetadataServiceClient;
use flyteidl::flyteidl::service::{OAuth2MetadataRequest, PublicClientAuthConfigRequest};
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

/// `Ok(None)` when the server has auth turned off.
async fn over_grpc(channel: Channel) -> Result<Option<AuthMetadata>> {
    let mut client = AuthMetadataServiceClient::new(channel);
    let meta = match client.get_o_auth2_metadata(OAuth2MetadataRequest {}).await {
        Ok(m) => m.into_inner(),
        Err(s) if unimplemented_means_disabled(&s) => return Ok(None),
        Err(s) => {
            return Err(Error::new(
                Kind::Protocol,
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
                Kind::Protocol,
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

async fn get_json(http: &reqwest::Client, url: &str) -> Result<Option<serde_json::Value>> {
    let resp = http.get(url).send().await.map_err(|e| {
        Error::new(Kind::Transient, FLOW, format!("GET {url} failed: {e}")).with_source(e)
    })?;
    let status = resp.status();
    // 501 is FlyteAdmin's gateway without the auth service; 404 a server without the route.
    if status == reqwest::StatusCode::NOT_IMPLEMENTED || status == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    let text = resp
        .text()
        .await
        .map_err(|e| Error::new(Kind::Transient, FLOW, format!("GET {url}: {e}")).with_source(e))?;
    if !status.is_success() {
        let kind = if status.is_server_error() {
            Kind::Transient
        } else {
            Kind::Protocol
        };
        return Err(Error::new(
            kind,
            FLOW,
            format!("GET {url}: HTTP {status}: {}", snippet(&text)),
        ));
    }
    serde_json::from_str(&text).map(Some).map_err(|e| {
        Error::new(Kind::Protocol, FLOW, format!("GET {url}: not JSON: {e}")).with_source(e)
    })
}

pub(crate) fn snippet(text: &str) -> String {
    let t: String = text.chars().take(300).collect();
    t.trim().to_owned()
}

async fn over_http(http: &reqwest::Client, base: &str) -> Result<Option<AuthMetadata>> {
    let base = base.trim_end_matches('/');
    let Some(meta) = get_json(
        http,
        &format!("{base}/.well-known/oauth-authorization-server"),
    )
    .await?
    else {
        return Ok(None);
    };
    let Some(client) = get_json(http, &format!("{base}/config/v1/flyte_client")).await? else {
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

/// Asks over gRPC, then over HTTP. `Ok(None)`: authentication is off.
pub(crate) async fn discover(
    source: &Source,
    http: &reqwest::Client,
) -> Result<Option<AuthMetadata>> {
    let mut grpc_error = None;
    if let Some(channel) = &source.grpc {
        match over_grpc(channel.clone()).await {
            Ok(found) => return Ok(found),
            Err(e) => grpc_error = Some(e),
        }
    }
    if let Some(base) = &source.http_base {
        return over_http(http, base).await;
    }
    match grpc_error {
        Some(e) => Err(e),
        None => Err(Error::new(
            Kind::Config,
            FLOW,
            "no FlyteAdmin endpoint to discover the authorization server from",
        )),
    }
}
