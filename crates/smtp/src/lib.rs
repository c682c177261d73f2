//! # tenantry-smtp
//!
//! The tenantry [`Mailer`] over SMTP, with [lettre](https://lettre.rs) on tokio and rustls.
//!
//! - **Security**: [`Security::StartTls`] (port 587, the default) and
//!   [`Security::ImplicitTls`] (port 465) verify the server's certificate against the
//!   Mozilla roots, plus any root the host adds (a company relay's own CA);
//!   [`Security::Plain`] sends in the clear and is meant for a relay on loopback only:
//!   with credentials it is refused for any other host ([`SmtpError::PlainCredentials`]).
//! - **Authentication**: PLAIN or LOGIN with the configured user and password, which never
//!   appear in `Debug` output.
//! - **Messages**: `From` is the configured sender; the recipient's name and the subject are
//!   encoded as RFC 2047 words when not ASCII; a message with HTML is `multipart/alternative`
//!   with the text first. The `Message-ID` is derived from the message's idempotency key, so
//!   a retried message carries the same id and receivers can tell a resend from a new one.
//! - **No header injection**: a recipient name or subject containing CR or LF is refused
//!   with a permanent error before anything is sent.
//! - **Failures**: 4xx replies, timeouts, refused connections and TLS failures are
//!   [`DeliveryError::Retryable`] (the outbox tries again later); 5xx replies and bad
//!   addresses are [`DeliveryError::Permanent`] (it stops).
//!
//! ```no_run
//! use std::sync::Arc;
//! use tenantry::Mailer;
//! use tenantry_smtp::{SmtpConfig, SmtpMailer};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = SmtpConfig::new("smtp.example.com", "Acme <no-reply@acme.example>")?;
//! config.credentials("no-reply@acme.example", "app password");
//! let mailer: Arc<dyn Mailer> = Arc::new(SmtpMailer::new(config)?);
//! // Hand `mailer` to `tenantry::dispatch` with the store; it delivers the outbox.
//! # Ok(())
//! # }
//! ```
//!
//! ## SMS
//!
//! tenantry sends SMS (activation codes, links for users with a phone) through the
//! [`SmsSender`](tenantry::SmsSender) trait; SMS providers differ, so the host implements it
//! over its provider's API and hands it to `tenantry::dispatch` beside the mailer. Report a
//! provider's "try later" answers as retryable and "invalid number" as permanent:
//!
//! ```
//! use tenantry::{DeliveryError, SmsMessage, SmsSender};
//!
//! struct MyProvider; // holds the provider's HTTP client and API key
//!
//! #[async_trait::async_trait]
//! impl SmsSender for MyProvider {
//!     async fn send(&self, message: &SmsMessage) -> Result<(), DeliveryError> {
//!         // POST message.to and message.text to the provider, passing
//!         // message.idempotency_key where the provider de-duplicates on one.
//!         let status = 202; // the provider's answer
//!         match status {
//!             200..=299 => Ok(()),
//!             429 | 500..=599 => Err(DeliveryError::Retryable(format!("provider said {status}"))),
//!             _ => Err(DeliveryError::Permanent(format!("provider said {status}"))),
//!         }
//!     }
//! }
//! ```

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::{Digest, Sha256};
use tenantry::{DeliveryError, EmailMessage, Mailer};
use zeroize::Zeroizing;

/// How the connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Security {
    /// Connect in the clear, then require STARTTLS before anything else (port 587).
    #[default]
    StartTls,
    /// TLS from the first byte (port 465).
    ImplicitTls,
    /// No TLS at all: only for a relay on the same host or a test server.
    Plain,
}

impl Security {
    /// The usual port.
    pub fn default_port(self) -> u16 {
        match self {
            Security::StartTls => 587,
            Security::ImplicitTls => 465,
            Security::Plain => 25,
        }
    }
}

/// A configuration that cannot work.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SmtpError {
    /// The sender is not a valid mailbox (`Name <address>` or `address`).
    #[error("the sender is not a valid mailbox")]
    InvalidSender,
    /// The host name is empty or has whitespace.
    #[error("the SMTP host is not a host name")]
    InvalidHost,
    /// A root certificate is not valid PEM.
    #[error("a root certificate could not be read")]
    InvalidCertificate,
    /// TLS could not be set up.
    #[error("TLS could not be set up: {0}")]
    Tls(String),
    /// Credentials would cross the network in the clear: [`Security::Plain`] with
    /// credentials is only for a relay on this machine (`localhost`, a loopback address).
    #[error("credentials are only sent over TLS, or in the clear to a relay on loopback")]
    PlainCredentials,
}

