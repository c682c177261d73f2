//! Consumers: digests with their registration link, and registering.

use super::*;

impl Directory {
    /// Sends a digest (social intranet) to `user`: to a consumer with their personal registration
    /// link (a fresh one; the link of older digests stops working). Users whose kind or
    /// state receives no mail get nothing. Returns whether a message was queued.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "send_digest"),
        err(Display)
    )]
    pub async fn send_digest(
        &self,
        caller: Caller,
        user: UserId,
        items: Vec<String>,
    ) -> Result<bool, DirectoryError> {
        self.acting(caller).await?;
        let (record, _) = self.user(user).await?;
        self.require_admin(caller, record.user.org()).await?;
        let mut ctx = MessageContext::new(
            MessageKind::ConsumerDigest,
            Locale::from_language(record.user.profile().language.as_ref()),
            &record.user.display_name(),
            "",
        );
        ctx.digest_items = items;
        retrying!(
            self,
            self.queue_optional(caller, user, crate::notify::Topic::Digest, ctx.clone())
        )
    }

    /// A consumer registers through the personal link in their mail (social intranet) and becomes a
    /// standard user with the password they choose. A deleted consumer's link is dead.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "register_consumer"),
        err(Display)
    )]
    pub async fn register_consumer(
        &self,
        raw: &RawToken,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        retrying!(self, self.try_register_consumer(raw, password))
    }

    pub(crate) async fn try_register_consumer(
        &self,
        raw: &RawToken,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let (token, token_version, user_id) = self
            .redeem_link(raw, TokenPurpose::ConsumerRegistration, now)
            .await?;
        let Ok((mut record, version)) = self.user(user_id).await else {
            return Err(DirectoryError::InvalidLink);
        };
        let (org, _) = self.org(record.user.org()).await?;
        let t = record
            .account
            .apply(Event::RegisterConsumer, Actor::User, &org.lifecycle, now)?;
        record.user.set_kind(UserKind::Standard, now)?;
        record.account = t.account;
        self.check_password(password, &record.user, &org.org.name)?;
        record.password = Some(self.hash(password).await?);
        record.must_change_password = false;
        let mut cs = Changeset::new();
        // Welcome them, without a set-password link: they just chose one.
        if let Some(to) = record.user.mailbox().cloned() {
            let ctx = MessageContext::new(
                MessageKind::Welcome,
                Locale::from_language(record.user.profile().language.as_ref()),
                &record.user.display_name(),
                org.org.name.as_str(),
            );
            let key = format!("{}:{}:registered", MessageKind::Welcome.as_str(), user_id);
            cs.insert(Record::Outbox(self.outbox(
                &to,
                user_id,
                key,
                self.renderer.render(&ctx),
                MessageKind::Welcome,
            )));
        }
        cs.update(Record::Token(token), token_version)
            .update(Record::User(record), version)
            .audit(self.audit(
                Caller::User(user_id),
                Some(org.org.id),
                Some(user_id),
                "consumer.registered",
            ));
        self.store.commit(cs).await?;
        Ok(user_id)
    }
}
