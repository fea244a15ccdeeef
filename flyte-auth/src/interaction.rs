//! How interactive logins reach a person: the PKCE URL and the device code. Pluggable, so tests
//! and headless tools can complete the flow themselves.

use std::fmt;

/// Shows interactive logins to a person (or a script).
pub trait Interaction: Send + Sync + fmt::Debug {
    /// PKCE: the user must open `url`. Called once per login.
    fn authorize(&self, url: &str);

    /// Device flow: the user must visit `verification_uri` and enter `user_code`.
    /// `complete_uri` already contains the code, when the provider gives one.
    fn device_code(&self, verification_uri: &str, user_code: &str, complete_uri: Option<&str>);
}

/// Prints to stderr and, unless told not to, opens a browser with the `webbrowser` crate (which
/// honours `$BROWSER`, and never goes through a shell). The URL is always printed first; only
/// `https://` URLs, or `http://` ones on this machine, are ever opened, whatever the server
/// advertised.
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    open_browser: bool,
}

impl Terminal {
    /// Prints and opens a browser when possible.
    pub fn new() -> Self {
        Terminal { open_browser: true }
    }

    /// Only prints: for SSH sessions and containers.
    pub fn no_browser() -> Self {
        Terminal {
            open_browser: false,
        }
    }
}

impl Default for Terminal {
    fn default() -> Self {
        Terminal::new()
    }
}

/// Whether a browser may be opened on `url`: `https://`, or `http://` to a loopback host. Any
/// other scheme a server names (`file:`, a custom handler, `javascript:`) is never handed to the
/// platform's opener.
pub(crate) fn may_open(url: &str) -> bool {
    match oauth2::url::Url::parse(url) {
        Ok(u) if u.scheme() == "https" => true,
        Ok(u) if u.scheme() == "http" => crate::oauth::is_loopback(&u),
        _ => false,
    }
}

/// Whether a browser is plausibly there to open: `$BROWSER` names one, or a graphical session
/// is (without either, `webbrowser` would start a text browser in this terminal).
fn has_browser() -> bool {
    if cfg!(target_os = "macos") || cfg!(windows) {
        return true;
    }
    ["BROWSER", "DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()))
}

/// Opens `url` on a thread of its own: a text browser runs in the foreground until the user
/// quits it, and the login callback must be served meanwhile.
fn open(url: &str) {
    let url = url.to_owned();
    let spawned = std::thread::Builder::new()
        .name("flyte-auth-browser".to_owned())
        .spawn(move || {
            if let Err(e) = webbrowser::open(&url) {
                eprintln!("(could not open a browser: {e}; open the URL yourself)");
            }
        });
    if spawned.is_err() {
        eprintln!("(could not open a browser; open the URL yourself)");
    }
}

impl Interaction for Terminal {
    fn authorize(&self, url: &str) {
        eprintln!("To log in to Flyte, open this URL in a browser:\n\n    {url}\n");
        if !self.open_browser {
            return;
        }
        if !has_browser() {
            eprintln!("(no browser here; open the URL yourself)");
        } else if may_open(url) {
            open(url);
        } else {
            eprintln!("(not opening a browser on a URL that is neither https nor on this machine)");
        }
    }

    fn device_code(&self, verification_uri: &str, user_code: &str, complete_uri: Option<&str>) {
        eprintln!("To log in to Flyte, visit {verification_uri} and enter the code {user_code}");
        if let Some(uri) = complete_uri {
            eprintln!("(or open {uri})");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_this_machine_is_opened() {
        for ok in [
            "https://idp.example.com/authorize?a=1&b=2",
            "http://127.0.0.1:8080/authorize",
            "http://localhost/authorize",
        ] {
            assert!(may_open(ok), "{ok}");
        }
        for refused in [
            "http://idp.example.com/authorize",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "ms-settings:&calc",
            "",
            "calc.exe",
        ] {
            assert!(!may_open(refused), "{refused}");
        }
    }
}
