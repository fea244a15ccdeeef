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

/// Prints to stderr and, unless told not to, opens a browser: the program named by `$BROWSER`
/// when set (as many Unix tools do), else the platform's opener when a display is likely.
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

/// Whether a graphical browser is plausibly there to open.
fn has_display() -> bool {
    if cfg!(target_os = "macos") || cfg!(windows) {
        return true;
    }
    std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

fn open(url: &str) -> bool {
    let attempt = if cfg!(target_os = "macos") {
        std::process::Command::new("open").arg(url).status()
    } else if cfg!(windows) {
        std::process::Command::new("cmd")
            .args(["/C", "start", "", url])
            .status()
    } else {
        std::process::Command::new("xdg-open").arg(url).status()
    };
    attempt.is_ok_and(|s| s.success())
}

/// Starts `$BROWSER url` without waiting: the browser must reach the login callback, which is
/// served while this process waits.
fn open_with_browser_var(program: &str, url: &str) -> bool {
    match std::process::Command::new(program).arg(url).spawn() {
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
            true
        }
        Err(_) => false,
    }
}

impl Interaction for Terminal {
    fn authorize(&self, url: &str) {
        eprintln!("To log in to Flyte, open this URL in a browser:\n\n    {url}\n");
        if !self.open_browser {
            return;
        }
        let opened = match std::env::var("BROWSER") {
            Ok(program) if !program.trim().is_empty() => open_with_browser_var(program.trim(), url),
            _ => has_display() && open(url),
        };
        if !opened {
            eprintln!("(could not open a browser; open the URL yourself)");
        }
    }

    fn device_code(&self, verification_uri: &str, user_code: &str, complete_uri: Option<&str>) {
        eprintln!("To log in to Flyte, visit {verification_uri} and enter the code {user_code}");
        if let Some(uri) = complete_uri {
            eprintln!("(or open {uri})");
        }
    }
}
