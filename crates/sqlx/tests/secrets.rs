//! No secret reaches a log: every use case that creates or takes a secret runs on SQLite under
//! a subscriber that records everything `tracing` emits (every span field, every event, at
//! every level, tenantry's and sqlx's alike), and the record is searched for every raw secret
//! the run created or used. The Debug forms of the values that carry secrets are checked too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use tenantry::NewUser;
use tenantry::testing::{ADMIN_PASSWORD, BASE_URL, Inbox, WorldBuilder, pin_user};
use tenantry_credentials::{CodeChannel, Password, PinKey, RawToken};
use tenantry_identity::{
    Email, EmailDomain, LoginIdentifiers, NamePart, OrgSettings, Phone, PinUserSettings, Profile,
    UserKind, Username,
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

/// Every token in `text` after `https://app.example/<path>/`.
fn tokens(text: &str) -> Vec<String> {
    text.split(&format!("{BASE_URL}/"))
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

    // The admin's password, set as the world is built.
    secrets.push(ADMIN_PASSWORD.into());
    let store = Arc::new(SqliteStore::in_memory().await.unwrap());
    let w = WorldBuilder::new()
        .store(store)
        .pin_keys(vec![PinKey::new(1, &[7; 32]).unwrap()])
        .build()
        .await
        .unwrap();
    let (dir, org, admin) = (&w.dir, w.org, w.admin());
    let inbox = Inbox::default();
    let deliver = || async {
        w.deliver(&inbox).await.unwrap();
    };

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
    let invitation = inbox.mail()[0].text.clone();
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
        .mail()
        .iter()
        .map(|m| m.text.clone())
        .find(|t| t.contains(&format!("{BASE_URL}/password-reset/")))
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
    let max = pin_user("Max", "Tester", "0042").unwrap();
    let created = dir.create_user(admin, org, max).await.unwrap();
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
    let sms = inbox.sms().last().unwrap().text.clone();
    let code: String = sms.chars().filter(char::is_ascii_digit).collect();
    let code = code[code.len() - 6..].to_owned();
    let willi_pw = "forklift driver on shift two";
    secrets.extend([code.clone(), willi_pw.into()]);
    dir.activate_with_code("worker.7", &code, &Password::new(willi_pw))
        .await
        .unwrap();
    let login = inbox
        .mail()
        .iter()
        .map(|m| m.text.clone())
        .find(|t| t.contains(&format!("{BASE_URL}/auto-login/")))
        .unwrap();
    let login_token = tokens(&login).pop().unwrap();
    dir.redeem_login_link(&RawToken::new(&login_token))
        .await
        .unwrap();

    // Every link token any message carried.
    for m in inbox.mail().iter() {
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
        inbox.mail(),
        inbox.sms(),
    );
    for secret in &secrets {
        assert!(!debug.contains(secret.as_str()), "Debug shows {secret:?}");
    }
}
