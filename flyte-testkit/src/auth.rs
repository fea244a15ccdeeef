//! Authentication as FlyteAdmin's own authorization server does it: metadata over gRPC and HTTP,
//! an authorize endpoint that approves at once (PKCE S256 enforced), a token endpoint for
//! authorization code, refresh token, client credentials and device code, and a check on every
//! call.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use flyteidl::flyteidl::service::{
    auth_metadata_service_server::AuthMetadataService, OAuth2MetadataRequest,
    OAuth2MetadataResponse, PublicClientAuthConfigRequest, PublicClientAuthConfigResponse,
};
use hmac::{Hmac, Mac};
use hyper::{Body, Method, Request, Response, StatusCode};
use sha2::{Digest as _, Sha256};
use tonic::{Request as GrpcRequest, Response as GrpcResponse, Status};

use crate::dataproxy::unix_now;
use crate::executions::Shared;

/// FlyteAdmin's public client defaults.
pub const DEFAULT_CLIENT_ID: &str = "flytectl";
/// FlyteAdmin's default redirect URI for PKCE.
pub const DEFAULT_REDIRECT_URI: &str = "http://localhost:53593/callback";
/// FlyteAdmin's default metadata key for the token.
pub const DEFAULT_AUTH_HEADER: &str = "flyte-authorization";

/// Self-hosted authorization server settings (FlyteAdmin's `auth.appAuth.selfAuthServer`).
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct AuthSettings {
    /// The public client PKCE and device flow use (default `flytectl`).
    pub public_client_id: String,
    /// Where the authorize endpoint sends the code (default `http://localhost:53593/callback`).
    pub redirect_uri: String,
    /// Scopes advertised to public clients (default `all`, `offline`).
    pub scopes: Vec<String>,
    /// The gRPC metadata key advertised for the token (default `flyte-authorization`).
    pub authorization_metadata_key: String,
    /// Audience advertised in the public client config and put in tokens.
    pub audience: String,
    /// Confidential clients for client credentials: id and secret.
    pub clients: Vec<(String, String)>,
    /// Lifetime of access tokens (default one hour).
    pub token_lifetime: Duration,
    /// Seconds a device-flow client must wait between polls (default 5).
    pub device_interval: u64,
    /// The subject put in tokens issued to people (PKCE, device flow).
    pub user: String,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            public_client_id: DEFAULT_CLIENT_ID.to_owned(),
            redirect_uri: DEFAULT_REDIRECT_URI.to_owned(),
            scopes: vec!["all".to_owned(), "offline".to_owned()],
            authorization_metadata_key: DEFAULT_AUTH_HEADER.to_owned(),
            audience: String::new(),
            clients: vec![("flytepropeller".to_owned(), "foobar".to_owned())],
            token_lifetime: Duration::from_secs(3600),
            device_interval: 5,
            user: "testkit-user".to_owned(),
        }
    }
}

impl AuthSettings {
    /// Adds a confidential client for the client-credentials grant.
    pub fn client(mut self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.clients.push((id.into(), secret.into()));
        self
    }

    /// Sets the access-token lifetime.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// Sets the redirect URI PKCE must use.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = uri.into();
        self
    }

    /// Sets the advertised audience.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }
}

/// What happens to a pending device-flow request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceDecision {
    /// The user approved: the next poll gets a token.
    Approve,
    /// The user refused: the next poll gets `access_denied`.
    Deny,
    /// The code expired: the next poll gets `expired_token`.
    Expire,
    /// The next poll gets `slow_down` (once), then pending again.
    SlowDown,
}

#[derive(Debug, Clone)]
struct Issued {
    subject: String,
    expires_at: u64,
}

#[derive(Debug, Clone)]
struct PendingCode {
    challenge: String,
    redirect_uri: String,
    client_id: String,
}

#[derive(Debug, Clone)]
struct Device {
    user_code: String,
    client_id: String,
    decision: Option<DeviceDecision>,
    expires_at: u64,
}

/// The authorization server's state.
#[derive(Debug, Default)]
pub(crate) struct AuthState {
    pub(crate) settings: Option<AuthSettings>,
    pub(crate) external: Option<crate::external::ExternalState>,
    access: HashMap<String, Issued>,
    refresh: HashMap<String, String>,
    codes: HashMap<String, PendingCode>,
    devices: HashMap<String, Device>,
    secret: Vec<u8>,
    /// Requests to the token endpoint, by grant type.
    pub(crate) token_requests: HashMap<String, u64>,
}

