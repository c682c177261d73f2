//! Throttling: at most 100 failed sign-ins in a row however spread out, lifted by a password
//! reset; attempt records keyed by a hash, never by what a guesser typed; a wrong code is
//! counted even when its commit loses a race.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::Duration;
use tenantry::testing::{ADMIN_EMAIL, ADMIN_PASSWORD, WorldBuilder, faulty_world, token_from};
use tenantry::*;
use tenantry_credentials::{CodeChannel, Password, attempt_key};
use tenantry_identity::*;

#[tokio::test]
async fn a_hundred_failures_in_a_row_suspend_sign_in_until_a_password_reset() {
    let w = WorldBuilder::new().build().await.unwrap();
    let wrong = Password::new("not the password at all");
    let (mut failures, mut waited) = (0, Duration::zero());
    loop {
        match w.dir.sign_in(ADMIN_EMAIL, &wrong).await {
            Err(DirectoryError::InvalidCredentials) => failures += 1,
            Err(DirectoryError::Throttled { until }) => {
                waited += until - w.clock.now();
                w.clock.set(until);
            }
            other => {
                assert!(matches!(other, Err(DirectoryError::Suspended)), "{other:?}");
                break;
            }
        }
        assert!(
            waited < Duration::days(60),
            "no cap after {failures} failures"
        );
    }
    assert_eq!(failures, 100);
    // Days later, with the right password: still suspended.
    w.clock.advance(Duration::days(30));
    let right = Password::new(ADMIN_PASSWORD);
    assert!(matches!(
        w.dir.sign_in(ADMIN_EMAIL, &right).await,
        Err(DirectoryError::Suspended)
    ));
    // A password reset proves the mailbox and lifts it.
    w.dir.request_password_reset(ADMIN_EMAIL).await.unwrap();
    let reset = w.last_to(ADMIN_EMAIL, "password_reset").await.unwrap();
    let new = Password::new("tangerine elephant carousel");
    w.dir
        .reset_password(&token_from(&reset, "password-reset").unwrap(), &new)
        .await
        .unwrap();
    assert_eq!(w.dir.sign_in(ADMIN_EMAIL, &new).await.unwrap(), w.admin);
}

#[tokio::test]
async fn attempt_records_are_keyed_by_a_hash_of_the_identifier() {
    let w = WorldBuilder::new().build().await.unwrap();
    let wrong = Password::new("not the password at all");
    let typed = format!("{}@acme.example", "x".repeat(5_000));
    for who in [ADMIN_EMAIL, typed.as_str()] {
        let _ = w.dir.sign_in(who, &wrong).await;
    }
    let plain = RecordKey::Attempts(format!("sign-in:{ADMIN_EMAIL}"));
    assert!(w.store.get(&plain).await.unwrap().is_none());
    let hashed = RecordKey::Attempts(attempt_key("sign-in", ADMIN_EMAIL));
    assert!(w.store.get(&hashed).await.unwrap().is_some());
    let long = RecordKey::Attempts(attempt_key("sign-in", &typed));
    assert!(w.store.get(&long).await.unwrap().is_some());
    assert_eq!(attempt_key("sign-in", &typed).len(), "sign-in:".len() + 64);
}

#[tokio::test]
async fn a_wrong_code_is_counted_even_when_its_commit_loses_a_race() {
    let (w, faulty) = faulty_world().await.unwrap();
    let new = NewUser {
        way_in: tenantry_lifecycle::WayIn::None,
        ..NewUser::invited(Email::parse("cody@acme.example").unwrap())
    };
    let cody = w.dir.create_user(w.admin(), w.org, new).await.unwrap().id;
    w.dir
        .send_activation_code(w.admin(), cody, CodeChannel::Email)
        .await
        .unwrap();
    // The first commit of the code record after a wrong guess loses a race.
    faulty.conflict_next(1, |cs| {
        cs.puts.iter().any(|(r, _)| matches!(r, Record::Code(_)))
    });
    let pw = Password::new("tangerine elephant carousel");
    assert!(matches!(
        w.dir
            .activate_with_code("cody@acme.example", "not-a-code", &pw)
            .await,
        Err(DirectoryError::InvalidCredentials)
    ));
    let stored = w
        .store
        .get(&RecordKey::Code(cody, CodeChannel::Email))
        .await
        .unwrap()
        .unwrap();
    match stored.value {
        Record::Code(code) => assert_eq!(code.attempts(), 1, "the failure was counted"),
        other => panic!("{other:?}"),
    }
}
