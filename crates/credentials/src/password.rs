//! Password hashing with argon2id, stored as PHC strings.

use std::fmt;

use argon2::password_hash::PasswordHasher as _;
use argon2::password_hash::PasswordVerifier as _;
use argon2::password_hash::phc::PasswordHash as Phc;
use argon2::{Algorithm, Argon2, Params, Version};
use rand::CryptoRng;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::error::CredentialError;
use crate::secret::Password;

/// The hard cap on a password's length in bytes, before any policy. Longer input is refused
/// (never truncated), so a megabyte "password" cannot tie up the CPU.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Bytes of random salt per hash.
pub const SALT_BYTES: usize = 16;

/// argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashParams {
    /// Memory in KiB.
    pub m_cost: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Parallelism.
    pub p_cost: u32,
}

impl HashParams {
    /// OWASP's recommended minimum for argon2id: 19 MiB, 2 iterations, 1 lane. The default.
    pub const OWASP: HashParams = HashParams {
        m_cost: 19_456,
        t_cost: 2,
        p_cost: 1,
    };

    /// The most a stored hash may ask for before verification refuses it (256 MiB, 16
    /// iterations, 16 lanes): a tampered record cannot make a sign-in allocate gigabytes.
    pub const VERIFY_LIMIT: HashParams = HashParams {
        m_cost: 262_144,
        t_cost: 16,
        p_cost: 16,
    };

    /// **Insecure — for tests only.** The cheapest parameters argon2 accepts, so test suites
    /// that hash thousands of passwords stay fast. Never use in production.
    pub const INSECURE_FAST_FOR_TESTS: HashParams = HashParams {
        m_cost: 8,
        t_cost: 1,
        p_cost: 1,
    };

    fn argon2(&self) -> Result<Argon2<'static>, CredentialError> {
        let params = Params::new(self.m_cost, self.t_cost, self.p_cost, None)
            .map_err(|_| CredentialError::InvalidParameters)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Whether every cost is at least `other`'s.
    pub fn at_least(&self, other: &HashParams) -> bool {
        self.m_cost >= other.m_cost && self.t_cost >= other.t_cost && self.p_cost >= other.p_cost
    }
}

impl Default for HashParams {
    fn default() -> Self {
        HashParams::OWASP
    }
}

/// A stored password hash: an argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
/// Holds no secret; safe to store and log.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Reads a stored PHC string; it must be argon2id with a salt and an output.
    pub fn parse(phc: &str) -> Result<Self, CredentialError> {
        let parsed = Phc::new(phc).map_err(|_| CredentialError::MalformedHash)?;
        if parsed.algorithm.as_str() != "argon2id" {
            return Err(CredentialError::UnsupportedAlgorithm);
        }
        if parsed.salt.is_none() || parsed.hash.is_none() {
            return Err(CredentialError::MalformedHash);
        }
        Params::try_from(&parsed).map_err(|_| CredentialError::MalformedHash)?;
        Ok(Self(phc.to_owned()))
    }

    /// The PHC string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The cost parameters it was made with.
    pub fn params(&self) -> Result<HashParams, CredentialError> {
        let parsed = Phc::new(&self.0).map_err(|_| CredentialError::MalformedHash)?;
        let p = Params::try_from(&parsed).map_err(|_| CredentialError::MalformedHash)?;
        Ok(HashParams {
            m_cost: p.m_cost(),
            t_cost: p.t_cost(),
            p_cost: p.p_cost(),
        })
    }

    /// Whether the hash should be recomputed with `policy` at the next successful sign-in:
    /// its parameters fall below the policy's (or cannot be read).
    pub fn needs_rehash(&self, policy: &HashParams) -> bool {
        self.params().map_or(true, |p| !p.at_least(policy))
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PasswordHash({:?})", self.0)
    }
}

impl TryFrom<String> for PasswordHash {
    type Error = CredentialError;
    fn try_from(s: String) -> Result<Self, CredentialError> {
        Self::parse(&s)
    }
}

impl From<PasswordHash> for String {
    fn from(h: PasswordHash) -> String {
        h.0
    }
}

/// The bytes that get hashed: the NFKC normal form (NIST SP 800-63B-4 §3.1.1.2), so the
/// same password typed on different keyboards matches. Refuses input over the cap.
pub(crate) fn normalized(password: &Password) -> Result<Zeroizing<String>, CredentialError> {
    if password.expose().len() > MAX_PASSWORD_BYTES {
        return Err(CredentialError::PasswordTooLong {
            max: MAX_PASSWORD_BYTES,
        });
    }
    let norm = Zeroizing::new(password.expose().nfkc().collect::<String>());
    if norm.len() > MAX_PASSWORD_BYTES * 3 {
        return Err(CredentialError::PasswordTooLong {
            max: MAX_PASSWORD_BYTES,
        });
    }
    Ok(norm)
}

/// Hashes `password` with argon2id, `params` and a fresh salt from `rng`.
///
/// CPU- and memory-bound (tens of milliseconds at [`HashParams::OWASP`]): async callers run
/// it off the executor.
pub fn hash_password(
    password: &Password,
    params: &HashParams,
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<PasswordHash, CredentialError> {
    let input = normalized(password)?;
    let mut salt = [0u8; SALT_BYTES];
    rng.fill_bytes(&mut salt);
    let phc = params
        .argon2()?
        .hash_password_with_salt(input.as_bytes(), &salt)
        .map_err(|_| CredentialError::InvalidParameters)?;
    Ok(PasswordHash(phc.to_string()))
}

/// Whether `password` matches `hash`, compared in constant time. A mismatch is `Ok(false)`;
/// errors are for input over the cap and stored hashes that are malformed or too costly.
pub fn verify_password(password: &Password, hash: &PasswordHash) -> Result<bool, CredentialError> {
    let input = normalized(password)?;
    let params = hash.params()?;
    let limit = HashParams::VERIFY_LIMIT;
    if !limit.at_least(&params) {
        return Err(CredentialError::ParametersTooCostly);
    }
    let parsed = Phc::new(hash.as_str()).map_err(|_| CredentialError::MalformedHash)?;
    match params.argon2()?.verify_password(input.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(_) => Err(CredentialError::MalformedHash),
    }
}

/// A hash of a random password, to verify against when the account does not exist, so an
/// unknown identifier costs the same time as a known one (no user enumeration by timing).
pub fn dummy_hash(
    params: &HashParams,
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<PasswordHash, CredentialError> {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes);
    hash_password(&Password::new(crate::secret::hex(&bytes)), params, rng)
}
