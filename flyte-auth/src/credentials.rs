//! The credentials handle: discovery once, one token request at a time, refresh before expiry,
//! invalidation after UNAUTHENTICATED, and the cache.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flyte_config::{Config, Secret};
use tokio::sync::OnceCell;

use crate::builder::CredentialsBuilder;
use crate::cache::{CacheKey, TokenCache};
use crate::discovery::{self, Asking, AuthMetadata, Source};
use crate::error::{Error, Kind, Result};
use crate::flows::{self, Flow};
use crate::interaction::Interaction;
use crate::oauth::Http;
use crate::token::AccessToken;

/// The header FlyteAdmin reads the token from when neither the config nor the server names one.
pub const DEFAULT_HEADER: &str = "authorization";

/// What every clone of a [`Credentials`] shares.
pub(crate) struct Inner {
    pub(crate) flow: Flow,
    pub(crate) endpoint: String,
    pub(crate) source: Source,
    /// The HTTP side before `admin.proxyCommand` has run ...
    pub(crate) plain: Http,
    /// ... and with the `proxy-authorization` it printed, once something is first needed (the
    /// command runs then, not when the handle is built).
    pub(crate) http: OnceCell<Http>,
    /// `admin.proxyCommand`: empty for none.
    pub(crate) proxy_command: Vec<String>,
    pub(crate) metadata: OnceCell<Option<AuthMetadata>>,
    pub(crate) current: Mutex<Option<AccessToken>>,
    /// Held while a token is acquired, so concurrent callers wait for one request. The task
    /// that acquires owns it, so a caller that gives up does not end a login others wait for.
    pub(crate) gate: Arc<tokio::sync::Mutex<()>>,
    /// How many acquisitions have ended, and the failure of the last one if it failed: callers
    /// that waited on it get that failure instead of starting another login each.
    pub(crate) ended: Mutex<(u64, Option<Error>)>,
    pub(crate) cache: Option<Arc<dyn TokenCache>>,
    pub(crate) interaction: Arc<dyn Interaction>,
    pub(crate) refresh_window: Duration,
    pub(crate) header: Option<String>,
    pub(crate) acquired: AtomicU64,
    /// The cache key of the current token, once known.
    pub(crate) key: Mutex<Option<CacheKey>>,
}

/// A cheap, cloneable handle that hands out current access tokens.
///
/// Discovery happens once, on first need. Concurrent callers share one token request. Tokens
/// are refreshed (with the refresh token when there is one) before they expire, and
/// [`Credentials::invalidate`] drops a token the server refused.
#[derive(Clone)]
pub struct Credentials {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("flow", &self.inner.flow)
            .field("endpoint", &self.inner.endpoint)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// A builder for `flow` against `endpoint`.
    pub fn builder(flow: impl Into<Flow>, endpoint: impl Into<String>) -> CredentialsBuilder {
        CredentialsBuilder::new(flow, endpoint)
    }

    /// Credentials from flytectl's config; see [`CredentialsBuilder::from_config`].
    ///
    /// # Errors
    /// As [`CredentialsBuilder::from_config`] and [`CredentialsBuilder::build`].
    pub fn from_config(config: &Config) -> Result<Credentials> {
        CredentialsBuilder::from_config(config)?.build()
    }

    /// What FlyteAdmin advertises; `None` when authentication is off. Asked once.
    ///
    /// # Errors
    /// When discovery fails (other than "auth is off").
    pub async fn metadata(&self) -> Result<Option<AuthMetadata>> {
        self.inner
            .metadata
            .get_or_try_init(|| async {
                let http = self.ready().await?;
                let asking = Asking {
                    http: &http.client,
                    timeout: http.retry.per_attempt_timeout,
                    proxy: http.proxy_authorization.as_ref(),
                };
                discovery::discover(&self.inner.source, asking).await
            })
            .await
            .cloned()
    }

