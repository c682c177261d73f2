//! Housekeeping: deleting what is of no more use — expired tokens, codes and one-time
//! passwords, idle attempt records, messages long delivered — on the host's schedule.

use chrono::Duration;

use crate::changeset::Changeset;
use crate::directory::{Caller, Directory, DirectoryError};
use crate::store::StaleKind;

/// How long housekeeping keeps what is of no more use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Expired link tokens, verification codes and one-time passwords: kept this long after
    /// they expired (default: not at all).
    pub expired_secrets: Duration,
    /// Attempt records: kept this long after their last failure or lock (default 30 days).
    /// A suspended identifier's record is kept whatever its age: deleting it would lift the
    /// suspension.
    pub attempts: Duration,
    /// Delivered, failed and cancelled messages: kept this long after they were written
    /// (default 30 days), to answer "did the invitation go out?". Their bodies were not kept
    /// beyond delivery where the message was cancelled.
    pub outbox: Duration,
    /// Records deleted per commit (default 500, at most the store's page).
    pub batch: usize,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            expired_secrets: Duration::zero(),
            attempts: Duration::days(30),
            outbox: Duration::days(30),
            batch: 500,
        }
    }
}

/// What one [`Directory::purge`] deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Expired link tokens.
    pub tokens: usize,
    /// Expired verification codes.
    pub codes: usize,
    /// Expired one-time passwords.
    pub one_time_passwords: usize,
    /// Idle attempt records.
    pub attempts: usize,
    /// Messages no longer pending.
    pub messages: usize,
}

impl PurgeReport {
    /// Everything deleted.
    pub fn total(&self) -> usize {
        self.tokens + self.codes + self.one_time_passwords + self.attempts + self.messages
    }
}

impl Directory {
    /// Deletes what `retention` says is of no more use: expired tokens, codes and one-time
    /// passwords; attempt records idle for long (never a suspended one); messages no longer
    /// pending and old enough. Run it from a scheduled job (daily, say); it acts as the
    /// system, in batches, each one commit at the versions read, so a record that changed
    /// meanwhile (a new failure on an attempt record) stays for the next run. Audited once
    /// (`housekeeping.purged`, with the counts) when anything was deleted.
    #[tracing::instrument(name = "tenantry", skip_all, fields(use_case = "purge"), err(Display))]
    pub async fn purge(&self, retention: &Retention) -> Result<PurgeReport, DirectoryError> {
        if retention.batch == 0
            || retention.expired_secrets < Duration::zero()
            || retention.attempts < Duration::zero()
            || retention.outbox < Duration::zero()
        {
            return Err(DirectoryError::Invalid {
                field: "retention",
                reason: "a positive batch and no negative duration",
            });
        }
        let now = self.clock.now();
        let batch = retention.batch.min(crate::MAX_PAGE);
        let mut report = PurgeReport::default();
        for kind in StaleKind::ALL {
            let keep = match kind {
                StaleKind::Attempts => retention.attempts,
                StaleKind::Outbox => retention.outbox,
                _ => retention.expired_secrets,
            };
            let before = now
                .checked_sub_signed(keep)
                .ok_or(DirectoryError::Invalid {
                    field: "retention",
                    reason: "a duration the calendar can hold",
                })?;
            loop {
                let page = self.store.stale(kind, before, batch).await?;
                let mut cs = Changeset::new();
                for stale in &page {
                    // The store's answer is checked, not trusted: only what is stale goes.
                    if matches!(stale.value.stale_since(), Some((k, at)) if k == kind && at < before)
                    {
                        cs.delete(stale.value.key(), stale.version);
                    }
                }
                let deleted = cs.deletes.len();
                if deleted == 0 {
                    break;
                }
                match self.store.commit(cs).await {
                    Ok(_) => {}
                    // Something changed meanwhile: left for the next run.
                    Err(e) if crate::directory::conflict(&e) => break,
                    Err(e) => return Err(e.into()),
                }
                *match kind {
                    StaleKind::Token => &mut report.tokens,
                    StaleKind::Code => &mut report.codes,
                    StaleKind::Otp => &mut report.one_time_passwords,
                    StaleKind::Attempts => &mut report.attempts,
                    _ => &mut report.messages,
                } += deleted;
                if page.len() < batch {
                    break;
                }
            }
        }
        if report.total() > 0 {
            let mut event = self.audit(Caller::System, None, None, "housekeeping.purged");
            for (name, n) in [
                ("tokens", report.tokens),
                ("codes", report.codes),
                ("one_time_passwords", report.one_time_passwords),
                ("attempts", report.attempts),
                ("messages", report.messages),
            ] {
                event.detail.insert(name.into(), n.to_string());
            }
            let mut cs = Changeset::new();
            cs.audit(event);
            self.store.commit(cs).await?;
        }
        Ok(report)
    }
}
