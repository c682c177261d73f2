//! No secret reaches a log: every use case that creates or takes a secret runs on SQLite under
//! a subscriber that records everything `tracing` emits (every span field, every event, at
//! every level, tenantry's and sqlx's alike), and the record is searched for every raw secret
//! the run created or used. The Debug forms of the values that carry secrets are checked too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{TimeZone, Utc};
use tenantry::{
    Caller, DeliveryError, Directory, DirectoryConfig, EmailMessage, Mailer, ManualClock, NewUser,
    RetryPolicy, SmsMessage, SmsSender, dispatch,
};
use tenantry_access::{Area, CatalogBuilder, Grantables, RoleKey};
use tenantry_credentials::{CodeChannel, HashParams, LinkBuilder, Password, PinKey, RawToken};
use tenantry_identity::{
    Email, EmailDomain, ExternalId, LoginIdentifiers, Name, NamePart, OrgSettings, Phone,
    PinUserSettings, Profile, UserKind, Username,
};
use tenantry_lifecycle::{LifecyclePolicy, WayIn};
use tenantry_sqlx::SqliteStore;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Everything `tracing` emitted, as text.
fn log() -> &'static Mutex<String> {
    static LOG: OnceLock<Mutex<String>> = OnceLock::new();
    LOG.get_or_init(|| Mutex::new(String::new()))
}

struct Text<'a>(&'a mut String);

impl Visit for Text<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, " {}={}", field.name(), value);
    }
}

/// Records every span's fields and every event, at every level.
struct Everything {
    next: std::sync::atomic::AtomicU64,
}

impl Subscriber for Everything {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut line = format!("\nspan {}:", attrs.metadata().name());
        attrs.record(&mut Text(&mut line));
        log().lock().unwrap().push_str(&line);
        Id::from_u64(
            self.next
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                .max(1),
        )
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut line = String::from("\nrecord:");
        values.record(&mut Text(&mut line));
        log().lock().unwrap().push_str(&line);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = format!(
            "\nevent {} {}:",
            event.metadata().level(),
            event.metadata().target()
        );
        event.record(&mut Text(&mut line));
        log().lock().unwrap().push_str(&line);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[derive(Default)]
struct Inbox(Mutex<Vec<EmailMessage>>, Mutex<Vec<SmsMessage>>);

#[async_trait::async_trait]
impl Mailer for Inbox {
    async fn send(&self, m: &EmailMessage) -> Result<(), DeliveryError> {
        self.0.lock().unwrap().push(m.clone());
        Ok(())
    }
}

#[async_trait::async_trait]
impl SmsSender for Inbox {
    async fn send(&self, m: &SmsMessage) -> Result<(), DeliveryError> {
        self.1.lock().unwrap().push(m.clone());
        Ok(())
    }
}

/// Every token in `text` after `https://app.example/<path>/`.
fn tokens(text: &str) -> Vec<String> {
    text.split("https://app.example/")
        .skip(1)
        .filter_map(|rest| rest.split_once('/'))
        .map(|(_, t)| {
            t.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect()
        })
        .collect()
}

fn person(first: &str) -> Profile {
    Profile {
        first_name: Some(NamePart::parse(first).unwrap()),
        last_name: Some(NamePart::parse("Tester").unwrap()),
        ..Profile::default()
    }
}

fn with_email(email: &str, way_in: WayIn, password: Option<&str>) -> NewUser {
    NewUser {
        kind: UserKind::Standard,
        profile: person("Sam"),
        identifiers: LoginIdentifiers {
            email: Some(Email::parse(email).unwrap()),
            ..Default::default()
        },
        way_in,
        password: password.map(Password::new),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_log() {
    tracing::subscriber::set_global_default(Everything {
        next: std::sync::atomic::AtomicU64::new(1),
    })
    .unwrap();
    let mut secrets: Vec<String> = Vec::new();

    let store = Arc::new(SqliteStore::in_memory().await.unwrap());
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap(),
    ));
    let mut config = DirectoryConfig::new(LinkBuilder::new("https://app.example").unwrap());
    config.hash_params = HashParams::INSECURE_FAST_FOR_TESTS;
    config.pin_keys = vec![PinKey::new(1, &[7; 32]).unwrap()];
    let mut catalog = CatalogBuilder::new();
    catalog
        .permission("org.admin", Area::Admin, "administer", &[])
        .unwrap();
    catalog.role("admin", "Admin", &["org.admin"]).unwrap();
    catalog.admin_permission("org.admin");
    let dir = Directory::new(
        store.clone(),
        catalog.build().unwrap(),
        clock.clone(),
        config,
    )
    .unwrap();
    let inbox = Inbox::default();
    let deliver = || async {
        dispatch(
            store.as_ref(),
            &inbox,
            Some(&inbox),
            clock.as_ref(),
            &RetryPolicy::default(),
            100,
        )
        .await
        .unwrap();
    };

    let ada_pw = "correct horse battery staple";
    secrets.push(ada_pw.into());
    let (org, ada) = dir
        .create_root_organization(
            Name::parse("Acme").unwrap(),
            person("Ada"),
            Email::parse("ada@acme.example").unwrap(),
            &Password::new(ada_pw),
            Grantables {
                roles: [RoleKey::new("admin").unwrap()].into(),
                ..Grantables::new()
            },
        )
        .await
        .unwrap();
    let admin = Caller::User(ada);
    let settings = OrgSettings {
        pin_users: Some(PinUserSettings {
            domain: EmailDomain::parse("pins.acme.example").unwrap(),
        }),
        communication: tenantry_identity::CommunicationSettings {
            sms: true,
            ..Default::default()
        },
        ..OrgSettings::default()
    };
    dir.configure_organization(admin, org, settings, LifecyclePolicy::default())
        .await
        .unwrap();

    // Invitation accepted with a password; sign-ins right and wrong.
    let bob = dir
        .create_user(
            admin,
            org,
            with_email("bob@acme.example", WayIn::Invitation, None),
        )
        .await
        .unwrap()
        .id;
    deliver().await;
    let bob_pw = "purple monkey dishwasher";
    let wrong = "a wrong guess at bobs password";
    secrets.extend([bob_pw.into(), wrong.into()]);
    let invitation = inbox.0.lock().unwrap()[0].text.clone();
    let raw = tokens(&invitation).pop().unwrap();
    dir.accept_invitation(&RawToken::new(&raw), &Password::new(bob_pw))
        .await
        .unwrap();
    assert_eq!(
        dir.sign_in("bob@acme.example", &Password::new(bob_pw))
            .await
            .unwrap(),
        bob
    );
    assert!(
        dir.sign_in("bob@acme.example", &Password::new(wrong))
            .await
            .is_err()
    );
    assert!(
        dir.sign_in("nobody@acme.example", &Password::new(wrong))
            .await
            .is_err()
    );
    // A weak password refused (the error says why, never what).
    let weak = "acmeacmeacmeacme";
    secrets.push(weak.into());
    dir.request_password_reset("bob@acme.example")
        .await
        .unwrap();
    deliver().await;
    let reset = inbox
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.text.clone())
        .find(|t| t.contains("https://app.example/password-reset/"))
        .unwrap();
    let reset_token = RawToken::new(tokens(&reset).pop().unwrap());
    assert!(
        dir.reset_password(&reset_token, &Password::new(weak))
            .await
            .is_err()
    );
    let new_pw = "a fresh spring passphrase";
    secrets.push(new_pw.into());
    dir.reset_password(&reset_token, &Password::new(new_pw))
        .await
        .unwrap();

