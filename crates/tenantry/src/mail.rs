//! Delivery: the Mailer and SmsSender traits the host implements (or takes from
//! `tenantry-smtp`), and the messages handed to them.

use std::fmt;

use async_trait::async_trait;

/// A rendered email.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailMessage {
    /// The recipient's address.
    pub to: String,
    /// The recipient's name, if known.
    pub to_name: Option<String>,
    /// The subject.
    pub subject: String,
    /// The plain text body.
    pub text: String,
    /// The HTML body.
    pub html: Option<String>,
    /// The same for every attempt at this message: derive the Message-ID from it.
    pub idempotency_key: String,
}

impl fmt::Debug for EmailMessage {
    // Bodies carry links with tokens: never print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailMessage")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("idempotency_key", &self.idempotency_key)
            .finish_non_exhaustive()
    }
}

/// A rendered SMS.
#[derive(Clone, PartialEq, Eq)]
pub struct SmsMessage {
    /// The number, E.164.
    pub to: String,
    /// The text.
    pub text: String,
    /// The same for every attempt at this message.
    pub idempotency_key: String,
}

impl fmt::Debug for SmsMessage {
    // The text carries a code or a link: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsMessage")
            .field("to", &self.to)
            .field("idempotency_key", &self.idempotency_key)
            .finish_non_exhaustive()
    }
}

/// Why a delivery failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// Temporary (a 4xx reply, a timeout, a connection refused): the outbox retries later.
    #[error("temporary delivery failure: {0}")]
    Retryable(String),
    /// Permanent (a 5xx reply, a bad address): the outbox stops retrying.
    #[error("permanent delivery failure: {0}")]
    Permanent(String),
}

impl DeliveryError {
    /// Whether trying again may help.
    pub fn is_retryable(&self) -> bool {
        matches!(self, DeliveryError::Retryable(_))
    }
}

/// Sends email.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends `message`; must be safe to call again with the same idempotency key.
    async fn send(&self, message: &EmailMessage) -> Result<(), DeliveryError>;
}

/// Sends SMS, through whatever provider the host uses.
#[async_trait]
pub trait SmsSender: Send + Sync {
    /// Sends `message`; must be safe to call again with the same idempotency key.
    async fn send(&self, message: &SmsMessage) -> Result<(), DeliveryError>;
}