/// Where and how to send.
#[derive(Clone)]
pub struct SmtpConfig {
    /// The server's host name (also the name its certificate must carry).
    pub host: String,
    /// The port; `None` for the security mode's usual one.
    pub port: Option<u16>,
    /// STARTTLS, implicit TLS or plain.
    pub security: Security,
    /// The sender of every message.
    pub from: Mailbox,
    /// How long to wait for the server at each step.
    pub timeout: Duration,
    /// The name to greet the server with (EHLO); `None` for this machine's host name.
    pub hello_name: Option<String>,
    /// PEM root certificates to trust besides the Mozilla roots.
    pub extra_roots: Vec<Vec<u8>>,
    credentials: Option<(String, Zeroizing<String>)>,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("from", &self.from.to_string())
            .field("timeout", &self.timeout)
            .field(
                "credentials",
                &self
                    .credentials
                    .as_ref()
                    .map(|(user, _)| (user, "<redacted>")),
            )
            .finish_non_exhaustive()
    }
}

impl SmtpConfig {
    /// STARTTLS to `host` on port 587, sending as `from` (`"Acme <no-reply@acme.example>"`
    /// or a bare address), with a 30-second timeout and no authentication.
    pub fn new(host: &str, from: &str) -> Result<Self, SmtpError> {
        let host = host.trim();
        if host.is_empty() || host.chars().any(char::is_whitespace) {
            return Err(SmtpError::InvalidHost);
        }
        if from.contains(['\r', '\n']) {
            return Err(SmtpError::InvalidSender);
        }
        let from: Mailbox = from.parse().map_err(|_| SmtpError::InvalidSender)?;
        Ok(Self {
            host: host.to_owned(),
            port: None,
            security: Security::StartTls,
            from,
            timeout: Duration::from_secs(30),
            hello_name: None,
            extra_roots: Vec::new(),
            credentials: None,
        })
    }

    /// Authenticates as `user` with `password`.
    pub fn credentials(&mut self, user: &str, password: &str) -> &mut Self {
        self.credentials = Some((user.to_owned(), Zeroizing::new(password.to_owned())));
        self
    }
}

/// The [`Mailer`] over SMTP. Each message opens its own connection: lettre's connection pool
/// needs a running tokio runtime from construction on and panics without one, which a
/// library type must not; one connection per message is ample for an outbox.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    id_domain: String,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for `config`. Nothing connects until the first message.
    pub fn new(config: SmtpConfig) -> Result<Self, SmtpError> {
        if config.security == Security::Plain
            && config.credentials.is_some()
            && !is_loopback(&config.host)
        {
            return Err(SmtpError::PlainCredentials);
        }
        let tls = match config.security {
            Security::Plain => Tls::None,
            Security::StartTls => Tls::Required(tls_parameters(&config)?),
            Security::ImplicitTls => Tls::Wrapper(tls_parameters(&config)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port.unwrap_or(config.security.default_port()))
            .tls(tls)
            .timeout(Some(config.timeout));
        if let Some(name) = &config.hello_name {
            builder = builder.hello_name(ClientId::Domain(name.clone()));
        }
        if let Some((user, password)) = &config.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.to_string()));
        }
        Ok(Self {
            transport: builder.build(),
            id_domain: config.from.email.domain().to_owned(),
            from: config.from,
        })
    }

    /// The message as it goes on the wire, or why it may not be sent.
    fn build(&self, m: &EmailMessage) -> Result<Message, DeliveryError> {
        let line_break = |s: &str| s.contains(['\r', '\n']);
        if line_break(&m.subject) || m.to_name.as_deref().is_some_and(line_break) {
            return Err(DeliveryError::Permanent(
                "a header value contains a line break".into(),
            ));
        }
        let address: Address =
            m.to.parse()
                .map_err(|_| DeliveryError::Permanent("the recipient address is invalid".into()))?;
        let to = Mailbox::new(m.to_name.clone(), address);
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .message_id(Some(message_id(&m.idempotency_key, &self.id_domain)));
        let built = match &m.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                m.text.clone(),
                html.clone(),
            )),
            None => builder.header(ContentType::TEXT_PLAIN).body(m.text.clone()),
        };
        built.map_err(|e| DeliveryError::Permanent(format!("the message could not be built: {e}")))
    }
}

