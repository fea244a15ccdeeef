//! External auth: tokens from an outside issuer are checked against its keys, issuer and audience.

mod common;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use common::*;
use flyte_testkit::flyteidl::flyteidl::admin::ProjectListRequest;
use flyte_testkit::flyteidl::flyteidl::service::{
    auth_metadata_service_client::AuthMetadataServiceClient,
    identity_service_client::IdentityServiceClient, OAuth2MetadataRequest,
    PublicClientAuthConfigRequest, UserInfoRequest,
};
use flyte_testkit::{ExternalAuth, TestAdmin};
use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Response};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use tonic::Code;

/// A signing key and its public JWK.
struct Key {
    kid: String,
    pkcs8: Vec<u8>,
    jwk: serde_json::Value,
}

fn key(kid: &str) -> Result<Key, Box<dyn std::error::Error>> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|e| format!("{e:?}"))?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .map_err(|e| format!("{e:?}"))?;
    let point = pair.public_key().as_ref();
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let jwk = serde_json::json!({
        "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
        "x": b64(&point[1..33]), "y": b64(&point[33..65]),
    });
    Ok(Key {
        kid: kid.into(),
        pkcs8: pkcs8.as_ref().to_vec(),
        jwk,
    })
}

/// A minimal OIDC issuer on 127.0.0.1 serving discovery and a JWK set that tests can change.
async fn issuer(
    keys: Arc<Mutex<Vec<serde_json::Value>>>,
) -> Result<String, Box<dyn std::error::Error>> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let base = format!("http://{}", listener.local_addr()?);
    let b = base.clone();
    let make = make_service_fn(move |_| {
        let (keys, base) = (Arc::clone(&keys), b.clone());
        async move {
            Ok::<_, Infallible>(service_fn(move |req: hyper::Request<Body>| {
                let (keys, base) = (Arc::clone(&keys), base.clone());
                async move {
                    let body = match req.uri().path() {
                        "/.well-known/openid-configuration" => serde_json::json!({
                            "issuer": base, "authorization_endpoint": format!("{base}/auth"),
                            "token_endpoint": format!("{base}/token"), "jwks_uri": format!("{base}/jwks"),
                            "grant_types_supported": ["client_credentials"],
                        }),
                        "/jwks" => {
                            serde_json::json!({"keys": keys.lock().map(|k| k.clone()).unwrap_or_default()})
                        }
                        _ => {
                            let mut r = Response::new(Body::from("not found"));
                            *r.status_mut() = hyper::StatusCode::NOT_FOUND;
                            return Ok::<_, Infallible>(r);
                        }
                    };
                    Ok::<_, Infallible>(Response::new(Body::from(body.to_string())))
                }
            }))
        }
    });
    let server = hyper::Server::from_tcp(listener)?.serve(make);
    tokio::spawn(async move {
        let _ = server.await;
    });
    Ok(base)
}

fn token(
    key: &Key,
    iss: &str,
    aud: &str,
    exp_from_now: i64,
) -> Result<String, Box<dyn std::error::Error>> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(key.kid.clone());
    let claims = serde_json::json!({"iss": iss, "aud": aud, "sub": "alice", "exp": now + exp_from_now, "iat": now});
    Ok(encode(
        &header,
        &claims,
        &EncodingKey::from_ec_der(&key.pkcs8),
    )?)
}

fn bearer<T>(msg: T, token: &str) -> Result<tonic::Request<T>, Box<dyn std::error::Error>> {
    let mut req = tonic::Request::new(msg);
    req.metadata_mut()
        .insert("flyte-authorization", format!("Bearer {token}").parse()?);
    Ok(req)
}

/// An issuer serving the key `k1` (its keys in the returned list, which tests can change) and a
/// test kit trusting it for the audience `flyte`.
async fn external_admin(
) -> Result<(Key, Arc<Mutex<Vec<serde_json::Value>>>, String, TestAdmin), Box<dyn std::error::Error>>
{
    let k1 = key("k1")?;
    let keys = Arc::new(Mutex::new(vec![k1.jwk.clone()]));
    let iss = issuer(Arc::clone(&keys)).await?;
    let admin = TestAdmin::builder()
        .external_auth(ExternalAuth::new(&iss).audience("flyte"))
        .start()
        .await?;
    Ok((k1, keys, iss, admin))
}

