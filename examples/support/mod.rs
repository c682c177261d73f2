//! What the examples share: a directory on a SQLite file, a mailer that prints what it
//! would send, and the links inside those messages. Not part of the library: your product
//! brings its own mailer (or `tenantry-smtp`) and its own configuration.

#![allow(dead_code)] // each example uses a part

use std::error::Error;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use rand::RngExt;
use tenantry::{
    Caller, DeliveryError, Directory, DirectoryConfig, Dispatcher, EmailMessage, Mailer,
    SmsMessage, SmsSender, Store, SystemClock,
};
use tenantry_access::Catalog;
use tenantry_credentials::{LinkBuilder, PinKey, RawToken};
use tenantry_identity::OrgId;
use tenantry_sqlx::SqliteStore;

/// The examples' errors: any error, printed by `main`.
pub type Result<T = ()> = std::result::Result<T, Box<dyn Error>>;

/// The public base URL every link starts with.
pub const BASE_URL: &str = "https://app.example";

/// Where the examples write: `./tenantry-out/`.
pub fn out_dir() -> Result<PathBuf> {
    let dir = PathBuf::from("tenantry-out");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Prints one step of an example.
pub fn step(text: impl AsRef<str>) {
    println!("• {}", text.as_ref());
}

/// Prints a detail under a step.
pub fn detail(text: impl AsRef<str>) {
    println!("    {}", text.as_ref());
}

/// A mailer and SMS sender that print each message's recipient and subject (or text) and
/// keep the messages, so an example can follow the links in them.
#[derive(Default)]
pub struct Printer {
    emails: Mutex<Vec<EmailMessage>>,
    sms: Mutex<Vec<SmsMessage>>,
}

#[async_trait]
impl Mailer for Printer {
    async fn send(&self, m: &EmailMessage) -> std::result::Result<(), DeliveryError> {
        println!("    ✉ to {}: {}", m.to, m.subject);
        self.emails
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(m.clone());
        Ok(())
    }
}

#[async_trait]
impl SmsSender for Printer {
    async fn send(&self, m: &SmsMessage) -> std::result::Result<(), DeliveryError> {
        println!("    ✆ to {}: {}", m.to, m.text);
        self.sms
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(m.clone());
        Ok(())
    }
}

/// A directory on `./tenantry-out/<name>.db`, started afresh, with its printing mailer.
pub struct App {
    /// The directory service.
    pub dir: Directory,
    /// Its store.
    pub store: Arc<dyn Store>,
    /// Prints and keeps what the outbox delivers.
    pub mail: Printer,
}

impl App {
    /// Opens `./tenantry-out/<name>.db` (deleted first, so every run starts the same) with
    /// `catalog`, the system clock and a PIN key made for this run.
    pub async fn start(name: &str, catalog: Catalog) -> Result<Self> {
        let path = out_dir()?.join(format!("{name}.db"));
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                std::fs::remove_file(file)?;
            }
        }
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await?);
        let mut config = DirectoryConfig::new(LinkBuilder::new(BASE_URL)?);
        // In production the PIN key comes from your secret store and outlives the process:
        // without it, sealed PINs cannot be opened for the PIN export.
        let key: [u8; 32] = rand::rng().random();
        config.pin_keys = vec![PinKey::new(1, &key)?];
        let dir = Directory::new(store.clone(), catalog, Arc::new(SystemClock), config)?;
        Ok(Self {
            dir,
            store,
            mail: Printer::default(),
        })
    }

    /// Creates the root organization `name` with its first admin, `first last` signing in
    /// with `email`, holding `admin_role` there.
    pub async fn root(
        &self,
        name: &str,
        (first, last): (&str, &str),
        email: &str,
        admin_role: &str,
    ) -> Result<(OrgId, tenantry_identity::UserId)> {
        Ok(self
            .dir
            .create_root_organization(tenantry::NewRootOrganization {
                name: tenantry_identity::Name::parse(name)?,
                admin_profile: person(first, last)?,
                admin_email: tenantry_identity::Email::parse(email)?,
                admin_password: tenantry_credentials::Password::new("correct horse battery staple"),
                admin_grant: role(admin_role)?,
            })
            .await?)
    }

    /// Delivers what the outbox holds, printing each message; returns the emails sent.
    pub async fn deliver(&self) -> Result<Vec<EmailMessage>> {
        let before = self.emails().len();
        Dispatcher::new(self.store.as_ref(), &self.mail, &SystemClock)
            .sms(&self.mail)
            .batch(1000)
            .run()
            .await?;
        Ok(self.emails().split_off(before))
    }

    /// Every email delivered so far.
    pub fn emails(&self) -> Vec<EmailMessage> {
        self.mail
            .emails
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every SMS delivered so far.
    pub fn sms(&self) -> Vec<SmsMessage> {
        self.mail
            .sms
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The token of the last delivered link `BASE_URL/<path>/<token>` sent to `to`.
    pub fn link(&self, to: &str, path: &str) -> Result<RawToken> {
        let texts = self
            .emails()
            .into_iter()
            .filter(|m| m.to == to)
            .map(|m| m.text)
            .chain(self.sms().into_iter().map(|m| m.text));
        token_in(texts, path).ok_or_else(|| format!("no {path} link was sent to {to}").into())
    }

    /// Counts the users of `org`.
    pub async fn count_users(&self, org: OrgId) -> Result<usize> {
        let (mut count, mut after) = (0, None);
        loop {
            let page = self
                .store
                .users(&tenantry::UserQuery {
                    org: Some(org),
                    after,
                    ..Default::default()
                })
                .await?;
            count += page.items.len();
            after = page.next;
            if after.is_none() {
                return Ok(count);
            }
        }
    }
}

/// The token of the last link `BASE_URL/<path>/<token>` in `texts`.
fn token_in(texts: impl Iterator<Item = String>, path: &str) -> Option<RawToken> {
    let marker = format!("{BASE_URL}/{path}/");
    let mut found = None;
    for text in texts {
        if let Some(start) = text.rfind(&marker) {
            let token: String = text[start + marker.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            found = Some(RawToken::new(token));
        }
    }
    found
}

/// The system acting: the host's own code (an integration, a scheduled job).
pub const SYSTEM: Caller = Caller::System;

/// One role, to grant.
pub fn role(key: &str) -> Result<tenantry_access::Grantables> {
    Ok(tenantry_access::Grantables {
        roles: [tenantry_access::RoleKey::new(key)?].into(),
        ..tenantry_access::Grantables::new()
    })
}

/// A profile with a first and a last name.
pub fn person(first: &str, last: &str) -> Result<tenantry_identity::Profile> {
    Ok(tenantry_identity::Profile {
        first_name: Some(tenantry_identity::NamePart::parse(first)?),
        last_name: Some(tenantry_identity::NamePart::parse(last)?),
        ..tenantry_identity::Profile::default()
    })
}

/// A new user of `kind` named `first last` who signs in with `email`, let in by `way_in`.
pub fn user_with_email(
    kind: tenantry_identity::UserKind,
    first: &str,
    last: &str,
    email: &str,
    way_in: tenantry_lifecycle::WayIn,
) -> Result<tenantry::NewUser> {
    Ok(tenantry::NewUser {
        kind,
        profile: person(first, last)?,
        identifiers: tenantry_identity::LoginIdentifiers {
            email: Some(tenantry_identity::Email::parse(email)?),
            ..Default::default()
        },
        way_in,
        password: None,
    })
}

/// A PIN user named `first last` with the host's `external_id` (e.g. a personnel number);
/// no email: the directory makes a placeholder address.
pub fn pin_user(first: &str, last: &str, external_id: &str) -> Result<tenantry::NewUser> {
    Ok(tenantry::NewUser {
        kind: tenantry_identity::UserKind::Pin,
        profile: person(first, last)?,
        identifiers: tenantry_identity::LoginIdentifiers {
            external_id: Some(tenantry_identity::ExternalId::parse(external_id)?),
            ..Default::default()
        },
        way_in: tenantry_lifecycle::WayIn::Pin,
        password: None,
    })
}

/// The grant of `user` in `org` with organization scope.
pub fn at(user: tenantry_identity::UserId, org: OrgId) -> tenantry_access::GrantRef {
    tenantry_access::GrantRef {
        user,
        org,
        scope: tenantry_access::Scope::Organization,
    }
}

/// Whether `user` holds `permission` at `target`, and the directory's reason.
pub async fn may(
    dir: &Directory,
    user: tenantry_identity::UserId,
    permission: &str,
    target: tenantry_access::Target,
) -> Result<bool> {
    Ok(dir.check(user, permission, target).await?.is_allowed())
}
