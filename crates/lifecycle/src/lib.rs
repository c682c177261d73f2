//! # tenantry-lifecycle
//!
//! How an account moves through its life, and who may move it. This crate will hold the
//! account state machine (created, invited, pending approval, active, inactive, blocked,
//! deleted), invitations with expiry and resend, sign-up policies and department sign-up
//! links, and the rules of which actor may make which transition.
//!
//! It is not written yet: see the account-lifecycle issue. Nothing here is public API.
