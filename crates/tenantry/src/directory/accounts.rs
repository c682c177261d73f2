//! Account states and grants: deactivate, block, delete, approve; grants through the guard.

use super::*;

impl Directory {
    /// Moves `user`'s account by `event` (invite, resend or revoke an invitation, approve,
    /// reject, deactivate, reactivate, block, unblock, delete, resend the welcome email), as
    /// staff when `caller` is a user (who must administer the user's organization) or as the
    /// system. An admin the change would take out is refused if they are their
    /// organization's last one. Returns the new state and whether the host must end the
    /// user's sessions.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "change_account"),
        err(Display)
    )]
    pub async fn change_account(
        &self,
        caller: Caller,
        user: UserId,
        event: Event,
    ) -> Result<AccountChange, DirectoryError> {
        self.takeover_target(caller, user).await?;
        retrying!(self, self.try_change_account(caller, user, event))
    }

    pub(crate) async fn try_change_account(
        &self,
        caller: Caller,
        user_id: UserId,
        event: Event,
    ) -> Result<AccountChange, DirectoryError> {
        let now = self.clock.now();
        let (mut record, version) = self.user(user_id).await?;
        let org_id = record.user.org();
        let (org, org_version) = self.org(org_id).await?;
        let actor = if caller == Caller::System {
            Actor::System
        } else {
            Actor::Staff
        };
        let t = record.account.apply(event, actor, &org.lifecycle, now)?;
        // Messages that only email carries need a mailbox (a username + phone user gets an
        // activation code instead).
        let needs_mail = matches!(
            event,
            Event::Invite | Event::ResendInvitation | Event::ResendWelcome
        );
        if needs_mail && record.user.mailbox().is_none() {
            return Err(DirectoryError::NoMailbox);
        }
        let mut cs = Changeset::new();
        // Leaving use (deactivate, block, delete, reject) must not strand an organization.
        if counts_as_admin(&record.account) && !counts_as_admin(&t.account) {
            let mut users = self.admin_candidates(org_id).await?;
            users.push(user_id);
            users.sort();
            users.dedup();
            let resolver = self.resolver_for(&users).await?;
            let admin_orgs = resolver.guard_remove_user(user_id)?;
            if !admin_orgs.is_empty() {
                cs.update(Record::Org(org.clone()), org_version);
            }
        }
        let invitation = match self
            .store
            .get(&RecordKey::Invitation(user_id))
            .await?
            .map(|v| (v.value, v.version))
        {
            Some((Record::Invitation(inv), v)) => Some((inv, v)),
            _ => None,
        };
        self.carry_out(&mut cs, &record.user, &org, &t.effects, invitation)
            .await?;
        let end_sessions = t.effects.contains(&Effect::RevokeSessions);
        record.account = t.account;
        let state = record.account.state();
        if state == tenantry_lifecycle::AccountState::Deleted {
            // Deleting releases the user's identifiers and grants; the audit log keeps the id.
            for g in self.store.list(&ListOf::GrantsOfUser(user_id)).await? {
                cs.delete(g.value.key(), g.version);
            }
            cs.delete(RecordKey::User(user_id), version);
        } else {
            cs.update(Record::User(record), version);
        }
        cs.audit(self.audit(
            caller,
            Some(org_id),
            Some(user_id),
            &format!("account.{}", event_name(event)),
        ));
        self.store.commit(cs).await?;
        Ok(AccountChange {
            state,
            end_sessions,
        })
    }

    /// Everyone who could administer `org`: the holders of a grant anchored at it or at one
    /// of its ancestors (no other grant reaches it) that names the admin permission or a
    /// role bundling it. Sorted, without repeats.
    pub(crate) async fn admin_candidates(&self, org: OrgId) -> Result<Vec<UserId>, DirectoryError> {
        // Only grants that name the admin permission, or a role bundling it, can make their
        // holder an admin: the store answers those from its index, so the cost follows the
        // number of admins, not of members.
        let admin = self.catalog.key(self.catalog.admin()).clone();
        let naming = Grantables {
            roles: self
                .catalog
                .roles()
                .filter(|r| r.permissions.contains(&admin))
                .map(|r| r.key.clone())
                .collect(),
            permissions: [admin].into(),
        };
        self.grant_holders(org, Some(&naming)).await
    }

    /// The holders of a grant anchored at `org` or one of its ancestors, of those naming
    /// any of `naming` when given (through the store's index), else of every grant.
    pub(crate) async fn grant_holders(
        &self,
        org: OrgId,
        naming: Option<&Grantables>,
    ) -> Result<Vec<UserId>, DirectoryError> {
        let mut users = Vec::new();
        let mut at = Some(org);
        let mut seen = std::collections::HashSet::new();
        while let Some(o) = at {
            if !seen.insert(o) {
                break; // a cycle cannot be stored, but never loop on one
            }
            let of = match naming {
                Some(n) => ListOf::GrantsNaming(o, n.clone()),
                None => ListOf::GrantsAt(o),
            };
            for g in self.store.list(&of).await? {
                if let Record::Grant(r, _) = g.value {
                    users.push(r.user);
                }
            }
            at = match self.store.get(&RecordKey::Org(o)).await? {
                Some(Versioned {
                    value: Record::Org(record),
                    ..
                }) => record.org.parent,
                _ => None,
            };
        }
        users.sort();
        users.dedup();
        Ok(users)
    }

    /// Changes one grant through the access guard: no escalation, within entitlements,
    /// requirements kept (or cascaded), nobody demotes themselves, no organization loses its
    /// last admin. Changes that touch admins bump the organizations' versions in the same
    /// changeset, so concurrent demotions cannot together leave one without an admin.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "change_grant"),
        err(Display)
    )]
    pub async fn change_grant(
        &self,
        caller: Caller,
        grant: GrantRef,
        change: tenantry_access::Change,
    ) -> Result<tenantry_access::Plan, DirectoryError> {
        self.acting(caller).await?;
        retrying!(self, self.try_change_grant(caller, grant, &change))
    }

    pub(crate) async fn try_change_grant(
        &self,
        caller: Caller,
        grant: GrantRef,
        change: &tenantry_access::Change,
    ) -> Result<tenantry_access::Plan, DirectoryError> {
        // First with the actor and the target alone: every rule but "keep an admin" needs
        // nothing else, and with fewer admins known that rule only refuses more. Only when
        // it refuses are the organization's other possible admins loaded and asked again.
        // (Loading every member each time made a 100,000-row import quadratic.)
        let mut users = vec![grant.user];
        if let Some(actor) = caller.user() {
            users.push(actor);
        }
        let guard = |resolver: &Resolver| match caller.user() {
            Some(actor) => resolver.guard_change(actor, grant, change),
            None => resolver.guard_system_change(grant, change),
        };
        let (mut resolver, mut orgs) = self.resolver_with_orgs(&users).await?;
        let mut plan = guard(&resolver);
        if let Err(tenantry_access::Refusal::LastAdmin { org }) = plan {
            users.extend(self.admin_candidates(org).await?);
            users.sort();
            users.dedup();
            (resolver, orgs) = self.resolver_with_orgs(&users).await?;
            plan = guard(&resolver);
        }
        let plan = plan?;
        let stored = self.store.get(&RecordKey::Grant(grant)).await?;
        let existing = stored.as_ref().map(|v| v.version);
        if let tenantry_access::Change::Revoke { .. } = change {
            // Revoking what is not held changes nothing: a typed refusal, not a success
            // with an audit event for a change that did not happen (two admins revoking
            // the same permission at once left two events for one removal).
            let held = match stored.map(|v| v.value) {
                Some(Record::Grant(_, held)) => held,
                _ => tenantry_access::Grantables::new(),
            };
            if held == plan.after {
                return Err(DirectoryError::NotHeld);
            }
        }
        let mut cs = Changeset::new();
        match (plan.after.is_empty(), existing) {
            (true, Some(v)) => {
                cs.delete(RecordKey::Grant(grant), v);
            }
            (true, None) => {}
            (false, v) => {
                cs.put(Record::Grant(grant, plan.after.clone()), v);
            }
        }
        bump_admin_orgs(&mut cs, &plan, &orgs)?;
        cs.audit(self.audit(caller, Some(grant.org), Some(grant.user), "grant.changed"));
        self.store.commit(cs).await?;
        Ok(plan)
    }
}
