//! Delivering the outbox: messages written in changesets are sent afterwards, retried with
//! backoff while failures are temporary, and given up on when they are permanent.

use chrono::Duration;

use crate::changeset::Changeset;
use crate::clock::Clock;
use crate::error::{StoreError, StoreErrorKind};
use crate::mail::{EmailMessage, Mailer, SmsMessage, SmsSender};
use crate::records::{Channel, OutboxMessage, OutboxStatus, Record, RecordKey};
use crate::store::Store;

/// How the dispatcher retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Deliveries tried before giving up (default 8).
    pub max_attempts: u32,
    /// The first wait after a temporary failure (default 1 minute); it doubles each time.
    pub base_delay: Duration,
    /// The longest wait (default 6 hours).
    pub max_delay: Duration,
    /// How long a dispatcher holds a message it is sending before another may take it
    /// (default 5 minutes): a dispatcher that dies mid-send delays, never loses, a message.
    pub lease: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::minutes(1),
            max_delay: Duration::hours(6),
            lease: Duration::minutes(5),
        }
    }
}

impl RetryPolicy {
    /// The wait after `attempts` failed deliveries.
    pub fn delay(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        let secs = self
            .base_delay
            .num_seconds()
            .saturating_mul(1i64 << doublings);
        Duration::seconds(secs.min(self.max_delay.num_seconds()))
    }
}

/// What one dispatch round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DispatchReport {
    /// Delivered.
    pub sent: usize,
    /// Failed temporarily; will be retried.
    pub retried: usize,
    /// Given up on.
    pub failed: usize,
    /// Taken by another dispatcher first.
    pub skipped: usize,
    /// Optional messages withdrawn because their user muted the topic (or stopped receiving
    /// mail) after they were queued.
    pub withdrawn: usize,
}

/// Delivers due messages from the outbox: a dispatch round over a store, through a mailer
/// (and an SMS sender, if any), on a clock, with a retry policy and a batch size.
///
/// ```no_run
/// # async fn run(store: &dyn tenantry::Store, mailer: &dyn tenantry::Mailer) -> Result<(), tenantry::StoreError> {
/// use tenantry::{Dispatcher, RetryPolicy, SystemClock};
/// let report = Dispatcher::new(store, mailer, &SystemClock)
///     .policy(RetryPolicy::default())
///     .batch(100)
///     .run()
///     .await?;
/// println!("{} sent, {} to retry", report.sent, report.retried);
/// # Ok(()) }
/// ```
///
/// Each message is first leased (its next attempt moved past the lease, in a commit that
/// fails if another dispatcher got there first), then sent, then marked sent, with its
/// bodies dropped: links with tokens do not stay at rest once delivered. Delivery is at
/// least once: a dispatcher that dies between sending and marking leaves the message to be
/// sent again after the lease, with the same idempotency key. SMS messages fail permanently
/// when no SMS sender is configured.
#[derive(Clone, Copy)]
pub struct Dispatcher<'a> {
    store: &'a dyn Store,
    mailer: &'a dyn Mailer,
    sms: Option<&'a dyn SmsSender>,
    clock: &'a dyn Clock,
    policy: RetryPolicy,
    batch: usize,
}

impl std::fmt::Debug for Dispatcher<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("sms", &self.sms.is_some())
            .field("policy", &self.policy)
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
}

impl<'a> Dispatcher<'a> {
    /// A dispatcher over `store` sending mail through `mailer`, with the default
    /// [`RetryPolicy`], no SMS sender and batches of 100 messages.
    pub fn new(store: &'a dyn Store, mailer: &'a dyn Mailer, clock: &'a dyn Clock) -> Self {
        Self {
            store,
            mailer,
            sms: None,
            clock,
            policy: RetryPolicy::default(),
            batch: 100,
        }
    }

    /// Sends text messages through `sms`.
    pub fn sms(mut self, sms: &'a dyn SmsSender) -> Self {
        self.sms = Some(sms);
        self
    }

    /// Retries and leases by `policy`.
    pub fn policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Delivers at most `batch` due messages per [`Self::run`].
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch;
        self
    }

    /// One round: delivers up to the batch size of due messages.
    pub async fn run(&self) -> Result<DispatchReport, StoreError> {
        dispatch(
            self.store,
            self.mailer,
            self.sms,
            self.clock,
            &self.policy,
            self.batch,
        )
        .await
    }
}

