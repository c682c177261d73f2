//! Notification settings (social intranet): which optional mail a user receives — digests, post
//! recommendations, invitations to events, the host's own topics — changed by the user
//! through the link in every digest, or signed in; and the host's own messages, sent through
//! the directory so that consumers find their registration link in them and the settings
//! are honoured. Security and account messages (invitations, activation, resets, password
//! changed, sign-up notices to staff) are not optional: no setting suppresses them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use tenantry_credentials::{RawToken, TokenPurpose, issue_token};
use tenantry_identity::UserId;

use crate::changeset::Changeset;
use crate::directory::{Caller, Directory, DirectoryError, retrying};
use crate::records::{Record, UserRecord};
use crate::render::{Locale, MessageContext, MessageKind};

/// A kind of optional message.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// Email digests (the social intranet's EMDs).
    Digest,
    /// Posts recommended by email.
    Recommendation,
    /// Invitations to appointments and events.
    EventInvitation,
    /// A topic of the host's own: 1 to 64 characters of `a-z`, `0-9`, `_`, `-` and `.`.
    Custom(String),
}

impl Topic {
    /// A topic of the host's own, validated.
    pub fn custom(key: &str) -> Result<Self, DirectoryError> {
        let ok = (1..=64).contains(&key.len())
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.".contains(&b));
        if ok {
            Ok(Topic::Custom(key.to_owned()))
        } else {
            Err(DirectoryError::Invalid {
                field: "topic",
                reason: "1 to 64 characters of a-z, 0-9, _, - and .",
            })
        }
    }
}

/// Which optional mail a user receives. The default receives everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    /// Topics switched off.
    #[serde(default)]
    pub muted: BTreeSet<Topic>,
    /// Everything optional switched off, present and future topics alike ("cancel all").
    #[serde(default)]
    pub all_muted: bool,
}

impl NotificationSettings {
    /// Whether messages of `topic` reach the user.
    pub fn receives(&self, topic: &Topic) -> bool {
        !self.all_muted && !self.muted.contains(topic)
    }
}

/// A message the host writes (a recommended post, an invitation to an event), sent to one
/// user through the directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostMessage {
    /// What it is, for the user's settings.
    pub topic: Topic,
    /// The subject line (one line, at most 200 characters).
    pub subject: String,
    /// The text, plain (at most 20,000 characters); paragraphs separated by blank lines.
    pub text: String,
}

/// The longest subject of a host message, in characters.
pub const MAX_SUBJECT: usize = 200;
/// The longest text of a host message, in characters.
pub const MAX_TEXT: usize = 20_000;

