//! Versions, atomic commits and unique identifiers.

use tenantry_identity::{Department, DepartmentId, SignUpCode, Username};

use crate::changeset::Changeset;
use crate::error::StoreErrorKind;
use crate::records::{Record, RecordKey};
use crate::store::{AuditQuery, Store};

use super::*;

/// Versions count commits; stale, missing and already-present records are refused.
pub async fn versions(store: &dyn Store) -> Outcome {
    const C: &str = "versions";
    let mut f = Fixture::new();
    let org = f.org()?;
    let key = RecordKey::Org(org.org.id);
    attempt!(C, insert(store, vec![Record::Org(org.clone())]).await);
    let mut cs = Changeset::new();
    cs.update(Record::Org(org.clone()), 1);
    let committed = attempt!(C, store.commit(cs).await);
    ensure!(
        C,
        committed.versions == vec![(key.clone(), 2)],
        "an update moves the version to 2, got {:?}",
        committed.versions
    );
    let mut stale = Changeset::new();
    stale.update(Record::Org(org.clone()), 1);
    let e = store.commit(stale).await.err().map(|e| e.kind());
    ensure!(
        C,
        e == Some(StoreErrorKind::Conflict),
        "a stale version is a Conflict, got {e:?}"
    );
    let mut again = Changeset::new();
    again.insert(Record::Org(org.clone()));
    let e = store.commit(again).await.err().map(|e| e.kind());
    ensure!(
        C,
        e == Some(StoreErrorKind::Conflict),
        "inserting an existing record is a Conflict, got {e:?}"
    );
    let other = f.org()?;
    let mut missing = Changeset::new();
    missing.update(Record::Org(other.clone()), 1);
    let e = store.commit(missing).await.err().map(|e| e.kind());
    ensure!(
        C,
        e == Some(StoreErrorKind::NotFound),
        "updating a missing record is NotFound, got {e:?}"
    );
    let mut del = Changeset::new();
    del.delete(key.clone(), 1);
    let e = store.commit(del).await.err().map(|e| e.kind());
    ensure!(
        C,
        e == Some(StoreErrorKind::Conflict),
        "deleting at a stale version is a Conflict, got {e:?}"
    );
    let mut del = Changeset::new();
    del.delete(key.clone(), 2);
    attempt!(C, store.commit(del).await);
    ensure!(
        C,
        attempt!(C, store.get(&key).await).is_none(),
        "a deleted record is gone"
    );
    let read = attempt!(C, store.get(&RecordKey::Org(other.org.id)).await);
    ensure!(C, read.is_none(), "nothing was written by refused commits");
    Ok(())
}

/// A commit with one failing part writes nothing.
pub async fn atomicity(store: &dyn Store) -> Outcome {
    const C: &str = "atomicity";
    let mut f = Fixture::new();
    let (a, b) = (f.org()?, f.org()?);
    attempt!(C, insert(store, vec![Record::Org(a.clone())]).await);
    let mut cs = Changeset::new();
    cs.insert(Record::Org(b.clone()))
        .update(Record::Org(a.clone()), 7)
        .audit(event(&mut f, a.org.id, "conformance.atomicity"));
    let e = store.commit(cs).await.err().map(|e| e.kind());
    ensure!(
        C,
        e == Some(StoreErrorKind::Conflict),
        "the stale part fails the commit, got {e:?}"
    );
    ensure!(
        C,
        attempt!(C, store.get(&RecordKey::Org(b.org.id)).await).is_none(),
        "the valid part was not written"
    );
    let audit = attempt!(
        C,
        store
            .audit(&AuditQuery {
                org: Some(a.org.id),
                ..Default::default()
            })
            .await
    );
    ensure!(C, audit.is_empty(), "no audit event of a refused commit");
    let version = attempt!(C, store.get(&RecordKey::Org(a.org.id)).await).map(|v| v.version);
    ensure!(
        C,
        version == Some(1),
        "the existing record is untouched, version {version:?}"
    );
    Ok(())
}

