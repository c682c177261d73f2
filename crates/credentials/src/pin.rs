//! PINs of PIN users (social intranet), sealed so they can be exported again.
//!
//! See the crate docs, "Why PINs are sealed, not hashed".

use rand::{CryptoRng, RngExt};
use serde::{Deserialize, Serialize};
use tenantry_identity::UserId;
use zeroize::{Zeroize, ZeroizeOnDrop};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::error::CredentialError;
use crate::secret::{ct_eq_str, hex, secret_type, unhex};

/// Fewest digits of a PIN.
pub const MIN_PIN_DIGITS: usize = 6;
/// Most digits of a PIN.
pub const MAX_PIN_DIGITS: usize = 12;
/// Default PIN length.
pub const DEFAULT_PIN_DIGITS: usize = 8;
/// Failed attempts after which a PIN locks until an admin resets it.
pub const MAX_PIN_FAILURES: u32 = 10;

secret_type!(
    /// A PIN: 6 to 12 digits.
    Pin
);

impl Pin {
    /// A random PIN of `digits` digits (6 to 12) from a CSPRNG.
    pub fn generate(
        digits: usize,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Self, CredentialError> {
        if !(MIN_PIN_DIGITS..=MAX_PIN_DIGITS).contains(&digits) {
            return Err(CredentialError::MalformedPin {
                min: MIN_PIN_DIGITS,
                max: MAX_PIN_DIGITS,
            });
        }
        Ok(Pin::new(
            (0..digits)
                .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
                .collect::<String>(),
        ))
    }

    /// Reads a PIN someone typed (spaces ignored).
    pub fn parse(input: &str) -> Result<Self, CredentialError> {
        let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if !(MIN_PIN_DIGITS..=MAX_PIN_DIGITS).contains(&digits.len())
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(CredentialError::MalformedPin {
                min: MIN_PIN_DIGITS,
                max: MAX_PIN_DIGITS,
            });
        }
        Ok(Pin::new(digits))
    }
}

/// A 256-bit key that seals PINs, with an id so keys can be rotated: new PINs are sealed with
/// the current key, old ones open with the key whose id they carry.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct PinKey {
    id: u32,
    bytes: [u8; 32],
}

impl PinKey {
    /// A key from 32 random bytes the host keeps in its secret store. An all-zero key (an
    /// unset secret read as zeros) is refused with [`CredentialError::InvalidKey`].
    pub fn new(id: u32, bytes: &[u8]) -> Result<Self, CredentialError> {
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| CredentialError::InvalidKey)?;
        if bytes.iter().all(|&b| b == 0) {
            return Err(CredentialError::InvalidKey);
        }
        Ok(Self { id, bytes })
    }

    /// The key's id.
    pub fn id(&self) -> u32 {
        self.id
    }
}

impl std::fmt::Debug for PinKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PinKey({}, [redacted])", self.id)
    }
}

/// A PIN encrypted for one user: `v1:{key id}:{nonce hex}:{ciphertext hex}`. Holds no
/// readable secret.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SealedPin(String);

impl SealedPin {
    /// Seals `pin` for `user` under `key`, with a fresh random nonce.
    pub fn seal(
        pin: &Pin,
        user: UserId,
        key: &PinKey,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Self, CredentialError> {
        let cipher = XChaCha20Poly1305::new_from_slice(&key.bytes)
            .map_err(|_| CredentialError::InvalidKey)?;
        let mut nonce = [0u8; 24];
        rng.fill_bytes(&mut nonce);
        let aad = aad(user, key.id);
        let ct = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: pin.expose().as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| CredentialError::InvalidKey)?;
        Ok(Self(format!("v1:{}:{}:{}", key.id, hex(&nonce), hex(&ct))))
    }