#[tokio::test]
async fn tokens_are_checked_against_the_issuer() -> TestResult {
    let (k1, keys, iss, admin) = external_admin().await?;
    let mut meta = AuthMetadataServiceClient::connect(admin.endpoint()).await?;
    let m = meta
        .get_o_auth2_metadata(OAuth2MetadataRequest {})
        .await?
        .into_inner();
    assert_eq!(
        m.token_endpoint,
        format!("{iss}/token"),
        "the issuer's metadata is served"
    );
    let client = meta
        .get_public_client_config(PublicClientAuthConfigRequest {})
        .await?
        .into_inner();
    assert_eq!(
        (client.client_id.as_str(), client.audience.as_str()),
        ("flytectl", "flyte")
    );

    let mut c = connect(&admin).await?;
    let good = token(&k1, &iss, "flyte", 600)?;
    assert_eq!(
        c.list_projects(bearer(ProjectListRequest::default(), &good)?)
            .await?
            .into_inner()
            .projects
            .len(),
        1
    );
    let mut who = IdentityServiceClient::connect(admin.endpoint()).await?;
    assert_eq!(
        who.user_info(bearer(UserInfoRequest {}, &good)?)
            .await?
            .into_inner()
            .subject,
        "alice"
    );

    for (why, bad) in [
        ("audience", token(&k1, &iss, "someone-else", 600)?),
        ("issuer", token(&k1, "http://evil.example", "flyte", 600)?),
        ("expired", token(&k1, &iss, "flyte", -600)?),
        ("not a JWT", "opaque-token".to_owned()),
    ] {
        let err = c
            .list_projects(bearer(ProjectListRequest::default(), &bad)?)
            .await
            .expect_err(why);
        assert_eq!(err.code(), Code::Unauthenticated, "{why}");
    }

    // A key the test kit has not seen: refused, then accepted once the keys are fetched again.
    let k2 = key("k2")?;
    keys.lock().map_err(|_| "poisoned")?.push(k2.jwk.clone());
    let rotated = token(&k2, &iss, "flyte", 600)?;
    let err = c
        .list_projects(bearer(ProjectListRequest::default(), &rotated)?)
        .await
        .expect_err("unknown key");
    assert_eq!(err.code(), Code::Unauthenticated);
    let mut accepted = false;
    for _ in 0..500 {
        if c.list_projects(bearer(ProjectListRequest::default(), &rotated)?)
            .await
            .is_ok()
        {
            accepted = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(accepted, "rotated keys are picked up");
    Ok(())
}

#[tokio::test]
async fn an_unreachable_issuer_stops_the_start() {
    let err = TestAdmin::builder()
        .external_auth(ExternalAuth::new("http://127.0.0.1:1"))
        .start()
        .await
        .expect_err("no issuer");
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
    let err = TestAdmin::builder()
        .external_auth(ExternalAuth::new("https://issuer.example"))
        .start()
        .await
        .expect_err("https");
    assert!(err.to_string().contains("plain http"), "{err}");
}

#[tokio::test]
async fn malformed_tokens_are_unauthenticated_and_a_good_one_still_works() -> TestResult {
    let (k1, _keys, iss, admin) = external_admin().await?;
    let mut c = connect(&admin).await?;
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let header = |alg: &str| b64(serde_json::json!({"alg": alg, "kid": "k1"}));
    let claims = b64(serde_json::json!({"iss": iss, "aud": "flyte", "sub": "x", "exp": 1e300}));
    let good = token(&k1, &iss, "flyte", 600)?;
    let (signed, signature) = good.rsplit_once('.').ok_or("a JWT has a signature")?;
    let tampered = format!("{}.{claims}.{signature}", header("ES256"));
    let wrong_signature = format!("{signed}.{}", "A".repeat(signature.len()));
    let long = format!("{}.{}.{}", header("ES256"), "a".repeat(16 << 10), signature);
    for bad in [
        String::new(),
        ".".to_owned(),
        "..".to_owned(),
        "a.b.c".to_owned(),
        format!("{}.{claims}.", header("none")),
        format!("{}.{claims}.", header("HS256")),
        format!("{}.{claims}.c2ln", header("RS512")),
        format!("{}.e30.", header("ES256")),
        format!("{}.bm90IGpzb24.", header("ES256")),
        tampered,
        wrong_signature,
        long,
    ] {
        let err = c
            .list_projects(bearer(ProjectListRequest::default(), &bad)?)
            .await
            .expect_err(&bad[..bad.len().min(60)]);
        assert_eq!(err.code(), Code::Unauthenticated, "{}", err.message());
    }
    let projects = c
        .list_projects(bearer(ProjectListRequest::default(), &good)?)
        .await?
        .into_inner();
    assert_eq!(projects.projects.len(), 1, "the server keeps answering");
    Ok(())
}
