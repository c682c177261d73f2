//! Housekeeping: expired tokens and codes, idle attempt records and delivered messages are
//! purged on the host's schedule; a suspended identifier's record and anything still in use
//! stay.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::Duration;
use tenantry::testing::{Inbox, WorldBuilder};
use tenantry::*;
use tenantry_credentials::{Password, attempt_key};

#[tokio::test]
async fn purge_deletes_what_is_of_no_more_use_and_keeps_the_rest() {
    let w = WorldBuilder::new().build().await.unwrap();
    // An invitation: a token valid 7 days and a message, delivered.
    let bob = w.invite("bob@acme.example").await.unwrap();
    let inbox = Inbox::default();
    Dispatcher::new(w.store.as_ref(), &inbox, w.clock.as_ref())
        .batch(100)
        .run()
        .await
        .unwrap();
    assert_eq!(inbox.mail().len(), 1);
    // A guesser's identifier, and one suspended after 100 failures in a row.
    let wrong = Password::new("not the password at all");
    let _ = w.dir.sign_in("nobody@acme.example", &wrong).await;
    let mut suspended = false;
    for _ in 0..1000 {
        match w.dir.sign_in("ghost@acme.example", &wrong).await {
            Err(DirectoryError::Suspended) => {
                suspended = true;
                break;
            }
            Err(DirectoryError::Throttled { until }) => w.clock.set(until),
            _ => {}
        }
    }
    assert!(suspended);
    // Nothing is stale yet.
    let report = w.dir.purge(&Retention::default()).await.unwrap();
    assert_eq!(report.tokens + report.messages, 0, "{report:?}");
    let tokens = w.store.list(&ListOf::TokensOf(bob)).await.unwrap();
    assert_eq!(tokens.len(), 1);
    // Forty days on: the invitation expired, the message and the guess are old.
    w.clock.advance(Duration::days(40));
    let report = w.dir.purge(&Retention::default()).await.unwrap();
    assert_eq!(report.tokens, 1, "{report:?}");
    assert_eq!(report.messages, 1, "{report:?}");
    assert_eq!(report.attempts, 1, "{report:?}");
    assert!(
        w.store
            .list(&ListOf::TokensOf(bob))
            .await
            .unwrap()
            .is_empty()
    );
    let guess = RecordKey::Attempts(attempt_key("sign-in", "nobody@acme.example"));
    assert!(w.store.get(&guess).await.unwrap().is_none());
    // The suspended identifier stays suspended.
    let ghost = RecordKey::Attempts(attempt_key("sign-in", "ghost@acme.example"));
    assert!(w.store.get(&ghost).await.unwrap().is_some());
    assert!(matches!(
        w.dir.sign_in("ghost@acme.example", &wrong).await,
        Err(DirectoryError::Suspended)
    ));
    // Audited once, with the counts; a second run finds nothing.
    let events = w.store.audit(&AuditQuery::default()).await.unwrap();
    let purged = events
        .iter()
        .find(|e| e.action == "housekeeping.purged")
        .unwrap();
    assert_eq!(purged.detail.get("tokens").map(String::as_str), Some("1"));
    assert_eq!(w.dir.purge(&Retention::default()).await.unwrap().total(), 0);
}

#[tokio::test]
async fn a_pending_message_and_a_bad_retention_are_left_alone() {
    let w = WorldBuilder::new().build().await.unwrap();
    w.invite("bob@acme.example").await.unwrap();
    w.clock.advance(Duration::days(400));
    let report = w.dir.purge(&Retention::default()).await.unwrap();
    assert_eq!(report.messages, 0, "an undelivered message is never purged");
    assert_eq!(w.outbox().await.unwrap().len(), 1);
    let bad = Retention {
        batch: 0,
        ..Retention::default()
    };
    assert!(matches!(
        w.dir.purge(&bad).await,
        Err(DirectoryError::Invalid { .. })
    ));
}
