//! A test certificate authority and a server certificate it signed, for `localhost` and
//! `127.0.0.1`, valid until 2126. For tests only: the private key is public.
//!
//! [`TestAdminBuilder::tls_test_certificate`](crate::TestAdminBuilder::tls_test_certificate)
//! serves with them; clients trust [`CA_PEM`] (flytectl's `caCertFilePath`).

/// The CA certificate (PEM).
pub const CA_PEM: &str = include_str!("../tls/ca.pem");
/// The server certificate (PEM), for `localhost` and `127.0.0.1`.
pub const SERVER_CERT_PEM: &str = include_str!("../tls/server.pem");
/// The server's private key (PKCS#8 PEM).
pub const SERVER_KEY_PEM: &str = include_str!("../tls/server.key");