    /// The HTTP side with `admin.proxyCommand`'s header, running the command the first time.
    async fn ready(&self) -> Result<&Http> {
        self.inner
            .http
            .get_or_try_init(|| async {
                let proxy_authorization = if self.inner.proxy_command.is_empty() {
                    None
                } else {
                    let printed =
                        flows::run_command(&self.inner.proxy_command, "proxy command").await?;
                    Some(Secret::new(printed))
                };
                Ok(Http {
                    proxy_authorization,
                    ..self.inner.plain.clone()
                })
            })
            .await
    }

    pub(crate) async fn require_metadata(&self, flow: &'static str) -> Result<AuthMetadata> {
        self.metadata().await?.ok_or_else(|| {
            Error::new(
                Kind::Disabled,
                flow,
                "FlyteAdmin has authentication turned off; no token is needed",
            )
        })
    }

    /// The metadata key the token goes in: the configured header, else the server's, else
    /// `authorization`.
    pub async fn header_name(&self) -> String {
        if let Some(h) = &self.inner.header {
            return h.to_ascii_lowercase();
        }
        match self.metadata().await {
            Ok(Some(m)) if !m.authorization_metadata_key.is_empty() => {
                m.authorization_metadata_key.to_ascii_lowercase()
            }
            _ => DEFAULT_HEADER.to_owned(),
        }
    }

    /// The header name and value (`Bearer ...`) to send.
    ///
    /// # Errors
    /// As [`Credentials::token`].
    pub async fn header(&self) -> Result<(String, String)> {
        let token = self.token().await?;
        Ok((self.header_name().await, token.header_value()))
    }

    /// The `proxy-authorization` value from `admin.proxyCommand`, for gRPC calls as well as
    /// OAuth; `None` without one. The command runs (with `tokio::process`) the first time a
    /// value is needed, once per handle.
    ///
    /// # Errors
    /// The command could not run, failed, or printed nothing.
    pub async fn proxy_authorization(&self) -> Result<Option<Secret>> {
        Ok(self.ready().await?.proxy_authorization.clone())
    }

    /// How many times a token was obtained from the identity provider or the command (not from
    /// memory or the cache).
    pub fn acquisitions(&self) -> u64 {
        self.inner.acquired.load(Ordering::SeqCst)
    }

    fn current(&self) -> Option<AccessToken> {
        self.inner
            .current
            .lock()
            .ok()?
            .clone()
            .filter(|t| t.is_fresh_at(self.inner.refresh_window, self.http().clock.now()))
    }

    /// Forgets `token` after the server refused it, so the next call gets a new one. A token
    /// that was already replaced is left alone.
    pub fn invalidate(&self, token: &AccessToken) {
        // Keep the refresh token: it may still buy a new access token without a login.
        let expire = |mut t: AccessToken| {
            t.expires_at = Some(std::time::UNIX_EPOCH);
            t
        };
        if let Ok(mut current) = self.inner.current.lock() {
            if current.as_ref().is_some_and(|c| c.value == token.value) {
                *current = current.take().map(expire);
            }
        }
        let key = self.inner.key.lock().ok().and_then(|k| k.clone());
        if let (Some(key), Some(cache)) = (key, &self.inner.cache) {
            if let Some(cached) = cache.load(&key).filter(|c| c.value == token.value) {
                cache.store(&key, &expire(cached));
            }
        }
    }

    /// A current access token: from memory, the cache, a refresh, or a new login.
    ///
    /// One acquisition at a time, however many callers wait: it runs in a task of its own, so
    /// it is bounded by the login's own timeout (`pkceConfig.timeout`,
    /// `deviceFlowConfig.timeout`) and not by the deadline of whichever call asked first.
    ///
    /// # Errors
    /// The flow's failure, with what the identity provider answered. Callers that waited on a
    /// failed acquisition get its failure too.
    pub async fn token(&self) -> Result<AccessToken> {
        if let Some(t) = self.current() {
            return Ok(t);
        }
        let seen = self.ended().0;
        let gate = Arc::clone(&self.inner.gate).lock_owned().await;
        if let Some(t) = self.current() {
            return Ok(t);
        }
        if let (ended, Some(failure)) = self.ended() {
            if ended != seen {
                return Err(failure);
            }
        }
        let this = self.clone();
        let task = tokio::spawn(async move {
            let outcome = this.acquire().await;
            if let Ok(mut ended) = this.inner.ended.lock() {
                ended.0 = ended.0.wrapping_add(1);
                ended.1 = outcome.as_ref().err().map(Error::duplicate);
            }
            drop(gate);
            outcome
        });
        task.await.unwrap_or_else(|e| {
            Err(Error::new(
                Kind::Protocol,
                self.inner.flow.name(),
                format!("the login task ended early: {e}"),
            ))
        })
    }