impl AuthState {
    pub(crate) fn new(settings: Option<AuthSettings>) -> Self {
        let seed = crate::executions::generate_name();
        AuthState {
            settings,
            secret: Sha256::digest(seed.as_bytes()).to_vec(),
            ..AuthState::default()
        }
    }

    /// An HS256 JWT (so clients can read `exp`), recorded as issued.
    fn issue(&mut self, subject: &str, scopes: &str, base: &str) -> (String, u64) {
        let settings = self.settings.clone().unwrap_or_default();
        let now = unix_now();
        let exp = now + settings.token_lifetime.as_secs();
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let header = b64(br#"{"alg":"HS256","typ":"JWT","kid":"flyte-testkit"}"#);
        let jti = crate::executions::generate_name();
        let claims = serde_json::json!({
            "iss": base, "sub": subject, "aud": [if settings.audience.is_empty() { base } else { settings.audience.as_str() }],
            "iat": now, "exp": exp, "scp": scopes.split(' ').filter(|s| !s.is_empty()).collect::<Vec<_>>(),
            "jti": jti,
        });
        let payload = b64(claims.to_string().as_bytes());
        let signing_input = format!("{header}.{payload}");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret).unwrap_or_else(|_| {
            // HMAC accepts keys of any length; this branch cannot be taken.
            <Hmac<Sha256> as Mac>::new_from_slice(b"k").expect("hmac key")
        });
        mac.update(signing_input.as_bytes());
        let token = format!("{signing_input}.{}", b64(&mac.finalize().into_bytes()));
        self.access.insert(
            token.clone(),
            Issued {
                subject: subject.to_owned(),
                expires_at: exp,
            },
        );
        (token, exp - now)
    }

    /// The subject of a valid access token.
    pub(crate) fn check(&self, token: &str) -> Option<String> {
        let issued = self.access.get(token)?;
        (issued.expires_at > unix_now()).then(|| issued.subject.clone())
    }

    /// Makes every issued access token invalid (as if expired); refresh tokens still work.
    pub(crate) fn expire_all(&mut self) {
        self.access.clear();
    }

    pub(crate) fn decide_device(&mut self, user_code: &str, decision: DeviceDecision) -> bool {
        match self.devices.values_mut().find(|d| d.user_code == user_code) {
            Some(d) => {
                d.decision = Some(decision);
                true
            }
            None => false,
        }
    }
}

