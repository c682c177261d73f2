//! Concurrent writers: no lost update, no organization left without an admin.

use std::sync::Arc;

use tenantry_access::{GrantRef, Grantables, PermissionKey, Scope};
use tenantry_credentials::Attempts;

use crate::changeset::Changeset;
use crate::error::StoreErrorKind;
use crate::records::{Record, RecordKey};
use crate::store::{ListOf, Store};

use super::*;

/// `tasks` tasks each add one failed attempt to one counter, re-reading on Conflict: the
/// counter ends at `tasks` (no lost update).
pub async fn concurrent_increments(store: Arc<dyn Store>, tasks: u32) -> Outcome {
    const C: &str = "concurrent_increments";
    let f = Fixture::new();
    let key = format!("conformance-{}", f.tag);
    attempt!(
        C,
        insert(
            store.as_ref(),
            vec![Record::Attempts(key.clone(), Attempts::default())]
        )
        .await
    );
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (store, key) = (store.clone(), key.clone());
        handles.push(tokio::spawn(async move {
            for _ in 0..10_000 {
                let Ok(Some(current)) = store.get(&RecordKey::Attempts(key.clone())).await else {
                    return false;
                };
                let Record::Attempts(_, mut a) = current.value else {
                    return false;
                };
                a.failures += 1;
                let mut cs = Changeset::new();
                cs.update(Record::Attempts(key.clone(), a), current.version);
                match store.commit(cs).await {
                    Ok(_) => return true,
                    Err(e) if e.kind() == StoreErrorKind::Conflict => {
                        tokio::task::yield_now().await
                    }
                    Err(_) => return false,
                }
            }
            false
        }));
    }
    for h in handles {
        ensure!(
            C,
            matches!(h.await, Ok(true)),
            "a task failed to commit its increment"
        );
    }
    let end = attempt!(C, store.get(&RecordKey::Attempts(key)).await);
    let failures = match end.map(|v| v.value) {
        Some(Record::Attempts(_, a)) => a.failures,
        _ => 0,
    };
    ensure!(
        C,
        failures == tasks,
        "the counter is {failures}, want {tasks}: an update was lost"
    );
    Ok(())
}

/// `tasks` admins of one organization each try to revoke another's admin grant, deciding on
/// what they read and bumping the organization's version: the organization keeps an admin.
pub async fn concurrent_demotions(store: Arc<dyn Store>, tasks: usize) -> Outcome {
    const C: &str = "concurrent_demotions";
    let mut f = Fixture::new();
    let org = f.org()?;
    let org_id = org.org.id;
    let admin = Grantables {
        permissions: PermissionKey::new("org.admin")
            .map(|k| [k].into())
            .unwrap_or_default(),
        ..Grantables::new()
    };
    let mut records = vec![Record::Org(org.clone())];
    let mut admins = Vec::new();
    for i in 0..tasks {
        let u = f
            .user(org_id, &format!("admin{i}"))
            .ok_or_else(|| ConformanceError {
                check: C,
                detail: "fixture".into(),
            })?;
        admins.push(u.user.id());
        records.push(Record::Grant(
            GrantRef {
                user: u.user.id(),
                org: org_id,
                scope: Scope::Organization,
            },
            admin.clone(),
        ));
        records.push(Record::User(u));
    }
    attempt!(C, insert(store.as_ref(), records).await);
    let mut handles = Vec::new();
    for i in 0..tasks {
        let store = store.clone();
        let victim = admins[(i + 1) % tasks];
        handles.push(tokio::spawn(async move {
            let Ok(Some(org)) = store.get(&RecordKey::Org(org_id)).await else {
                return;
            };
            let Ok(grants) = store.list(&ListOf::GrantsAt(org_id)).await else {
                return;
            };
            // Decide on what was read: only demote if another admin would remain.
            let Some(target) = grants
                .iter()
                .find(|g| matches!(&g.value, Record::Grant(r, _) if r.user == victim))
            else {
                return;
            };
            if grants.len() < 2 {
                return;
            }
            let mut cs = Changeset::new();
            cs.update(org.value.clone(), org.version)
                .delete(target.value.key(), target.version);
            let _ = store.commit(cs).await;
        }));
    }
    for h in handles {
        ensure!(C, h.await.is_ok(), "a task panicked");
    }
    let left = attempt!(C, store.list(&ListOf::GrantsAt(org_id)).await).len();
    ensure!(C, left >= 1, "the organization was left without an admin");
    ensure!(
        C,
        left < tasks,
        "no demotion went through at all (every commit conflicted)"
    );
    Ok(())
}