impl Directory {
    /// The notification settings of the user whose link (from a digest) `raw` is, for the
    /// page behind the link. The link works more than once, until it expires (30 days) or a
    /// newer digest replaces it; anything else is [`DirectoryError::InvalidLink`].
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "notification_settings_by_link"),
        err(Display)
    )]
    pub async fn notification_settings_by_link(
        &self,
        raw: &RawToken,
    ) -> Result<(UserId, NotificationSettings), DirectoryError> {
        let user = self.settings_link_owner(raw).await?;
        let (record, _) = self.user(user).await?;
        Ok((user, record.notifications))
    }

    /// Saves the notification settings through the link in a digest (no sign-in needed:
    /// the link only changes which optional mail arrives). Audited as
    /// `notifications.changed`.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "set_notification_settings_by_link"),
        err(Display)
    )]
    pub async fn set_notification_settings_by_link(
        &self,
        raw: &RawToken,
        settings: NotificationSettings,
    ) -> Result<UserId, DirectoryError> {
        let user = self.settings_link_owner(raw).await?;
        retrying!(
            self,
            self.try_set_notifications(Caller::User(user), user, &settings)
        )?;
        Ok(user)
    }

    /// Saves `user`'s notification settings: the user themself, or an admin of their
    /// organization. Audited as `notifications.changed`.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "set_notification_settings"),
        err(Display)
    )]
    pub async fn set_notification_settings(
        &self,
        caller: Caller,
        user: UserId,
        settings: NotificationSettings,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        if caller.user() != Some(user) {
            let (record, _) = self.user(user).await?;
            self.require_admin(caller, record.user.org()).await?;
        }
        retrying!(self, self.try_set_notifications(caller, user, &settings))
    }

    async fn settings_link_owner(&self, raw: &RawToken) -> Result<UserId, DirectoryError> {
        let purpose = TokenPurpose::NotificationSettings;
        let (token, _) = self.stored_token(raw, purpose).await?;
        token
            .check(raw, purpose, None, self.clock.now())
            .map_err(|_| DirectoryError::InvalidLink)
    }

    async fn try_set_notifications(
        &self,
        caller: Caller,
        user: UserId,
        settings: &NotificationSettings,
    ) -> Result<(), DirectoryError> {
        let (record, version) = self.user(user).await?;
        if record.notifications == *settings {
            return Ok(());
        }
        let org = record.user.org();
        let mut cs = Changeset::new();
        cs.update(
            Record::User(UserRecord {
                notifications: settings.clone(),
                ..record
            }),
            version,
        )
        .audit(self.audit(caller, Some(org), Some(user), "notifications.changed"));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Sends the host's `message` to `user` by email (the social intranet: post recommendations,
    /// invitations to events). Every message to a consumer carries their personal
    /// registration link (a fresh one; older ones stop working); every message carries the
    /// link to the user's notification settings. Nothing is sent, and `Ok(false)` returned,
    /// when the user has no mailbox, their account receives no mail, or they muted the
    /// topic. The caller must administer the user's organization (the system may always).
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "send_message"),
        err(Display)
    )]
    pub async fn send_message(
        &self,
        caller: Caller,
        user: UserId,
        message: HostMessage,
    ) -> Result<bool, DirectoryError> {
        self.acting(caller).await?;
        if message.subject.chars().count() > MAX_SUBJECT
            || message.subject.contains(['\r', '\n'])
            || message.subject.trim().is_empty()
        {
            return Err(DirectoryError::Invalid {
                field: "subject",
                reason: "one line of 1 to 200 characters",
            });
        }
        if message.text.chars().count() > MAX_TEXT {
            return Err(DirectoryError::Invalid {
                field: "text",
                reason: "at most 20,000 characters",
            });
        }
        let (record, _) = self.user(user).await?;
        self.require_admin(caller, record.user.org()).await?;
        let mut ctx = MessageContext::new(
            MessageKind::Notification,
            Locale::from_language(record.user.profile().language.as_ref()),
            &record.user.display_name(),
            "",
        );
        ctx.subject = Some(message.subject.clone());
        ctx.body = Some(message.text.clone());
        retrying!(
            self,
            self.queue_optional(caller, user, message.topic.clone(), ctx.clone())
        )
    }

    /// Queues an optional message of `topic` to `user`, rendered from `ctx` with the
    /// organization's name, the registration link (consumers) and the settings link added.
    /// `Ok(false)`: not sent (no mailbox, no mail for this account, topic muted).
    pub(crate) async fn queue_optional(
        &self,
        caller: Caller,
        user_id: UserId,
        topic: Topic,
        mut ctx: MessageContext,
    ) -> Result<bool, DirectoryError> {
        let now = self.clock.now();
        let (record, _) = self.user(user_id).await?;
        let user = &record.user;
        let Some(to) = user.mailbox().cloned() else {
            return Ok(false);
        };
        if !record.account.capabilities().receives_mail || !record.notifications.receives(&topic) {
            return Ok(false);
        }
        if topic == Topic::Digest && !user.kind().receives_digests() {
            return Ok(false);
        }
        let (org, _) = self.org(user.org()).await?;
        ctx.org_name = org.org.name.as_str().to_owned();
        let mut cs = Changeset::new();
        let link = |purpose: TokenPurpose, cs: &mut Changeset| {
            let (raw, token) = self.with_rng(|rng| {
                issue_token(purpose, user_id, now, purpose.default_ttl(), None, rng)
            })?;
            cs.insert(Record::Token(token));
            Ok::<_, DirectoryError>(self.config.links.link(purpose, &raw))
        };
        if user.kind().needs_registration_link() {
            let purpose = TokenPurpose::ConsumerRegistration;
            self.supersede_tokens(&mut cs, user_id, purpose).await?;
            ctx.registration_link = Some(link(purpose, &mut cs)?);
        }
        let purpose = TokenPurpose::NotificationSettings;
        self.supersede_tokens(&mut cs, user_id, purpose).await?;
        ctx.preferences_link = Some(link(purpose, &mut cs)?.expose().to_owned());
        let kind = ctx.kind;
        let rendered = self.renderer.render(&ctx);
        let key = format!("{}:{}:{}", kind.as_str(), user_id, self.uuid());
        let mut message = self.outbox(&to, user_id, key, rendered, kind);
        message.topic = Some(topic);
        let action = match kind {
            MessageKind::ConsumerDigest => "digest.queued",
            _ => "message.queued",
        };
        cs.insert(Record::Outbox(message)).audit(self.audit(
            caller,
            Some(user.org()),
            Some(user_id),
            action,
        ));
        self.store.commit(cs).await?;
        Ok(true)
    }
}