/// The gRPC interceptor: every call needs a valid token in the advertised header or in
/// `authorization`, unless auth is off.
pub(crate) fn intercept(
    shared: &Arc<Shared>,
    mut req: GrpcRequest<()>,
) -> Result<GrpcRequest<()>, Status> {
    let state = shared
        .auth
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let key = match (&state.settings, &state.external) {
        (_, Some(ext)) => ext.settings.authorization_metadata_key.clone(),
        (Some(settings), None) => settings.authorization_metadata_key.clone(),
        (None, None) => return Ok(req),
    };
    let header = key.to_ascii_lowercase();
    let value = [header.as_str(), "authorization"].iter().find_map(|h| {
        req.metadata()
            .get(*h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    let Some(value) = value else {
        return Err(Status::unauthenticated(
            "Request unauthenticated with IDToken",
        ));
    };
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .unwrap_or(&value);
    if let Some(ext) = &state.external {
        return match crate::external::check(ext, token) {
            crate::external::Checked::Subject(subject) => {
                drop(state);
                req.extensions_mut().insert(crate::Subject(subject));
                Ok(req)
            }
            crate::external::Checked::UnknownKey => {
                // The issuer may have rotated its keys: fetch them again for the next call.
                let jwks_uri = ext.jwks_uri.clone();
                drop(state);
                let shared = Arc::clone(shared);
                tokio::spawn(async move {
                    if let Ok(keys) = crate::external::fetch_keys(&jwks_uri).await {
                        let mut state = shared
                            .auth
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        if let Some(ext) = state.external.as_mut() {
                            ext.keys = keys;
                        }
                    }
                });
                Err(Status::unauthenticated("token is signed by an unknown key"))
            }
            crate::external::Checked::Invalid(why) => {
                Err(Status::unauthenticated(format!("token is invalid: {why}")))
            }
        };
    }
    match state.check(token) {
        Some(subject) => {
            drop(state);
            req.extensions_mut().insert(crate::Subject(subject));
            Ok(req)
        }
        None => Err(Status::unauthenticated(
            "token is invalid or has expired: Request unauthenticated with IDToken",
        )),
    }
}

fn metadata(base: &str) -> OAuth2MetadataResponse {
    OAuth2MetadataResponse {
        issuer: base.to_owned(),
        authorization_endpoint: format!("{base}/oauth2/authorize"),
        token_endpoint: format!("{base}/oauth2/token"),
        response_types_supported: vec!["code".into(), "token".into(), "code token".into()],
        scopes_supported: vec!["all".into()],
        token_endpoint_auth_methods_supported: vec!["client_secret_basic".into()],
        jwks_uri: format!("{base}/oauth2/jwks"),
        code_challenge_methods_supported: vec!["S256".into()],
        grant_types_supported: vec![
            "client_credentials".into(),
            "refresh_token".into(),
            "authorization_code".into(),
            "urn:ietf:params:oauth:grant-type:device_code".into(),
        ],
        device_authorization_endpoint: format!("{base}/oauth2/device/code"),
    }
}

fn public_config(s: &AuthSettings) -> PublicClientAuthConfigResponse {
    PublicClientAuthConfigResponse {
        client_id: s.public_client_id.clone(),
        redirect_uri: s.redirect_uri.clone(),
        scopes: s.scopes.clone(),
        authorization_metadata_key: s.authorization_metadata_key.clone(),
        service_http_endpoint: String::new(),
        audience: s.audience.clone(),
    }
}

/// AuthMetadataService: UNIMPLEMENTED with auth off (FlyteAdmin does not register it then).
#[derive(Debug, Clone)]
pub(crate) struct Metadata {
    pub(crate) shared: Arc<Shared>,
}

impl Metadata {
    fn external(&self) -> Option<crate::external::ExternalState> {
        self.shared
            .auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .external
            .clone()
    }

    fn settings(&self) -> Result<AuthSettings, Status> {
        self.shared
            .auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .settings
            .clone()
            .ok_or_else(|| {
                Status::unimplemented("unknown service flyteidl.service.AuthMetadataService")
            })
    }
}

#[tonic::async_trait]
impl AuthMetadataService for Metadata {
    async fn get_o_auth2_metadata(
        &self,
        _: GrpcRequest<OAuth2MetadataRequest>,
    ) -> Result<GrpcResponse<OAuth2MetadataResponse>, Status> {
        if let Some(ext) = self.external() {
            return Ok(GrpcResponse::new(ext.metadata));
        }
        let _settings = self.settings()?;
        Ok(GrpcResponse::new(metadata(&self.shared.http_base())))
    }

    async fn get_public_client_config(
        &self,
        _: GrpcRequest<PublicClientAuthConfigRequest>,
    ) -> Result<GrpcResponse<PublicClientAuthConfigResponse>, Status> {
        if let Some(ext) = self.external() {
            return Ok(GrpcResponse::new(external_public_config(&ext.settings)));
        }
        Ok(GrpcResponse::new(public_config(&self.settings()?)))
    }
}

fn external_public_config(s: &crate::external::ExternalAuth) -> PublicClientAuthConfigResponse {
    PublicClientAuthConfigResponse {
        client_id: s.public_client_id.clone(),
        redirect_uri: s.redirect_uri.clone(),
        scopes: s.scopes.clone(),
        authorization_metadata_key: s.authorization_metadata_key.clone(),
        service_http_endpoint: String::new(),
        audience: s.audience.clone().unwrap_or_default(),
    }
}

fn metadata_json(m: &OAuth2MetadataResponse) -> serde_json::Value {
    serde_json::json!({
        "issuer": m.issuer, "authorization_endpoint": m.authorization_endpoint,
        "token_endpoint": m.token_endpoint, "response_types_supported": m.response_types_supported,
        "scopes_supported": m.scopes_supported,
        "token_endpoint_auth_methods_supported": m.token_endpoint_auth_methods_supported,
        "jwks_uri": m.jwks_uri, "code_challenge_methods_supported": m.code_challenge_methods_supported,
        "grant_types_supported": m.grant_types_supported,
        "device_authorization_endpoint": m.device_authorization_endpoint,
    })
}

fn client_json(c: &PublicClientAuthConfigResponse) -> serde_json::Value {
    serde_json::json!({
        "client_id": c.client_id, "redirect_uri": c.redirect_uri, "scopes": c.scopes,
        "authorization_metadata_key": c.authorization_metadata_key,
        "service_http_endpoint": c.service_http_endpoint, "audience": c.audience,
    })
}

fn json(status: StatusCode, value: serde_json::Value) -> Response<Body> {
    let mut r = Response::new(Body::from(value.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response<Body> {
    json(
        status,
        serde_json::json!({"error": error, "error_description": description}),
    )
}

fn form(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

/// Percent-decoding for form and query values (`+` is a space).
pub(crate) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The HTTP side of auth; `None` when the path is not an auth route.
pub(crate) async fn http_route(shared: &Shared, req: Request<Body>) -> Option<Response<Body>> {
    let path = req.uri().path().to_owned();
    let known = [
        "/.well-known/oauth-authorization-server",
        "/config/v1/flyte_client",
        "/oauth2/authorize",
        "/oauth2/token",
        "/oauth2/jwks",
        "/oauth2/device/code",
    ];
    if !known.contains(&path.as_str()) {
        return None;
    }
    let (settings, external) = {
        let state = shared
            .auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (state.settings.clone(), state.external.clone())
    };
    if let Some(ext) = external {
        return Some(match path.as_str() {
            "/.well-known/oauth-authorization-server" => {
                json(StatusCode::OK, metadata_json(&ext.metadata))
            }
            "/config/v1/flyte_client" => json(
                StatusCode::OK,
                client_json(&external_public_config(&ext.settings)),
            ),
            _ => json(
                StatusCode::NOT_FOUND,
                serde_json::json!({"error": "not_found", "error_description": "this server trusts an external issuer; use its endpoints"}),
            ),
        });
    }
    let Some(settings) = settings else {
        // As FlyteAdmin's gateway does when the gRPC service behind it is not registered.
        return Some(json(
            StatusCode::NOT_IMPLEMENTED,
            serde_json::json!({"code": 12, "message": "unknown service flyteidl.service.AuthMetadataService"}),
        ));
    };
    let base = shared.http_base();
    let response = match path.as_str() {
        "/.well-known/oauth-authorization-server" => {
            json(StatusCode::OK, metadata_json(&metadata(&base)))
        }
        "/config/v1/flyte_client" => json(StatusCode::OK, client_json(&public_config(&settings))),
        "/oauth2/jwks" => json(StatusCode::OK, serde_json::json!({"keys": []})),
        "/oauth2/authorize" => authorize(shared, &settings, req.uri().query().unwrap_or_default()),
        "/oauth2/device/code" => {
            let body = hyper::body::to_bytes(req.into_body())
                .await
                .unwrap_or_default();
            device_code(shared, &settings, &form(&body), &base)
        }
        _ => {
            if req.method() != Method::POST {
                return Some(oauth_error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "invalid_request",
                    "use POST",
                ));
            }
            let basic = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Basic "))
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.split_once(':').map(|(a, b)| (decode(a), decode(b))));
            let body = hyper::body::to_bytes(req.into_body())
                .await
                .unwrap_or_default();
            token(shared, &settings, form(&body), basic, &base)
        }
    };
    Some(response)
}

fn authorize(shared: &Shared, s: &AuthSettings, query: &str) -> Response<Body> {
    let q: HashMap<String, String> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    if get("response_type") != "code" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            "response_type must be code",
        );
    }
    if get("client_id") != s.public_client_id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "unknown client_id",
        );
    }
    let redirect = get("redirect_uri");
    if redirect != s.redirect_uri {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri is not the registered one",
        );
    }
    if get("code_challenge_method") != "S256" || get("code_challenge").is_empty() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "PKCE with code_challenge_method S256 is required",
        );
    }
    let code = crate::executions::generate_name();
    shared
        .auth
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .codes
        .insert(
            code.clone(),
            PendingCode {
                challenge: get("code_challenge"),
                redirect_uri: redirect.clone(),
                client_id: get("client_id"),
            },
        );
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let location = format!("{redirect}{sep}code={code}&state={}", encode(&get("state")));
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::FOUND;
    if let Ok(v) = hyper::header::HeaderValue::from_str(&location) {
        r.headers_mut().insert("location", v);
    }
    r
}