/// Login identifiers and sign-up codes belong to one record; releasing them frees them.
pub async fn duplicates(store: &dyn Store) -> Outcome {
    const C: &str = "duplicates";
    let mut f = Fixture::new();
    let org = f.org()?;
    let fixture = || ConformanceError {
        check: C,
        detail: "fixture".into(),
    };
    let ann = f.user(org.org.id, "ann").ok_or_else(fixture)?;
    attempt!(
        C,
        insert(
            store,
            vec![Record::Org(org.clone()), Record::User(ann.clone())]
        )
        .await
    );
    // Same email, other case, other user.
    let mut clash = f.user(org.org.id, "ANN").ok_or_else(fixture)?;
    let e = insert(store, vec![Record::User(clash.clone())])
        .await
        .err()
        .map(|e| e.kind());
    ensure!(
        C,
        e == Some(StoreErrorKind::Duplicate),
        "an email in another case is a Duplicate, got {e:?}"
    );
    // Two new users with one username in one changeset.
    let mut x = f.user(org.org.id, "x").ok_or_else(fixture)?;
    let mut y = f.user(org.org.id, "y").ok_or_else(fixture)?;
    let shared = attempt!(
        C,
        Username::parse(&format!("shared-{}", f.tag)).map_err(|e| e.to_string())
    );
    for u in [&mut x, &mut y] {
        let mut ids = u.user.identifiers().clone();
        ids.username = Some(shared.clone());
        attempt!(
            C,
            u.user
                .set_identifiers(ids, f.now)
                .map_err(|e| e.to_string())
        );
    }
    let e = insert(
        store,
        vec![Record::User(x.clone()), Record::User(y.clone())],
    )
    .await
    .err()
    .map(|e| e.kind());
    ensure!(
        C,
        e == Some(StoreErrorKind::Duplicate),
        "a username twice in one changeset is a Duplicate, got {e:?}"
    );
    // Swapping identifiers between two users in one changeset is fine.
    let bob = f.user(org.org.id, "bob").ok_or_else(fixture)?;
    attempt!(C, insert(store, vec![Record::User(bob.clone())]).await);
    let (mut ann2, mut bob2) = (ann.clone(), bob.clone());
    let (ai, bi) = (
        ann.user.identifiers().clone(),
        bob.user.identifiers().clone(),
    );
    attempt!(
        C,
        ann2.user
            .set_identifiers(bi, f.now)
            .map_err(|e| e.to_string())
    );
    attempt!(
        C,
        bob2.user
            .set_identifiers(ai, f.now)
            .map_err(|e| e.to_string())
    );
    let mut swap = Changeset::new();
    swap.update(Record::User(ann2), 1)
        .update(Record::User(bob2), 1);
    attempt!(C, store.commit(swap).await);
    let found = attempt!(
        C,
        store.user_by_login(&ann.user.identifiers().keys()[0]).await
    );
    ensure!(
        C,
        found.is_some_and(|u| u.value.user.id() == bob.user.id()),
        "after the swap, Ann's old email finds Bob"
    );
    // Deleting a user frees its identifiers.
    let mut del = Changeset::new();
    del.delete(RecordKey::User(bob.user.id()), 2);
    attempt!(C, store.commit(del).await);
    let mut ids = clash.user.identifiers().clone();
    ids.email = ann.user.identifiers().email.clone();
    attempt!(
        C,
        clash
            .user
            .set_identifiers(ids, f.now)
            .map_err(|e| e.to_string())
    );
    attempt!(C, insert(store, vec![Record::User(clash)]).await);
    // Sign-up codes.
    let code = SignUpCode::generate(&mut f.rng);
    let dept = |f: &mut Fixture| -> Result<Department, ConformanceError> {
        Ok(Department {
            id: DepartmentId::generate(f.now, &mut f.rng),
            org: org.org.id,
            name: name()?,
            sign_up_code: Some(code.clone()),
            created_at: f.now,
            version: 0,
        })
    };
    attempt!(
        C,
        insert(store, vec![Record::Department(dept(&mut f)?)]).await
    );
    let e = insert(store, vec![Record::Department(dept(&mut f)?)])
        .await
        .err()
        .map(|e| e.kind());
    ensure!(
        C,
        e == Some(StoreErrorKind::Duplicate),
        "a sign-up code twice is a Duplicate, got {e:?}"
    );
    Ok(())
}
