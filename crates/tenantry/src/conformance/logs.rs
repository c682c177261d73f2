//! The outbox, the audit log and housekeeping reads.

use chrono::Duration;
use tenantry_credentials::Attempts;
use uuid::Uuid;

use crate::changeset::Changeset;
use crate::records::{Channel, OutboxMessage, OutboxStatus, Record};
use crate::store::{AuditQuery, StaleKind, Store};

use super::*;

/// Pending outbox messages come due in order; audit events come back newest first.
pub async fn outbox_and_audit(store: &dyn Store) -> Outcome {
    const C: &str = "outbox_and_audit";
    let mut f = Fixture::new();
    let org = f.org()?;
    let message = |f: &mut Fixture, minutes: i64, key: &str| {
        let mut bytes = [0u8; 16];
        rand::Rng::fill_bytes(&mut f.rng, &mut bytes);
        OutboxMessage {
            id: uuid::Builder::from_random_bytes(bytes).into_uuid(),
            idempotency_key: format!("{}-{key}", f.tag),
            channel: Channel::Email,
            to: "someone@conformance.example".into(),
            user: None,
            kind: "welcome".into(),
            subject: "Welcome".into(),
            text: "Hello".into(),
            html: None,
            created_at: f.now + Duration::minutes(minutes),
            status: OutboxStatus::Pending {
                attempts: 0,
                next_attempt_at: f.now + Duration::minutes(minutes),
            },
            topic: None,
        }
    };
    let (first, second, later) = (
        message(&mut f, 0, "a"),
        message(&mut f, 1, "b"),
        message(&mut f, 600, "c"),
    );
    let mut cs = Changeset::new();
    cs.insert(Record::Org(org.clone()))
        .insert(Record::Outbox(second.clone()))
        .insert(Record::Outbox(first.clone()))
        .insert(Record::Outbox(later.clone()))
        .audit(event(&mut f, org.org.id, "conformance.first"))
        .audit(event(&mut f, org.org.id, "conformance.second"));
    attempt!(C, store.commit(cs).await);
    let due: Vec<Uuid> = attempt!(
        C,
        store
            .pending_outbox(f.now + Duration::minutes(5), 1000)
            .await
    )
    .into_iter()
    .filter(|m| m.value.idempotency_key.starts_with(&f.tag))
    .map(|m| m.value.id)
    .collect();
    ensure!(
        C,
        due == vec![first.id, second.id],
        "two messages are due, oldest first; got {due:?}"
    );
    let mut sent = first.clone();
    sent.status = OutboxStatus::Sent {
        at: f.now + Duration::minutes(2),
    };
    let mut cs = Changeset::new();
    cs.update(Record::Outbox(sent), 1);
    attempt!(C, store.commit(cs).await);
    let due = attempt!(
        C,
        store
            .pending_outbox(f.now + Duration::minutes(5), 1000)
            .await
    )
    .into_iter()
    .filter(|m| m.value.idempotency_key.starts_with(&f.tag))
    .count();
    ensure!(C, due == 1, "a sent message is no longer pending");
    let audit = attempt!(
        C,
        store
            .audit(&AuditQuery {
                org: Some(org.org.id),
                ..Default::default()
            })
            .await
    );
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    ensure!(
        C,
        actions == ["conformance.second", "conformance.first"],
        "audit newest first, got {actions:?}"
    );
    let one = attempt!(
        C,
        store
            .audit(&AuditQuery {
                org: Some(org.org.id),
                limit: 1,
                ..Default::default()
            })
            .await
    );
    ensure!(C, one.len() == 1, "audit limit");
    Ok(())
}

/// [`Store::stale`] answers records of the kind asked, stale before the time asked, the
/// longest stale first; never a suspended attempt record or a pending message.
pub async fn stale_records(store: &dyn Store) -> Outcome {
    const C: &str = "stale_records";
    let f = Fixture::new();
    let attempts = |key: &str, days_ago: i64, suspended: bool| {
        Record::Attempts(
            format!("conformance:{}:{key}", f.tag),
            Attempts {
                failures: 3,
                last_failure: Some(f.now - Duration::days(days_ago)),
                locked_until: None,
                consecutive: 3,
                suspended,
            },
        )
    };
    let message = |key: &str, sent: bool| OutboxMessage {
        id: uuid::Builder::from_random_bytes(rand::random()).into_uuid(),
        idempotency_key: format!("{}-{key}", f.tag),
        channel: Channel::Email,
        to: "someone@conformance.example".into(),
        user: None,
        kind: "welcome".into(),
        subject: "Welcome".into(),
        text: String::new(),
        html: None,
        created_at: f.now - Duration::days(20),
        status: if sent {
            OutboxStatus::Sent { at: f.now }
        } else {
            OutboxStatus::Pending {
                attempts: 0,
                next_attempt_at: f.now + Duration::days(1000),
            }
        },
        topic: None,
    };
    attempt!(
        C,
        insert(
            store,
            vec![
                attempts("older", 12, false),
                attempts("old", 10, false),
                attempts("recent", 1, false),
                attempts("suspended", 30, true),
                Record::Outbox(message("sent", true)),
                Record::Outbox(message("pending", false)),
            ],
        )
        .await
    );
    let ours = |records: Vec<crate::records::Versioned<Record>>| -> Vec<String> {
        records
            .into_iter()
            .filter_map(|r| match r.value {
                Record::Attempts(key, _) => key
                    .strip_prefix(&format!("conformance:{}:", f.tag))
                    .map(str::to_owned),
                Record::Outbox(m) => m
                    .idempotency_key
                    .strip_prefix(&format!("{}-", f.tag))
                    .map(str::to_owned),
                _ => None,
            })
            .collect()
    };
    let stale = ours(attempt!(
        C,
        store
            .stale(StaleKind::Attempts, f.now - Duration::days(5), 1000)
            .await
    ));
    ensure!(
        C,
        stale == ["older", "old"],
        "idle attempt records, longest stale first, no suspended one; got {stale:?}"
    );
    let stale = ours(attempt!(
        C,
        store.stale(StaleKind::Outbox, f.now, 1000).await
    ));
    ensure!(
        C,
        stale == ["sent"],
        "messages no longer pending only; got {stale:?}"
    );
    let none = ours(attempt!(
        C,
        store.stale(StaleKind::Token, f.now, 1000).await
    ));
    ensure!(C, none.is_empty(), "only the kind asked; got {none:?}");
    Ok(())
}