fn device_code(
    shared: &Shared,
    s: &AuthSettings,
    f: &HashMap<String, String>,
    base: &str,
) -> Response<Body> {
    if f.get("client_id") != Some(&s.public_client_id) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "unknown client_id",
        );
    }
    let device_code = crate::executions::generate_name();
    let raw = crate::executions::generate_name().to_ascii_uppercase();
    let user_code = format!("{}-{}", &raw[1..5], &raw[5..9]);
    shared
        .auth
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .devices
        .insert(
            device_code.clone(),
            Device {
                user_code: user_code.clone(),
                client_id: s.public_client_id.clone(),
                decision: None,
                expires_at: unix_now() + 600,
            },
        );
    json(
        StatusCode::OK,
        serde_json::json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": format!("{base}/oauth2/device"),
            "verification_uri_complete": format!("{base}/oauth2/device?user_code={user_code}"),
            "expires_in": 600,
            "interval": s.device_interval,
        }),
    )
}

fn token_response(
    state: &mut AuthState,
    subject: &str,
    scope: &str,
    base: &str,
    with_refresh: bool,
) -> Response<Body> {
    let (access, expires_in) = state.issue(subject, scope, base);
    let mut body = serde_json::json!({
        "access_token": access, "token_type": "Bearer", "expires_in": expires_in, "scope": scope,
    });
    if with_refresh {
        let refresh = crate::executions::generate_name();
        state.refresh.insert(refresh.clone(), subject.to_owned());
        body["refresh_token"] = serde_json::Value::String(refresh);
    }
    json(StatusCode::OK, body)
}