    /// Opens it for `user` with whichever of `keys` has its key id (for the PIN export).
    pub fn open(&self, user: UserId, keys: &[PinKey]) -> Result<Pin, CredentialError> {
        let (key_id, nonce, ct) = self.parts()?;
        let key = keys
            .iter()
            .find(|k| k.id == key_id)
            .ok_or(CredentialError::UnsealFailed)?;
        let cipher = XChaCha20Poly1305::new_from_slice(&key.bytes)
            .map_err(|_| CredentialError::InvalidKey)?;
        let aad = aad(user, key_id);
        let mut plain = cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &ct,
                    aad: &aad,
                },
            )
            .map_err(|_| CredentialError::UnsealFailed)?;
        let text = String::from_utf8(std::mem::take(&mut plain))
            .map_err(|_| CredentialError::UnsealFailed)?;
        plain.zeroize();
        Ok(Pin::new(text))
    }

    /// The id of the key it was sealed with (to find PINs to re-seal after a rotation).
    pub fn key_id(&self) -> Result<u32, CredentialError> {
        self.parts().map(|(id, ..)| id)
    }

    /// The stored text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parts(&self) -> Result<(u32, [u8; 24], Vec<u8>), CredentialError> {
        let malformed = CredentialError::MalformedSealedPin;
        let mut it = self.0.split(':');
        if it.next() != Some("v1") {
            return Err(malformed);
        }
        let key_id = it
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or(malformed.clone())?;
        let nonce: [u8; 24] = it
            .next()
            .and_then(unhex)
            .and_then(|n| n.try_into().ok())
            .ok_or(malformed.clone())?;
        let ct = it.next().and_then(unhex).ok_or(malformed.clone())?;
        if it.next().is_some() || ct.len() < 16 + MIN_PIN_DIGITS || ct.len() > 16 + MAX_PIN_DIGITS {
            return Err(malformed);
        }
        Ok((key_id, nonce, ct))
    }
}

fn aad(user: UserId, key_id: u32) -> Vec<u8> {
    let mut aad = b"tenantry-pin-v1".to_vec();
    aad.extend_from_slice(user.as_bytes());
    aad.extend_from_slice(&key_id.to_be_bytes());
    aad
}

impl TryFrom<String> for SealedPin {
    type Error = CredentialError;
    fn try_from(s: String) -> Result<Self, CredentialError> {
        let sealed = Self(s);
        sealed.parts()?;
        Ok(sealed)
    }
}

impl From<SealedPin> for String {
    fn from(s: SealedPin) -> String {
        s.0
    }
}

/// A PIN user's stored PIN: sealed, with its failure count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinRecord {
    user: UserId,
    sealed: SealedPin,
    failures: u32,
}

impl PinRecord {
    /// A new PIN for `user` (at creation, or when an admin resets it): generated, sealed, and
    /// returned for the export. The failure count starts at zero.
    pub fn issue(
        user: UserId,
        digits: usize,
        key: &PinKey,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<(Self, Pin), CredentialError> {
        let pin = Pin::generate(digits, rng)?;
        let sealed = SealedPin::seal(&pin, user, key, rng)?;
        Ok((
            Self {
                user,
                sealed,
                failures: 0,
            },
            pin,
        ))
    }

    /// Checks `candidate` in constant time. A wrong PIN counts a failure; the tenth locks the
    /// PIN until an admin issues a new one. A right PIN resets the count. The PIN stays
    /// valid: it is multi-use until reset (social intranet).
    pub fn verify(&mut self, candidate: &Pin, keys: &[PinKey]) -> Result<(), CredentialError> {
        if self.is_locked() {
            return Err(CredentialError::PinLocked);
        }
        let actual = self.sealed.open(self.user, keys)?;
        if ct_eq_str(actual.expose(), candidate.expose()) {
            self.failures = 0;
            Ok(())
        } else {
            self.failures = self.failures.saturating_add(1);
            if self.is_locked() {
                Err(CredentialError::PinLocked)
            } else {
                Err(CredentialError::Mismatch("PIN"))
            }
        }
    }

    /// Whether `candidate` is this PIN, compared in constant time, without counting
    /// anything: for callers that keep the failure count elsewhere (the directory counts it
    /// per user in its attempt records, so that a wrong PIN and an unknown placeholder cost
    /// the same store work). A locked record answers [`CredentialError::PinLocked`].
    pub fn matches(&self, candidate: &Pin, keys: &[PinKey]) -> Result<bool, CredentialError> {
        if self.is_locked() {
            return Err(CredentialError::PinLocked);
        }
        let actual = self.sealed.open(self.user, keys)?;
        Ok(ct_eq_str(actual.expose(), candidate.expose()))
    }

    /// Opens the PIN for the export.
    pub fn reveal(&self, keys: &[PinKey]) -> Result<Pin, CredentialError> {
        self.sealed.open(self.user, keys)
    }

    /// Re-seals the same PIN under `new_key` (key rotation); the failure count is kept.
    pub fn reseal(
        &mut self,
        keys: &[PinKey],
        new_key: &PinKey,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<(), CredentialError> {
        let pin = self.reveal(keys)?;
        self.sealed = SealedPin::seal(&pin, self.user, new_key, rng)?;
        Ok(())
    }

    /// Whether too many failures locked it.
    pub fn is_locked(&self) -> bool {
        self.failures >= MAX_PIN_FAILURES
    }

    /// Failed attempts since the last success or reset.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The owner.
    pub fn user(&self) -> UserId {
        self.user
    }

    /// The sealed PIN.
    pub fn sealed(&self) -> &SealedPin {
        &self.sealed
    }
}
