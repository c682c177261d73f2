//! # tenantry-credentials
//!
//! How users prove who they are. This crate will hold argon2id password hashing and the
//! password policy, generated and one-time passwords, sealed PINs for PIN users,
//! purpose-bound tokens stored only as hashes, verification codes and attempt throttling.
//!
//! It is not written yet: see the credential-handling issue. Nothing here is public API.
