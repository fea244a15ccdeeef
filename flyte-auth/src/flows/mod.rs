//! The login flows, one per file, and the [`Flow`] that names the one a handle uses.

pub(crate) mod callback;
mod client_secret;
mod device;
mod external_command;
mod pkce;

pub use client_secret::ClientSecret;
pub use device::DeviceFlow;
pub(crate) use external_command::run_command;
pub use external_command::ExternalCommand;
pub use pkce::Pkce;

use crate::credentials::Credentials;
use crate::error::Result;
use crate::token::AccessToken;

/// How a token is obtained. Build one from a flow's type: `ClientSecret::new(..).into()`, or
/// pass the flow itself where an `impl Into<Flow>` is taken.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Flow {
    /// OAuth2 client credentials.
    ClientSecret(ClientSecret),
    /// Authorization code with PKCE, in a browser.
    Pkce(Pkce),
    /// RFC 8628 device authorization.
    DeviceFlow(DeviceFlow),
    /// A command that prints a token.
    ExternalCommand(ExternalCommand),
}

impl Flow {
    /// The flow's name in errors and logs.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Flow::ClientSecret(_) => "client credentials",
            Flow::Pkce(_) => "PKCE",
            Flow::DeviceFlow(_) => "device flow",
            Flow::ExternalCommand(_) => "external command",
        }
    }

    /// A new token from the identity provider or the command (no cache, no refresh).
    pub(crate) async fn login(&self, creds: &Credentials) -> Result<AccessToken> {
        match self {
            Flow::ClientSecret(f) => f.login(creds).await,
            Flow::Pkce(f) => f.login(creds).await,
            Flow::DeviceFlow(f) => f.login(creds).await,
            Flow::ExternalCommand(f) => f.login().await,
        }
    }
}

impl From<ClientSecret> for Flow {
    fn from(f: ClientSecret) -> Self {
        Flow::ClientSecret(f)
    }
}

impl From<Pkce> for Flow {
    fn from(f: Pkce) -> Self {
        Flow::Pkce(f)
    }
}

impl From<DeviceFlow> for Flow {
    fn from(f: DeviceFlow) -> Self {
        Flow::DeviceFlow(f)
    }
}

impl From<ExternalCommand> for Flow {
    fn from(f: ExternalCommand) -> Self {
        Flow::ExternalCommand(f)
    }
}
