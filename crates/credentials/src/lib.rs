//! # tenantry-credentials
//!
//! How users prove who they are, secure by default: argon2id password hashing and a
//! NIST SP 800-63B-4 password policy, generated passwords, one-time passwords, sealed PINs for
//! PIN users, purpose-bound tokens for links, verification codes, and throttling of failed
//! sign-ins. Pure apart from the CPU cost of hashing: time and randomness are arguments.
//!
//! Every secret is a wrapped type ([`Password`], [`Pin`], [`RawToken`], [`Code`], [`Link`]):
//! `Debug` and `Display` print `[redacted]`, the memory is zeroized on drop, and equality is
//! constant-time. Secrets are stored only as hashes — except PINs, which are sealed; the
//! section below explains that deviation and its mitigations.
//!
//! | what | default | source |
//! | --- | --- | --- |
//! | password hash | argon2id, m=19456 KiB, t=2, p=1, 16-byte salt | OWASP Password Storage |
//! | password length | 15 to 128 characters, NFKC, no composition rules | NIST SP 800-63B-4 §3.1.1.2 |
//! | blocklist | 19,640 common passwords, also with digits/symbols appended | NIST SP 800-63B-4 |
//! | tokens | 256 random bits, SHA-256 at rest, single use (the notification-settings link: reusable, it only changes optional mail); reset 1 h, invitation 7 d, automatic login 15 min, registration and settings 30 d | ASVS 5.0 V6/V7 |
//! | codes | 6 digits, 10 min, 5 attempts | NIST SP 800-63B-4 §3.1.3 |
//! | PINs | 8 digits, sealed (XChaCha20-Poly1305), locked after 10 failures | the social intranet (deviation) |
//! | throttle | 5 free, then 1 s doubling to 15 min, lock 1 h after 20 | Keycloak, Kanidm |
//!
//! ## Why PINs are sealed, not hashed
//!
//! OWASP ASVS 5.0 (V6, authentication) and NIST SP 800-63B-4 want memorised secrets stored
//! only as salted, slow hashes. The social intranet asks for something a hash cannot give: an admin can
//! export every PIN user's PIN at any time, as CSV or XLSX, to hand it over "using a secure
//! method". So a PIN is stored **sealed**: encrypted with XChaCha20-Poly1305 under a 256-bit
//! key the host supplies (from its secret store, never the database), with the user's id as
//! associated data so a sealed PIN cannot be moved to another user. This is a deliberate
//! deviation, and these mitigations bound it:
//!
//! - a PIN only lets its user set or reset their password together with the placeholder
//!   email; it is never a way to sign in by itself;
//! - a stolen database without the key yields no PIN; the key never sits beside the data;
//! - verification compares in constant time, counts failures, and locks the PIN after
//!   [`MAX_PIN_FAILURES`] until an admin resets it (which issues a new PIN);
//! - the PIN is 8 random digits by default (at least 6), from a CSPRNG;
//! - `Pin` is a wrapped secret: redacted in `Debug`, zeroized on drop.
//!
//! ## Example
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use rand::SeedableRng;
//! use tenantry_credentials::*;
//!
//! # fn main() -> Result<(), CredentialError> {
//! let mut rng = rand::rngs::StdRng::seed_from_u64(7); // use an OS-seeded CSPRNG in production
//! let policy = PasswordPolicy::default();
//! let mut context = PolicyContext::new();
//! context.add(ContextKind::Name, "Jürgen Weiß");
//!
//! // The agency's Generate button.
//! let password = generate_password(&policy, &context, &mut rng)?;
//! policy.check(&password, &context)?;
//! assert_eq!(format!("{password:?}"), "Password([redacted])");
//!
//! // Cheap parameters keep this example fast; production uses HashParams::OWASP.
//! let hash = hash_password(&password, &HashParams::INSECURE_FAST_FOR_TESTS, &mut rng)?;
//! assert!(verify_password(&password, &hash)?);
//! assert!(!verify_password(&Password::new("not the password at all"), &hash)?);
//! assert!(hash.needs_rehash(&HashParams::OWASP));
//!
//! // A password-reset link: the raw token goes in the mail, the record into the store.
//! let now = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
//! let user = tenantry_identity::UserId::generate(now, &mut rng);
//! let purpose = TokenPurpose::PasswordReset;
//! let (raw, mut record) = issue_token(purpose, user, now, purpose.default_ttl(), None, &mut rng)?;
//! let link = LinkBuilder::new("https://app.example.com")?.link(purpose, &raw);
//! assert!(link.expose().starts_with("https://app.example.com/password-reset/"));
//! assert_eq!(record.redeem(&raw, purpose, None, now)?, user);
//! assert!(record.redeem(&raw, purpose, None, now).is_err()); // single use
//! # Ok(())
//! # }
//! ```

mod code;
mod error;
mod generate;
mod otp;
mod password;
mod pin;
mod policy;
mod secret;
mod throttle;
mod token;

pub use code::{CodeChannel, CodeRecord, CodeSettings, MAX_CODE_ATTEMPTS, MAX_CODE_TTL_SECS};
pub use error::CredentialError;
pub use generate::{GENERATED_CHARS, UNAMBIGUOUS, generate_password};
pub use otp::{MustSetPassword, OneTimePassword};
pub use password::{
    HashParams, MAX_PASSWORD_BYTES, PasswordHash, SALT_BYTES, dummy_hash, hash_password,
    verify_password,
};
pub use pin::{
    DEFAULT_PIN_DIGITS, MAX_PIN_DIGITS, MAX_PIN_FAILURES, MIN_PIN_DIGITS, Pin, PinKey, PinRecord,
    SealedPin,
};
pub use policy::{ContextKind, PasswordPolicy, PolicyContext, PolicyViolation};
pub use secret::{Code, Password, RawToken};
pub use throttle::{Attempts, ThrottleDecision, ThrottlePolicy, attempt_key};
pub use token::{
    Link, LinkBuilder, TOKEN_BYTES, TokenHash, TokenPurpose, TokenRecord, issue_token,
};
