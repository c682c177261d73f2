//! Generated passwords (the agency's Generate button).

use rand::{CryptoRng, RngExt};

use crate::error::CredentialError;
use crate::policy::{PasswordPolicy, PolicyContext};
use crate::secret::Password;

/// Letters and digits without the look-alikes `0 O o 1 l I`: 56 symbols, about 5.8 bits each.
pub const UNAMBIGUOUS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

/// The length of generated passwords unless the policy asks for more: 20 characters, about
/// 116 bits.
pub const GENERATED_CHARS: usize = 20;

/// Generates a password from a CSPRNG over the unambiguous alphabet that meets `policy`
/// (long enough, not common, not repetitive, no context word).
pub fn generate_password(
    policy: &PasswordPolicy,
    context: &PolicyContext,
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<Password, CredentialError> {
    policy.validate()?;
    let len = GENERATED_CHARS.max(policy.min_chars).min(policy.max_chars);
    // A random 20-character string breaks a rule with negligible probability; a few tries
    // make certain, and a policy no random string can meet is an error, not a loop.
    for _ in 0..16 {
        let text: String = (0..len)
            .map(|_| char::from(UNAMBIGUOUS[rng.random_range(0..UNAMBIGUOUS.len())]))
            .collect();
        let candidate = Password::new(text);
        if policy.check(&candidate, context).is_ok() {
            return Ok(candidate);
        }
    }
    Err(CredentialError::InvalidSetting(
        "no generated password meets the policy",
    ))
}
