//! # tenantry
//!
//! The directory service host applications call. This crate will hold the `Store`,
//! `Mailer` and `SmsSender` traits, the `Directory` use cases that tie the domain crates
//! together, atomic changesets, the notification outbox, audit events, an in-memory
//! reference store and a conformance suite for store implementations.
//!
//! It is not written yet: see the directory-service issue. Nothing here is public API.
