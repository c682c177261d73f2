//! The default renderer and the outbox dispatcher.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{Duration, TimeZone, Utc};
use tenantry::*;
use tenantry_credentials::{Code, Link};
use uuid::Uuid;

const KINDS: [MessageKind; 10] = MessageKind::ALL;

#[test]
fn every_message_renders_in_english_and_german() {
    for kind in KINDS {
        for locale in [Locale::En, Locale::De] {
            let mut c = MessageContext::new(kind, locale, "Jürgen <b>Weiß</b>", "Acme & Co");
            c.link = Some(Link::new("https://app.example/x/TOKEN?a=1&b=\"2\""));
            c.code = Some(Code::new("123456"));
            let r = DefaultRenderer.render(&c);
            assert!(
                !r.subject.is_empty() && r.text.contains("Jürgen <b>Weiß</b>"),
                "{kind:?} {locale:?}"
            );
            assert!(
                r.html.contains("Jürgen &lt;b&gt;Weiß&lt;/b&gt;"),
                "names are escaped in HTML"
            );
            assert!(!r.html.contains("<b>Weiß"), "no markup from names");
            assert!(r.subject.contains("Acme & Co"));
            assert!(
                !format!("{r:?}").contains("TOKEN"),
                "Debug never shows bodies"
            );
            if locale == Locale::De {
                assert!(r.text.starts_with("Hallo"), "{}", r.text);
            } else {
                assert!(r.text.starts_with("Hello"), "{}", r.text);
            }
        }
    }
    let mut c = MessageContext::new(MessageKind::PasswordReset, Locale::En, "Ann", "Acme");
    c.link = Some(Link::new("https://app.example/password-reset/abc&d"));
    c.expires_at = Some(Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap());
    let r = DefaultRenderer.render(&c);
    assert!(
        r.text
            .contains("Choose a new password: https://app.example/password-reset/abc&d")
    );
    assert!(
        r.html
            .contains("href=\"https://app.example/password-reset/abc&amp;d\"")
    );
    assert!(r.text.contains("Valid until 2026-11-22 10:00 UTC."));
    assert!(r.sms.contains("https://app.example/password-reset/abc&d"));
    let mut c = MessageContext::new(MessageKind::ActivationCode, Locale::De, "Ann", "Acme");
    c.code = Some(Code::new("654321"));
    assert!(DefaultRenderer.render(&c).sms.contains("654321"));
    assert_eq!(
        Locale::from_language(Some(&tenantry_identity::Language::parse("de-AT").unwrap())),
        Locale::De
    );
    assert_eq!(Locale::from_language(None), Locale::En);
}

#[test]
fn every_message_to_a_consumer_carries_the_registration_link() {
    let mut c = MessageContext::new(MessageKind::ConsumerDigest, Locale::En, "Carla", "Network");
    c.registration_link = Some(Link::new("https://net.example/registration/REG"));
    c.preferences_link = Some("https://net.example/preferences/PREF".into());
    c.digest_items = vec!["New post in News".into(), "Event <tomorrow>".into()];
    let r = DefaultRenderer.render(&c);
    assert!(
        r.text
            .contains("Register here: https://net.example/registration/REG")
    );
    assert!(
        r.html
            .contains("href=\"https://net.example/registration/REG\"")
    );
    assert!(
        r.text
            .contains("Manage notification settings: https://net.example/preferences/PREF")
    );
    assert!(r.text.contains("- New post in News") && r.html.contains("Event &lt;tomorrow&gt;"));
}

/// Records deliveries; fails as told, per idempotency key.
#[derive(Default)]
struct RecordingMailer {
    sent: Mutex<HashMap<String, u32>>,
    fail: Mutex<HashMap<String, DeliveryError>>,
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, m: &EmailMessage) -> Result<(), DeliveryError> {
        if let Some(e) = self.fail.lock().unwrap().get(&m.idempotency_key) {
            return Err(e.clone());
        }
        tokio::task::yield_now().await;
        *self
            .sent
            .lock()
            .unwrap()
            .entry(m.idempotency_key.clone())
            .or_default() += 1;
        Ok(())
    }
}

fn message(key: &str, channel: Channel, at: chrono::DateTime<Utc>) -> OutboxMessage {
    OutboxMessage {
        id: Uuid::from_u128(key.bytes().fold(7u128, |h, b| h * 131 + u128::from(b))),
        idempotency_key: key.to_owned(),
        channel,
        to: "someone@example.com".into(),
        user: None,
        kind: "password_reset".into(),
        subject: "Reset".into(),
        text: "https://app.example/password-reset/SECRET".into(),
        html: Some("<a href=\"https://app.example/password-reset/SECRET\">x</a>".into()),
        created_at: at,
        status: OutboxStatus::Pending {
            attempts: 0,
            next_attempt_at: at,
        },
        topic: None,
    }
}

