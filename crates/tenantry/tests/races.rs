//! Use cases that lose a race to another process: each ends in a retry or a typed refusal,
//! and every successful one leaves exactly its audit events.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use std::sync::Arc;

use tenantry::testing::{ADMIN_EMAIL, ADMIN_PASSWORD, Faulty, World, admin_role, faulty_world};
use tenantry::*;
use tenantry_access::{Change, GrantRef, Grantables, PermissionKey, Scope};
use tenantry_credentials::{HashParams, Password, hash_password};
use tenantry_identity::UserId;

async fn faulty() -> (World, Arc<Faulty>) {
    faulty_world().await.unwrap()
}

/// Bob, an admin, and his grant, which another task removes just before the next commit
/// for which `when` holds.
async fn bob_whose_grant_goes(
    w: &World,
    faulty: &Faulty,
    when: impl Fn(&Changeset, GrantRef) -> bool + Send + Sync + 'static,
) -> GrantRef {
    let bob = w
        .active_user(w.org, "bob@acme.example", "purple monkey dishwasher")
        .await
        .unwrap();
    w.grant_admin(bob, w.org).await.unwrap();
    let at = GrantRef {
        user: bob,
        org: w.org,
        scope: Scope::Organization,
    };
    let grant = w.store.get(&RecordKey::Grant(at)).await.unwrap().unwrap();
    let mut other = Changeset::new();
    other.delete(RecordKey::Grant(at), grant.version);
    faulty.interleave_next(move |cs| when(cs, at), other);
    at
}

/// The audit events about `user` with `action`.
async fn events(w: &World, user: UserId, action: &str) -> usize {
    w.store
        .audit(&AuditQuery {
            org: None,
            subject: Some(user),
            limit: 10_000,
        })
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == action)
        .count()
}

fn signs_in(cs: &Changeset) -> bool {
    cs.audit.iter().any(|e| e.action == "user.signed_in")
}

#[tokio::test]
async fn a_sign_in_whose_commit_loses_a_race_is_still_audited_exactly_once() {
    let (w, faulty) = faulty().await;
    // Another process changes Ada's record between the password check and the stamp.
    faulty.conflict_next(1, signs_in);
    let ada = w
        .dir
        .sign_in(ADMIN_EMAIL, &Password::new(ADMIN_PASSWORD))
        .await
        .unwrap();
    assert_eq!(ada, w.admin);
    assert_eq!(events(&w, ada, "user.signed_in").await, 1);
    let record = w.store.get(&RecordKey::User(ada)).await.unwrap().unwrap();
    match record.value {
        Record::User(u) => assert!(u.last_sign_in.is_some(), "stamped"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_sign_in_races_a_password_change_and_loses() {
    let (w, faulty) = faulty().await;
    // While Ada signs in with her old password, another process changes it.
    let other = with_password_hashed_anew(&w, "an entirely new passphrase").await;
    faulty.interleave_next(signs_in, other);
    let r = w
        .dir
        .sign_in(ADMIN_EMAIL, &Password::new(ADMIN_PASSWORD))
        .await;
    assert!(
        matches!(r, Err(DirectoryError::InvalidCredentials)),
        "{r:?}"
    );
    assert_eq!(events(&w, w.admin, "user.signed_in").await, 0);
}

/// Ada's record with `password` hashed anew (a fresh salt: another hash of it).
async fn with_password_hashed_anew(w: &World, password: &str) -> Changeset {
    let current = w
        .store
        .get(&RecordKey::User(w.admin))
        .await
        .unwrap()
        .unwrap();
    let Record::User(mut changed) = current.value else {
        panic!()
    };
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(7);
    changed.password = Some(
        hash_password(
            &Password::new(password),
            &HashParams::INSECURE_FAST_FOR_TESTS,
            &mut rng,
        )
        .unwrap(),
    );
    let mut other = Changeset::new();
    other.update(Record::User(changed), current.version);
    other
}

#[tokio::test]
async fn a_sign_in_racing_another_sign_in_that_rehashed_the_same_password_stands() {
    let (w, faulty) = faulty().await;
    // Another sign-in of Ada's rehashed her password just before this one commits.
    let other = with_password_hashed_anew(&w, ADMIN_PASSWORD).await;
    faulty.interleave_next(signs_in, other);
    let r = w
        .dir
        .sign_in(ADMIN_EMAIL, &Password::new(ADMIN_PASSWORD))
        .await;
    assert_eq!(r.unwrap(), w.admin);
    assert_eq!(events(&w, w.admin, "user.signed_in").await, 1);
}

#[tokio::test]
async fn revoking_a_grant_another_task_just_removed_is_refused_as_not_held() {
    let (w, faulty) = faulty().await;
    // Another admin's task removes Bob's grant just before this revocation commits.
    let at = bob_whose_grant_goes(&w, &faulty, |cs, at| {
        cs.deletes.iter().any(|(k, _)| *k == RecordKey::Grant(at))
    })
    .await;
    let before = events(&w, at.user, "grant.changed").await;
    let r = w
        .dir
        .change_grant(
            w.admin(),
            at,
            Change::Revoke {
                what: admin_role(),
                cascade: false,
            },
        )
        .await;
    // Decided again on what is there now: nothing left to revoke, a typed refusal, and no
    // second event for the one removal.
    assert!(matches!(r, Err(DirectoryError::NotHeld)), "{r:?}");
    assert!(w.store.get(&RecordKey::Grant(at)).await.unwrap().is_none());
    assert_eq!(events(&w, at.user, "grant.changed").await, before);
}

#[tokio::test]
async fn adding_to_a_grant_another_task_just_removed_is_retried_not_a_store_error() {
    let (w, faulty) = faulty().await;
    // Another admin's task removes Bob's grant just before this addition commits.
    let at = bob_whose_grant_goes(&w, &faulty, |cs, at| {
        cs.puts
            .iter()
            .any(|(r, _)| matches!(r, Record::Grant(g, _) if *g == at))
    })
    .await;
    let read = Grantables {
        permissions: [PermissionKey::new("feed.read").unwrap()].into(),
        ..Grantables::new()
    };
    let r = w
        .dir
        .change_grant(w.admin(), at, Change::Grant(read.clone()))
        .await;
    assert!(r.is_ok(), "{r:?}");
    // Decided again on what is there now: the grant holds what was added, nothing more.
    match w
        .store
        .get(&RecordKey::Grant(at))
        .await
        .unwrap()
        .unwrap()
        .value
    {
        Record::Grant(_, held) => assert_eq!(held, read),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        events(&w, at.user, "grant.changed").await,
        2,
        "the grant and the addition"
    );
}