    // An admin-set one-time password, redeemed for the user's own.
    let otp = "Otto-Start-2026-xyz";
    let otto_pw = "my own long passphrase here";
    secrets.extend([otp.into(), otto_pw.into()]);
    dir.create_user(
        admin,
        org,
        with_email("otto@acme.example", WayIn::OneTimePassword, Some(otp)),
    )
    .await
    .unwrap();
    dir.redeem_one_time_password(
        "otto@acme.example",
        &Password::new(otp),
        &Password::new(otto_pw),
    )
    .await
    .unwrap();

    // A PIN user: the PIN, and the password set with it.
    let pin_user = NewUser {
        kind: UserKind::Pin,
        profile: person("Max"),
        identifiers: LoginIdentifiers {
            external_id: Some(ExternalId::parse("0042").unwrap()),
            ..Default::default()
        },
        way_in: WayIn::Pin,
        password: None,
    };
    let created = dir.create_user(admin, org, pin_user).await.unwrap();
    let pin = created.pin.unwrap().expose().to_owned();
    let placeholder = created.placeholder_email.unwrap().to_string();
    let shift_pw = "assembly line shift password";
    secrets.extend([pin.clone(), shift_pw.into()]);
    dir.set_password_with_pin(&placeholder, &pin, &Password::new(shift_pw))
        .await
        .unwrap();
    let new_pin = dir.reset_pin(admin, created.id).await.unwrap();
    secrets.push(new_pin.expose().to_owned());

    // An activation code by SMS; a login link.
    let worker = NewUser {
        kind: UserKind::Standard,
        profile: Profile {
            phone: Some(Phone::parse("+49 170 7654321").unwrap()),
            ..person("Willi")
        },
        identifiers: LoginIdentifiers {
            username: Some(Username::parse("worker.7").unwrap()),
            ..Default::default()
        },
        way_in: WayIn::None,
        password: None,
    };
    let willi = dir.create_user(admin, org, worker).await.unwrap().id;
    dir.send_activation_code(admin, willi, CodeChannel::Sms)
        .await
        .unwrap();
    dir.send_login_link(admin, bob).await.unwrap();
    deliver().await;
    let sms = inbox.1.lock().unwrap().last().unwrap().text.clone();
    let code: String = sms.chars().filter(char::is_ascii_digit).collect();
    let code = code[code.len() - 6..].to_owned();
    let willi_pw = "forklift driver on shift two";
    secrets.extend([code.clone(), willi_pw.into()]);
    dir.activate_with_code("worker.7", &code, &Password::new(willi_pw))
        .await
        .unwrap();
    let login = inbox
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.text.clone())
        .find(|t| t.contains("https://app.example/auto-login/"))
        .unwrap();
    let login_token = tokens(&login).pop().unwrap();
    dir.redeem_login_link(&RawToken::new(&login_token))
        .await
        .unwrap();

    // Every link token any message carried.
    for m in inbox.0.lock().unwrap().iter() {
        secrets.extend(tokens(&m.text));
    }
    secrets.sort();
    secrets.dedup();
    assert!(secrets.len() >= 15, "{} secrets", secrets.len());

    let log = log().lock().unwrap().clone();
    // The capture works: it saw the use cases and the database.
    for expected in ["use_case=sign_in", "use_case=accept_invitation", "sqlx"] {
        assert!(log.contains(expected), "the capture missed {expected}");
    }
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "a secret reached the log: {secret:?}"
        );
    }

    // Debug forms of what carries secrets show none.
    let debug = format!(
        "{:?} {:?} {:?} {:?} {:?}",
        Password::new(bob_pw),
        RawToken::new(&login_token),
        new_pin,
        inbox.0.lock().unwrap(),
        inbox.1.lock().unwrap(),
    );
    for secret in &secrets {
        assert!(!debug.contains(secret.as_str()), "Debug shows {secret:?}");
    }
}
