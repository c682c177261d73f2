//! PIN keys: re-sealing stored PINs under the newest key (rotation).

use tenantry_credentials::{CredentialError, PinKey};
use tenantry_identity::{OrgId, UserId, UserKind};

use crate::changeset::Changeset;
use crate::directory::{Caller, Directory, DirectoryError, retrying};
use crate::records::{Record, RecordKey};
use crate::store::UserQuery;

impl Directory {
    /// Re-seals every stored PIN of `org`'s PIN users that another key sealed under the
    /// newest key, the first of [`crate::DirectoryConfig::pin_keys`]; the PINs themselves
    /// and their failure counts stay. Rotation: put the new key first, keep the old ones
    /// after it, run this for every organization with PIN users, then drop the old keys.
    /// The caller must administer `org`. Returns how many PINs were re-sealed; audited once
    /// (`pins.resealed`) when any were.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "reseal_pins"),
        err(Display)
    )]
    pub async fn reseal_pins(&self, caller: Caller, org: OrgId) -> Result<usize, DirectoryError> {
        self.require_admin(caller, org).await?;
        let key = self
            .config
            .pin_keys
            .first()
            .ok_or(CredentialError::InvalidKey)?;
        let mut count = 0;
        let mut after = None;
        loop {
            let page = self
                .store
                .users(&UserQuery {
                    org: Some(org),
                    kinds: vec![UserKind::Pin],
                    after,
                    limit: crate::MAX_PAGE,
                    ..Default::default()
                })
                .await?;
            for u in &page.items {
                let user = u.value.user.id();
                if retrying!(self, self.try_reseal(user, key))? {
                    count += 1;
                }
            }
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        if count > 0 {
            let mut event = self.audit(caller, Some(org), None, "pins.resealed");
            event.detail.insert("count".into(), count.to_string());
            event.detail.insert("key".into(), key.id().to_string());
            let mut cs = Changeset::new();
            cs.audit(event);
            self.store.commit(cs).await?;
        }
        Ok(count)
    }

    /// Re-seals `user`'s PIN under `key` unless it is sealed under it already.
    async fn try_reseal(&self, user: UserId, key: &PinKey) -> Result<bool, DirectoryError> {
        let Some(stored) = self.store.get(&RecordKey::Pin(user)).await? else {
            return Ok(false);
        };
        let Record::Pin(mut record) = stored.value else {
            return Ok(false);
        };
        if record.sealed().key_id()? == key.id() {
            return Ok(false);
        }
        self.with_rng(|rng| record.reseal(&self.config.pin_keys, key, rng))?;
        let mut cs = Changeset::new();
        cs.update(Record::Pin(record), stored.version);
        self.store.commit(cs).await?;
        Ok(true)
    }
}
