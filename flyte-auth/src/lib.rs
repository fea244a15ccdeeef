//! Every way Flyte lets a client log in (client credentials, PKCE in a browser, the device
//! flow, an external command) behind one cheap [`Credentials`] handle that discovers the
//! authorization server, refreshes before expiry, makes one request for many callers, and keeps
//! tokens in a cache that is never shared across endpoints.
//!
//! flyte-admin-client mounts it on its channel; use it directly to call other services with
//! Flyte's tokens.
//!
//! # Main types
//! - [`Credentials`] and [`CredentialsBuilder`]: the handle, from flytectl's config
//!   ([`Credentials::from_config`]) or built by hand with a [`Flow`]: [`ClientSecret`],
//!   [`Pkce`], [`DeviceFlow`] or [`ExternalCommand`].
//! - [`AccessToken`]: a token, its expiry (`exp` or `expires_in`) and refresh token; never printed.
//! - [`AuthMetadata`]: what FlyteAdmin advertises (discovered over gRPC, then HTTP).
//! - [`TokenCache`], [`FileCache`] (default, `~/.flyte/tokens`, files 0600), [`MemoryCache`].
//! - [`Interaction`] and [`Terminal`]: how PKCE URLs and device codes reach a person or a script.
//! - [`AuthLayer`]: the tower layer for a tonic channel: attaches the token, and after
//!   UNAUTHENTICATED invalidates it and retries the call once.
//! - [`http_client`] and [`HttpSettings`]: the one HTTP client setup (timeouts, CA bundle,
//!   proxy, the system's roots as gRPC) for OAuth2, signed URLs and downloads.
//! - [`Error`] with predicates ([`Error::is_invalid_client`], [`Error::is_transient`], ...).
//!
//! # Example
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = flyte_config::Config::load()?;
//! let credentials = flyte_auth::Credentials::from_config(&config)?;
//! let (header, value) = credentials.header().await?;
//! // send `header: value` with each FlyteAdmin call; after UNAUTHENTICATED:
//! let token = credentials.token().await?;
//! credentials.invalidate(&token);
//! # let _ = (header, value);
//! # Ok(()) }
//! ```
//!
//! # Feature flags
//! - `keyring`: `KeyringCache`, tokens in the OS keyring under flytectl's names
//!   ([`KEYRING_SERVICE`], [`keyring_user`]), so flytectl and flyte-rs share logins.

mod builder;
mod cache;
mod credentials;
mod discovery;
mod error;
mod interaction;
#[cfg(feature = "keyring")]
mod keyring_cache;
// Without the keyring feature only the names are public; the format is still tested.
mod flows;
#[doc(hidden)]
pub mod fuzzing;
mod http;
#[cfg_attr(not(feature = "keyring"), allow(dead_code))]
mod keyring_format;
mod layer;
mod oauth;
mod token;

pub use builder::CredentialsBuilder;
pub use cache::{CacheKey, FileCache, MemoryCache, TokenCache};
pub use credentials::{Credentials, DEFAULT_HEADER};
pub use discovery::AuthMetadata;
pub use error::{Error, Kind, Result};
pub use flows::{ClientSecret, DeviceFlow, ExternalCommand, Flow, Pkce};
/// How token-endpoint requests are retried: flyte-config's type, re-exported so that flyte-auth,
/// the admin client and flyte-storage speak one retry vocabulary (and users need no direct
/// flyte-config dependency to set it). See [`CredentialsBuilder::retry`] for flyte-auth's defaults.
pub use flyte_config::RetryPolicy;
pub use http::{http_client, read_ca_bundle, HttpSettings, MAX_CA_BUNDLE_BYTES};
pub use interaction::{Interaction, Terminal};
#[cfg(feature = "keyring")]
pub use keyring_cache::KeyringCache;
pub use keyring_format::{keyring_user, KEYRING_SERVICE};
pub use layer::{AuthLayer, AuthService};
pub use token::AccessToken;
