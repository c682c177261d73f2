//! Purpose-bound tokens for links: invitations, activation, password reset, automatic login
//! (agency), consumer registration (social intranet). Stored only as a hash.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use rand::CryptoRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tenantry_identity::UserId;

use crate::error::CredentialError;
use crate::secret::{RawToken, base64url, ct_eq_bytes, hex, secret_type, unhex};

/// Random bytes in a raw token: 256 bits (at least 128 are required).
pub const TOKEN_BYTES: usize = 32;

/// What a token may be used for. A token works only for the purpose it was issued for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenPurpose {
    /// An invitation link: choose a password (partner portal) or sign in (agency).
    Invitation,
    /// An activation link (workforce platform), also for verifying a self sign-up's email.
    Activation,
    /// A password-reset link, by an admin or "forgot password" (partner portal).
    PasswordReset,
    /// An automatic-login link (the agency's invitation "logs the client in").
    AutoLogin,
    /// A consumer's personal registration link, in every mail to them (social intranet).
    ConsumerRegistration,
    /// The link to manage one's notification settings, in every digest (social intranet). Unlike
    /// the others it works more than once until it expires or a newer one replaces it: it
    /// changes only which optional mail arrives.
    NotificationSettings,
}

impl TokenPurpose {
    /// Every purpose.
    pub const ALL: [TokenPurpose; 6] = [
        TokenPurpose::Invitation,
        TokenPurpose::Activation,
        TokenPurpose::PasswordReset,
        TokenPurpose::AutoLogin,
        TokenPurpose::ConsumerRegistration,
        TokenPurpose::NotificationSettings,
    ];

    /// The stable name, also the link's path segment.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Invitation => "invitation",
            TokenPurpose::Activation => "activation",
            TokenPurpose::PasswordReset => "password-reset",
            TokenPurpose::AutoLogin => "auto-login",
            TokenPurpose::ConsumerRegistration => "registration",
            TokenPurpose::NotificationSettings => "notifications",
        }
    }

    /// The default validity: reset 1 hour, invitation and activation 7 days, automatic login
    /// 15 minutes, consumer registration and notification settings 30 days (each digest
    /// brings fresh ones).
    pub const fn default_ttl(self) -> Duration {
        match self {
            TokenPurpose::Invitation | TokenPurpose::Activation => Duration::days(7),
            TokenPurpose::PasswordReset => Duration::hours(1),
            TokenPurpose::AutoLogin => Duration::minutes(15),
            TokenPurpose::ConsumerRegistration | TokenPurpose::NotificationSettings => {
                Duration::days(30)
            }
        }
    }

    /// Whether a token of this purpose works once only. All but the notification-settings
    /// link do: an invitation, activation, reset, login or registration is done once; the
    /// page behind the link must redeem on a deliberate action (a POST), not on the GET that
    /// mail scanners also send.
    pub const fn single_use(self) -> bool {
        !matches!(self, TokenPurpose::NotificationSettings)
    }
}

impl fmt::Display for TokenPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The SHA-256 of a raw token, bound to its purpose: what is stored and looked up.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// The hash of `raw` for `purpose`. The same raw token gives another hash for another
    /// purpose, so a reset link cannot be replayed as a login link.
    pub fn of(purpose: TokenPurpose, raw: &RawToken) -> Self {
        let mut h = Sha256::new();
        h.update(b"tenantry-token-v1\0");
        h.update(purpose.as_str().as_bytes());
        h.update(b"\0");
        h.update(raw.expose().as_bytes());
        Self(h.finalize().into())
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, as stored.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({})", self.to_hex())
    }
}

impl TryFrom<String> for TokenHash {
    type Error = CredentialError;
    fn try_from(s: String) -> Result<Self, CredentialError> {
        unhex(&s)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(Self)
            .ok_or(CredentialError::InvalidSetting(
                "a token hash is 64 hex digits",
            ))
    }
}

impl From<TokenHash> for String {
    fn from(h: TokenHash) -> String {
        h.to_hex()
    }
}

/// A stored token: its hash, purpose, owner, validity and use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// The hash (the store's look-up key).
    pub hash: TokenHash,
    /// What it is for.
    pub purpose: TokenPurpose,
    /// Whose it is.
    pub user: UserId,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was used.
    pub used_at: Option<DateTime<Utc>>,
    /// A number the issuer binds it to, such as the invitation generation.
    pub context: Option<u32>,
}