    /// How many acquisitions have ended, and a copy of the last one's failure.
    fn ended(&self) -> (u64, Option<Error>) {
        self.inner
            .ended
            .lock()
            .map_or((0, None), |e| (e.0, e.1.as_ref().map(Error::duplicate)))
    }

    /// The cache, a refresh, or a new login; called with the gate held.
    async fn acquire(&self) -> Result<AccessToken> {
        self.ready().await?;
        let key = self.cache_key().await?;
        let stale = self.inner.current.lock().ok().and_then(|c| c.clone());
        let cached = match (&key, &self.inner.cache) {
            (Some(k), Some(cache)) => cache.load(k),
            _ => None,
        };
        if let Some(fresh) = cached
            .as_ref()
            .filter(|t| t.is_fresh_at(self.inner.refresh_window, self.http().clock.now()))
        {
            return Ok(self.keep(fresh.clone(), key.as_ref(), false));
        }
        let refresh = [stale.as_ref(), cached.as_ref()]
            .into_iter()
            .flatten()
            .find_map(|t| t.refresh_token.clone());
        if let Some(refresh) = refresh {
            match self.refresh(&refresh).await {
                Ok(t) => return Ok(self.keep(t, key.as_ref(), true)),
                Err(e) => tracing::info!("refresh failed, logging in again: {e}"),
            }
        }
        let token = self.inner.flow.login(self).await?;
        Ok(self.keep(token, key.as_ref(), true))
    }

    fn keep(&self, token: AccessToken, key: Option<&CacheKey>, new: bool) -> AccessToken {
        if let (Some(k), Ok(mut slot)) = (key, self.inner.key.lock()) {
            *slot = Some(k.clone());
        }
        if new {
            self.inner.acquired.fetch_add(1, Ordering::SeqCst);
            if let (Some(k), Some(cache)) = (key, &self.inner.cache) {
                cache.store(k, &token);
            }
        }
        if let Ok(mut c) = self.inner.current.lock() {
            *c = Some(token.clone());
        }
        token
    }

    async fn cache_key(&self) -> Result<Option<CacheKey>> {
        if self.inner.cache.is_none() {
            return Ok(None);
        }
        Ok(Some(match &self.inner.flow {
            Flow::ClientSecret(f) => CacheKey::new(&self.inner.endpoint, &f.client_id),
            Flow::Pkce(_) | Flow::DeviceFlow(_) => {
                let m = self.require_metadata(self.inner.flow.name()).await?;
                CacheKey::new(&self.inner.endpoint, m.client_id)
            }
            Flow::ExternalCommand(_) => return Ok(None),
        }))
    }

    async fn refresh(&self, refresh: &Secret) -> Result<AccessToken> {
        let flow = self.inner.flow.name();
        let m = self.require_metadata(flow).await?;
        let client_id = match &self.inner.flow {
            Flow::ClientSecret(f) => f.client_id.clone(),
            _ => m.client_id.clone(),
        };
        let secret = match &self.inner.flow {
            Flow::ClientSecret(f) => Some(&f.secret),
            _ => None,
        };
        crate::oauth::refresh(
            self.http(),
            flow,
            &m.token_endpoint,
            &client_id,
            secret,
            refresh,
        )
        .await
    }

    /// The HTTP side the flows use.
    pub(crate) fn http(&self) -> &Http {
        self.inner.http.get().unwrap_or(&self.inner.plain)
    }

    /// How interactive flows reach the user.
    pub(crate) fn interaction(&self) -> &dyn Interaction {
        self.inner.interaction.as_ref()
    }
}