/// Whether `host` names this machine: `localhost` or a loopback address.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn tls_parameters(config: &SmtpConfig) -> Result<TlsParameters, SmtpError> {
    let mut builder = TlsParameters::builder(config.host.clone());
    for pem in &config.extra_roots {
        // lettre reads a PEM without any certificate as an empty list: refuse it here, or a
        // wrong file would silently trust nothing extra.
        let has_certificate = pem
            .windows(b"-----BEGIN CERTIFICATE-----".len())
            .any(|w| w == b"-----BEGIN CERTIFICATE-----");
        if !has_certificate {
            return Err(SmtpError::InvalidCertificate);
        }
        let cert = Certificate::from_pem(pem).map_err(|_| SmtpError::InvalidCertificate)?;
        builder = builder.add_root_certificate(cert);
    }
    builder
        .build_rustls()
        .map_err(|e| SmtpError::Tls(e.to_string()))
}

/// `<hash@domain>`: the same key gives the same id on every attempt.
fn message_id(key: &str, domain: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("<{hex}@{domain}>")
}

/// What an SMTP failure means for the outbox.
fn classify(err: &lettre::transport::smtp::Error) -> DeliveryError {
    let text = match err.status() {
        Some(code) => format!("the server answered {code}"),
        None => err.to_string(),
    };
    if err.is_permanent() {
        DeliveryError::Permanent(text)
    } else if err.is_client() {
        // A message lettre refused to send: sending it again cannot help.
        DeliveryError::Permanent(text)
    } else {
        // 4xx, timeouts, refused or dropped connections, TLS failures (a certificate being
        // renewed, a misconfiguration an operator can fix): try again later.
        DeliveryError::Retryable(text)
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, message: &EmailMessage) -> Result<(), DeliveryError> {
        let built = self.build(message)?;
        self.transport
            .send(built)
            .await
            .map(|_| ())
            .map_err(|e| classify(&e))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn message_ids_follow_the_idempotency_key() {
        let a = message_id("invitation/1/2", "acme.example");
        assert_eq!(a, message_id("invitation/1/2", "acme.example"));
        assert_ne!(a, message_id("invitation/1/3", "acme.example"));
        assert!(a.starts_with('<') && a.ends_with("@acme.example>"));
    }

    #[test]
    fn bad_configurations_are_refused() {
        assert!(matches!(
            SmtpConfig::new("", "a@b.example"),
            Err(SmtpError::InvalidHost)
        ));
        assert!(matches!(
            SmtpConfig::new("smtp.example", "not an address"),
            Err(SmtpError::InvalidSender)
        ));
        assert!(matches!(
            SmtpConfig::new("smtp.example", "Eve <eve@example.com>\r\nBcc: x@y.example"),
            Err(SmtpError::InvalidSender)
        ));
        let mut config = SmtpConfig::new("smtp.example", "a@b.example").unwrap();
        config.extra_roots.push(b"not pem".to_vec());
        assert!(matches!(
            SmtpMailer::new(config),
            Err(SmtpError::InvalidCertificate)
        ));
    }

    #[test]
    fn credentials_never_cross_the_network_in_the_clear() {
        let config = |host: &str, security| {
            let mut c = SmtpConfig::new(host, "a@b.example").unwrap();
            c.security = security;
            c.credentials("user", "hunter2-secret");
            c
        };
        for host in ["smtp.example", "192.0.2.10", "10.0.0.1"] {
            assert!(
                matches!(
                    SmtpMailer::new(config(host, Security::Plain)),
                    Err(SmtpError::PlainCredentials)
                ),
                "{host}"
            );
        }
        for host in ["localhost", "127.0.0.1", "::1", "[::1]"] {
            assert!(
                SmtpMailer::new(config(host, Security::Plain)).is_ok(),
                "{host}"
            );
        }
        assert!(SmtpMailer::new(config("smtp.example", Security::StartTls)).is_ok());
        let mut no_credentials = SmtpConfig::new("smtp.example", "a@b.example").unwrap();
        no_credentials.security = Security::Plain;
        assert!(SmtpMailer::new(no_credentials).is_ok());
    }

    #[test]
    fn debug_output_hides_the_password() {
        let mut config = SmtpConfig::new("smtp.example", "a@b.example").unwrap();
        config.credentials("user", "hunter2-secret");
        let shown = format!("{config:?}");
        assert!(
            shown.contains("user") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