fn token(
    shared: &Shared,
    s: &AuthSettings,
    f: HashMap<String, String>,
    basic: Option<(String, String)>,
    base: &str,
) -> Response<Body> {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let mut state = shared
        .auth
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *state.token_requests.entry(get("grant_type")).or_default() += 1;
    let scope = if get("scope").is_empty() {
        s.scopes.join(" ")
    } else {
        get("scope")
    };
    match get("grant_type").as_str() {
        "client_credentials" => {
            let (id, secret) = basic.unwrap_or_else(|| (get("client_id"), get("client_secret")));
            if !s.clients.iter().any(|(i, sec)| *i == id && *sec == secret) {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "client authentication failed",
                );
            }
            token_response(&mut state, &id, &scope, base, false)
        }
        "authorization_code" => {
            let Some(pending) = state.codes.remove(&get("code")) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown or used authorization code",
                );
            };
            let verifier = get("code_verifier");
            let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(Sha256::digest(verifier.as_bytes()));
            if challenge != pending.challenge {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "code_verifier does not match the code_challenge",
                );
            }
            if get("redirect_uri") != pending.redirect_uri || get("client_id") != pending.client_id
            {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "redirect_uri or client_id differs from the authorize request",
                );
            }
            let user = s.user.clone();
            token_response(&mut state, &user, &scope, base, true)
        }
        "refresh_token" => {
            let Some(subject) = state.refresh.remove(&get("refresh_token")) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown refresh token",
                );
            };
            token_response(&mut state, &subject, &scope, base, true)
        }
        "urn:ietf:params:oauth:grant-type:device_code" => {
            let code = get("device_code");
            let Some(device) = state.devices.get(&code).cloned() else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown device_code",
                );
            };
            if get("client_id") != device.client_id {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_client",
                    "client_id differs",
                );
            }
            let expired = device.expires_at < unix_now();
            match (device.decision, expired) {
                (Some(DeviceDecision::Expire), _) | (None, true) => oauth_error(
                    StatusCode::BAD_REQUEST,
                    "expired_token",
                    "the device code expired",
                ),
                (Some(DeviceDecision::Deny), _) => {
                    state.devices.remove(&code);
                    oauth_error(
                        StatusCode::BAD_REQUEST,
                        "access_denied",
                        "the user denied the request",
                    )
                }
                (Some(DeviceDecision::SlowDown), _) => {
                    if let Some(d) = state.devices.get_mut(&code) {
                        d.decision = None;
                    }
                    oauth_error(StatusCode::BAD_REQUEST, "slow_down", "polling too fast")
                }
                (Some(DeviceDecision::Approve), _) => {
                    state.devices.remove(&code);
                    let user = s.user.clone();
                    token_response(&mut state, &user, &scope, base, true)
                }
                (None, false) => oauth_error(
                    StatusCode::BAD_REQUEST,
                    "authorization_pending",
                    "waiting for the user",
                ),
            }
        }
        other => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("grant_type {other:?} is not supported"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(decode("a%20b+c"), "a b c");
        assert_eq!(decode("http%3A%2F%2Fx"), "http://x");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }
}