async fn status(store: &MemoryStore, key: &str) -> OutboxMessage {
    let id = message(key, Channel::Email, chrono::DateTime::UNIX_EPOCH).id;
    match store
        .get(&RecordKey::Outbox(id))
        .await
        .unwrap()
        .unwrap()
        .value
    {
        Record::Outbox(m) => m,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn dispatch_sends_retries_and_gives_up() {
    let t = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
    let clock = ManualClock::new(t);
    let store = MemoryStore::new();
    let mut cs = Changeset::new();
    for (k, ch) in [
        ("ok", Channel::Email),
        ("flaky", Channel::Email),
        ("bounce", Channel::Email),
        ("sms", Channel::Sms),
    ] {
        cs.insert(Record::Outbox(message(k, ch, t)));
    }
    store.commit(cs).await.unwrap();
    let mailer = RecordingMailer::default();
    mailer
        .fail
        .lock()
        .unwrap()
        .insert("flaky".into(), DeliveryError::Retryable("421 busy".into()));
    mailer.fail.lock().unwrap().insert(
        "bounce".into(),
        DeliveryError::Permanent("550 no such user".into()),
    );
    let policy = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };

    let report = Dispatcher::new(&store, &mailer, &clock)
        .policy(policy)
        .batch(100)
        .run()
        .await
        .unwrap();
    assert_eq!(
        report,
        DispatchReport {
            sent: 1,
            retried: 1,
            failed: 2,
            skipped: 0,
            withdrawn: 0,
        }
    );
    let ok = status(&store, "ok").await;
    assert!(matches!(ok.status, OutboxStatus::Sent { .. }));
    assert!(
        ok.text.is_empty() && ok.html.is_none(),
        "delivered bodies (with their tokens) are dropped"
    );
    assert!(matches!(
        status(&store, "bounce").await.status,
        OutboxStatus::Failed { .. }
    ));
    match status(&store, "sms").await.status {
        OutboxStatus::Failed { reason, .. } => assert!(reason.contains("no SMS sender")),
        other => panic!("{other:?}"),
    }
    let flaky = status(&store, "flaky").await;
    assert_eq!(
        flaky.status,
        OutboxStatus::Pending {
            attempts: 1,
            next_attempt_at: t + Duration::minutes(1)
        }
    );
    assert!(flaky.text.contains("SECRET"), "kept until delivered");

    // Not due yet: nothing happens.
    assert_eq!(
        Dispatcher::new(&store, &mailer, &clock)
            .policy(policy)
            .batch(100)
            .run()
            .await
            .unwrap(),
        DispatchReport::default()
    );
    // Backoff doubles, then the dispatcher gives up after max_attempts.
    clock.advance(Duration::minutes(1));
    assert_eq!(
        Dispatcher::new(&store, &mailer, &clock)
            .policy(policy)
            .batch(100)
            .run()
            .await
            .unwrap()
            .retried,
        1
    );
    assert_eq!(
        status(&store, "flaky").await.status,
        OutboxStatus::Pending {
            attempts: 2,
            next_attempt_at: t + Duration::minutes(3)
        }
    );
    clock.advance(Duration::minutes(2));
    assert_eq!(
        Dispatcher::new(&store, &mailer, &clock)
            .policy(policy)
            .batch(100)
            .run()
            .await
            .unwrap()
            .failed,
        1
    );
    assert!(matches!(
        status(&store, "flaky").await.status,
        OutboxStatus::Failed { .. }
    ));
    assert_eq!(mailer.sent.lock().unwrap().get("ok"), Some(&1));
    assert_eq!(policy.delay(1), Duration::minutes(1));
    assert_eq!(RetryPolicy::default().delay(20), Duration::hours(6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_dispatchers_send_each_message_once() {
    let t = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(t));
    let store = Arc::new(MemoryStore::new());
    let mut cs = Changeset::new();
    for i in 0..50 {
        cs.insert(Record::Outbox(message(&format!("m{i}"), Channel::Email, t)));
    }
    store.commit(cs).await.unwrap();
    let mailer = Arc::new(RecordingMailer::default());
    let mut handles = Vec::new();
    for _ in 0..4 {
        let (store, mailer, clock) = (store.clone(), mailer.clone(), clock.clone());
        handles.push(tokio::spawn(async move {
            Dispatcher::new(store.as_ref(), mailer.as_ref(), clock.as_ref())
                .batch(100)
                .run()
                .await
                .unwrap()
        }));
    }
    let mut total = DispatchReport::default();
    for h in handles {
        let r = h.await.unwrap();
        total.sent += r.sent;
        total.skipped += r.skipped;
    }
    assert_eq!(total.sent, 50);
    let sent = mailer.sent.lock().unwrap();
    assert_eq!(sent.len(), 50);
    assert!(sent.values().all(|n| *n == 1), "a message went out twice");
}