/// Issues a token for `purpose` and `user`, valid for `ttl` from `now`: the raw token goes in
/// the one message that carries the link, the record into the store. Storing it must revoke
/// the user's older tokens of the same purpose (see [`TokenRecord::supersedes`]).
pub fn issue_token(
    purpose: TokenPurpose,
    user: UserId,
    now: DateTime<Utc>,
    ttl: Duration,
    context: Option<u32>,
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<(RawToken, TokenRecord), CredentialError> {
    if ttl <= Duration::zero() || ttl > Duration::days(90) {
        return Err(CredentialError::InvalidSetting(
            "token validity must be 1 second to 90 days",
        ));
    }
    let mut bytes = [0u8; TOKEN_BYTES];
    rng.fill_bytes(&mut bytes);
    let raw = RawToken::new(base64url(&bytes));
    zeroize::Zeroize::zeroize(&mut bytes);
    let record = TokenRecord {
        hash: TokenHash::of(purpose, &raw),
        purpose,
        user,
        issued_at: now,
        expires_at: now + ttl,
        used_at: None,
        context,
    };
    Ok((raw, record))
}

impl TokenRecord {
    /// Checks that `raw` is this token, presented for `purpose` (and for `user`, where the
    /// caller knows who it expects), unused and unexpired at `now`; returns its owner.
    pub fn check(
        &self,
        raw: &RawToken,
        purpose: TokenPurpose,
        user: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<UserId, CredentialError> {
        if purpose != self.purpose {
            return Err(CredentialError::WrongPurpose);
        }
        if !ct_eq_bytes(TokenHash::of(purpose, raw).as_bytes(), self.hash.as_bytes()) {
            return Err(CredentialError::Mismatch("token"));
        }
        if user.is_some_and(|u| u != self.user) {
            return Err(CredentialError::WrongUser);
        }
        if self.used_at.is_some() && purpose.single_use() {
            return Err(CredentialError::AlreadyUsed("token"));
        }
        if now >= self.expires_at {
            return Err(CredentialError::Expired("token"));
        }
        Ok(self.user)
    }

    /// [`Self::check`], then marks it used. A store applies this as one conditional update
    /// (`... WHERE hash = ? AND used_at IS NULL`) so two concurrent redemptions cannot both win.
    pub fn redeem(
        &mut self,
        raw: &RawToken,
        purpose: TokenPurpose,
        user: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<UserId, CredentialError> {
        let owner = self.check(raw, purpose, user, now)?;
        if purpose.single_use() {
            self.used_at = Some(now);
        }
        Ok(owner)
    }

    /// Whether issuing `self` revokes `older`: same user and purpose, issued no later.
    pub fn supersedes(&self, older: &TokenRecord) -> bool {
        self.user == older.user
            && self.purpose == older.purpose
            && self.hash != older.hash
            && older.issued_at <= self.issued_at
    }
}

secret_type!(
    /// A link carrying a raw token: as secret as the token.
    Link
);

/// Builds links from the host's configured public base URL, never from a request's `Host`
/// header (which an attacker can set, to have reset links point at their server).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LinkBuilder {
    base: String,
}

impl LinkBuilder {
    /// `base_url` must be absolute `https://` (or `http://` for local development), with a
    /// host and without query or fragment; a trailing `/` is dropped.
    pub fn new(base_url: &str) -> Result<Self, CredentialError> {
        let base = base_url.trim().trim_end_matches('/');
        let rest = base
            .strip_prefix("https://")
            .or_else(|| base.strip_prefix("http://"))
            .ok_or(CredentialError::InvalidBaseUrl)?;
        let host = rest.split('/').next().unwrap_or("");
        let bad_char = |c: char| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, '?' | '#' | '@' | '\\' | '"' | '<' | '>')
        };
        if host.is_empty() || rest.contains(bad_char) {
            return Err(CredentialError::InvalidBaseUrl);
        }
        Ok(Self {
            base: base.to_owned(),
        })
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `{base}/{purpose}/{raw token}`.
    pub fn link(&self, purpose: TokenPurpose, raw: &RawToken) -> Link {
        Link::new(format!(
            "{}/{}/{}",
            self.base,
            purpose.as_str(),
            raw.expose()
        ))
    }
}

impl TryFrom<String> for LinkBuilder {
    type Error = CredentialError;
    fn try_from(s: String) -> Result<Self, CredentialError> {
        Self::new(&s)
    }
}

impl From<LinkBuilder> for String {
    fn from(b: LinkBuilder) -> String {
        b.base
    }
}
