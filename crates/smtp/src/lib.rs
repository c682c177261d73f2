//! # tenantry-smtp
//!
//! The tenantry `Mailer` over SMTP with lettre: TLS modes, authentication, multipart
//! messages and retryable versus permanent failures.
//!
//! It is not written yet: see the SMTP-delivery issue. Nothing here is public API.
