//! The authorization server's HTTP endpoints: authorize (PKCE), token (every grant), device
//! code, and the discovery documents.

use std::collections::HashMap;

use base64::Engine as _;
use hyper::{Body, Method, Request, Response, StatusCode};
use sha2::{Digest as _, Sha256};

use crate::executions::Shared;

use super::metadata::{
    client_json, external_public_config, metadata, metadata_json, public_config,
};
use super::{AuthSettings, AuthState, Device, DeviceDecision, PendingCode};

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

/// Go's limit on a form body (`http.Request.ParseForm`), which FlyteAdmin's OAuth2 endpoints read.
const MAX_FORM_BYTES: usize = 10 << 20;

fn too_large() -> Response<Body> {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "http: POST too large",
    )
}

fn form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// Percent-decodes one component of a form or query (`+` is a space), as the token endpoint reads
/// the id and secret of HTTP Basic credentials. `&` and `=` are escaped first, so that they stay
/// part of the component rather than splitting it into pairs.
fn decode(s: &str) -> String {
    let escaped = s.replace('&', "%26").replace('=', "%3D");
    form_urlencoded::parse(escaped.as_bytes())
        .next()
        .map(|(component, _)| component.into_owned())
        .unwrap_or_default()
}

/// The query the authorize endpoint appends to the redirect URI.
fn callback_query(code: &str, state: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("code", code)
        .append_pair("state", state)
        .finish()
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
            let Some(body) = crate::http::read_limited(req.into_body(), MAX_FORM_BYTES).await
            else {
                return Some(too_large());
            };
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
            let Some(body) = crate::http::read_limited(req.into_body(), MAX_FORM_BYTES).await
            else {
                return Some(too_large());
            };
            token(shared, &settings, form(&body), basic, &base)
        }
    };
    Some(response)
}

fn authorize(shared: &Shared, s: &AuthSettings, query: &str) -> Response<Body> {
    let q = form(query.as_bytes());
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
    let location = format!("{redirect}{sep}{}", callback_query(&code, &get("state")));
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
                expires_at: shared.clock.unix_now() + 600,
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
    let Ok((access, expires_in)) = state.issue(subject, scope, base) else {
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the access token could not be signed",
        );
    };
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
            let expired = device.expires_at < state.clock.unix_now();
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
    fn forms_and_components_are_percent_decoded() {
        assert_eq!(decode("a%20b+c"), "a b c");
        assert_eq!(decode("http%3A%2F%2Fx"), "http://x");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("a&b=c"), "a&b=c");
        let f =
            form(b"grant_type=client_credentials&scope=all+offline&redirect_uri=http%3A%2F%2Fx");
        assert_eq!(f["grant_type"], "client_credentials");
        assert_eq!(f["scope"], "all offline");
        assert_eq!(f["redirect_uri"], "http://x");
    }

    #[test]
    fn the_state_comes_back_as_sent() {
        let query = callback_query("abc", "a b/c&d=e");
        let back: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            back,
            [
                ("code".to_owned(), "abc".to_owned()),
                ("state".to_owned(), "a b/c&d=e".to_owned())
            ]
        );
        assert_eq!(callback_query("abc", "xyz"), "code=abc&state=xyz");
    }
}