async fn dispatch(
    store: &dyn Store,
    mailer: &dyn Mailer,
    sms: Option<&dyn SmsSender>,
    clock: &dyn Clock,
    policy: &RetryPolicy,
    limit: usize,
) -> Result<DispatchReport, StoreError> {
    let mut report = DispatchReport::default();
    for due in store.pending_outbox(clock.now(), limit).await? {
        let OutboxStatus::Pending { attempts, .. } = due.value.status else {
            continue;
        };
        // An optional message whose user muted its topic (or is gone) since it was queued
        // is withdrawn, not sent.
        if let (Some(topic), Some(user)) = (&due.value.topic, due.value.user) {
            let wanted = match store.get(&RecordKey::User(user)).await? {
                Some(v) => match v.value {
                    Record::User(u) => {
                        u.notifications.receives(topic) && u.account.capabilities().receives_mail
                    }
                    _ => false,
                },
                None => false,
            };
            if !wanted {
                let mut withdrawn = due.value.clone();
                withdrawn.status = OutboxStatus::Cancelled { at: clock.now() };
                withdrawn.text.clear();
                withdrawn.html = None;
                let mut cs = Changeset::new();
                cs.update(Record::Outbox(withdrawn), due.version);
                match store.commit(cs).await {
                    Ok(_) => report.withdrawn += 1,
                    Err(e) if taken_meanwhile(&e) => report.skipped += 1,
                    Err(e) => return Err(e),
                }
                continue;
            }
        }
        // Lease.
        let mut leased = due.value.clone();
        leased.status = OutboxStatus::Pending {
            attempts,
            next_attempt_at: clock.now() + policy.lease,
        };
        let mut lease = Changeset::new();
        lease.update(Record::Outbox(leased.clone()), due.version);
        let version = match store.commit(lease).await {
            Ok(c) => c.versions.first().map_or(due.version + 1, |(_, v)| *v),
            Err(e) if taken_meanwhile(&e) => {
                report.skipped += 1;
                continue;
            }
            Err(e) => return Err(e),
        };
        // Send.
        let result = match leased.channel {
            Channel::Email => mailer.send(&email_of(&leased)).await,
            Channel::Sms => match sms {
                Some(sender) => sender.send(&sms_of(&leased)).await,
                None => Err(crate::mail::DeliveryError::Permanent(
                    "no SMS sender is configured".into(),
                )),
            },
        };
        // Record the outcome.
        let now = clock.now();
        let mut done = leased;
        done.status = match result {
            Ok(()) => {
                report.sent += 1;
                done.text.clear();
                done.html = None;
                OutboxStatus::Sent { at: now }
            }
            Err(e) if e.is_retryable() && attempts + 1 < policy.max_attempts => {
                report.retried += 1;
                OutboxStatus::Pending {
                    attempts: attempts + 1,
                    next_attempt_at: now + policy.delay(attempts + 1),
                }
            }
            Err(e) => {
                report.failed += 1;
                done.text.clear();
                done.html = None;
                OutboxStatus::Failed {
                    at: now,
                    reason: e.to_string(),
                }
            }
        };
        let mut outcome = Changeset::new();
        outcome.update(Record::Outbox(done), version);
        store.commit(outcome).await?;
    }
    Ok(report)
}

/// Whether a write to a due message lost to another dispatcher (or to a change that
/// withdrew or removed the message meanwhile).
fn taken_meanwhile(e: &StoreError) -> bool {
    matches!(
        e.kind(),
        StoreErrorKind::Conflict | StoreErrorKind::NotFound
    )
}

fn email_of(m: &OutboxMessage) -> EmailMessage {
    EmailMessage {
        to: m.to.clone(),
        to_name: None,
        subject: m.subject.clone(),
        text: m.text.clone(),
        html: m.html.clone(),
        idempotency_key: m.idempotency_key.clone(),
    }
}

fn sms_of(m: &OutboxMessage) -> SmsMessage {
    SmsMessage {
        to: m.to.clone(),
        text: m.text.clone(),
        idempotency_key: m.idempotency_key.clone(),
    }
}
