//! Who may act and what they may do: the caller's state, admin checks, the take-over rule, permission checks.

use super::*;

impl Directory {
    /// A resolver over every organization and the given users with their grants.
    pub(crate) async fn resolver_for(&self, users: &[UserId]) -> Result<Resolver, DirectoryError> {
        Ok(self.resolver_with_orgs(users).await?.0)
    }

    /// [`Self::resolver_for`], with the organizations as read *before* the grants: a change
    /// decided on this resolver bumps these versions, so it conflicts with any change to
    /// admins committed after the read.
    pub(crate) async fn resolver_with_orgs(
        &self,
        users: &[UserId],
    ) -> Result<(Resolver, std::collections::HashMap<OrgId, (OrgRecord, u64)>), DirectoryError>
    {
        let (model, orgs) = self.access_model(users).await?;
        Ok((Resolver::compile(&self.catalog, &model)?, orgs))
    }

    /// The access model of every organization and of `users` (their grants and groups),
    /// with the organizations as read.
    pub(crate) async fn access_model(
        &self,
        users: &[UserId],
    ) -> Result<
        (
            AccessModel,
            std::collections::HashMap<OrgId, (OrgRecord, u64)>,
        ),
        DirectoryError,
    > {
        let mut records = Vec::with_capacity(users.len());
        for &u in users {
            if let Ok((record, _)) = self.user(u).await {
                records.push(record);
            }
        }
        self.access_model_of(&records).await
    }

    /// [`Self::access_model`] for users whose records the caller has already read.
    pub(crate) async fn access_model_of(
        &self,
        users: &[UserRecord],
    ) -> Result<
        (
            AccessModel,
            std::collections::HashMap<OrgId, (OrgRecord, u64)>,
        ),
        DirectoryError,
    > {
        let mut model = AccessModel::new();
        let mut orgs = std::collections::HashMap::new();
        for o in self.store.orgs().await? {
            model.add_org(o.value.org.id, o.value.org.parent);
            model.entitle(o.value.org.id, o.value.entitlements.iter().cloned());
            orgs.insert(o.value.org.id, (o.value, o.version));
        }
        for record in users {
            let u = record.user.id();
            model.add_user(u, record.user.kind(), record.user.org());
            model.set_dormant(u, !counts_as_admin(&record.account));
            for g in self.store.list(&ListOf::GrantsOfUser(u)).await? {
                if let Record::Grant(r, what) = g.value {
                    model.set_grant(r.user, r.org, r.scope, what);
                }
            }
            for m in self.store.list(&ListOf::GroupsOfUser(u)).await? {
                if let Record::Membership(m) = m.value
                    && let Some(Record::Group(g)) = self
                        .store
                        .get(&RecordKey::Group(m.group))
                        .await?
                        .map(|v| v.value)
                {
                    model.add_group(g.id, g.org, g.visible_to_guests);
                    model.add_member(u, g.id);
                }
            }
        }
        Ok((model, orgs))
    }

    /// The calling user's record, read now; `None` for the system. A user whose account may
    /// not sign in — or who no longer exists — is refused with
    /// [`DirectoryError::CallerMayNotAct`]: every use case that acts for a user asks this
    /// first, before it reads anything of the target, so a dormant caller learns nothing.
    pub(crate) async fn acting(
        &self,
        caller: Caller,
    ) -> Result<Option<UserRecord>, DirectoryError> {
        match caller {
            Caller::System => Ok(None),
            Caller::User(id) => self.may_act(id).await.map(Some),
            Caller::Impersonating { admin, user } => {
                let admin = self.may_act(admin).await?;
                let user = self.may_act(user).await?;
                match self.may_take_over(&admin, &user).await {
                    Ok(()) => Ok(Some(user)),
                    Err(DirectoryError::Store(e)) => Err(e.into()),
                    Err(_) => Err(DirectoryError::CallerMayNotAct),
                }
            }
        }
    }

    /// `id`'s record if the account may sign in, else [`DirectoryError::CallerMayNotAct`].
    pub(crate) async fn may_act(&self, id: UserId) -> Result<UserRecord, DirectoryError> {
        match self.user(id).await {
            Ok((record, _)) if record.account.capabilities().may_sign_in => Ok(record),
            Ok(_) | Err(DirectoryError::NotFound(_)) => Err(DirectoryError::CallerMayNotAct),
            Err(e) => Err(e),
        }
    }

    /// `user`'s record, read once, after checking that `caller` may act and may take the
    /// account over ([`Self::may_take_over`], which includes administering the user's
    /// organization): for the use cases that open an account (links, codes, PINs) or take
    /// it from its user. The system may take over anyone.
    pub(crate) async fn takeover_target(
        &self,
        caller: Caller,
        user: UserId,
    ) -> Result<UserRecord, DirectoryError> {
        let actor = self.acting(caller).await?;
        let (record, _) = self.user(user).await?;
        if let Some(actor) = actor {
            self.may_take_over(&actor, &record).await?;
        }
        Ok(record)
    }

    /// [`Self::may_take_over`] for the user `caller` acts as; the system may take over anyone.
    pub(crate) async fn require_take_over(
        &self,
        caller: Caller,
        target: &UserRecord,
    ) -> Result<(), DirectoryError> {
        match self.acting(caller).await? {
            Some(actor) => self.may_take_over(&actor, target).await,
            None => Ok(()),
        }
    }

    /// Whether `admin` may take over `target`'s account — impersonate it, send it a login or
    /// reset link, change the identifiers it signs in with: `admin` administers the
    /// target's organization, and the target holds nothing, in any organization or group
    /// its grants reach, that the admin does not hold there. Refused with
    /// [`DirectoryError::Denied`].
    pub(crate) async fn may_take_over(
        &self,
        admin: &UserRecord,
        target: &UserRecord,
    ) -> Result<(), DirectoryError> {
        let (a, t) = (admin.user.id(), target.user.id());
        let home = target.user.org();
        let (model, _) = self
            .access_model_of(&[admin.clone(), target.clone()])
            .await?;
        let resolver = Resolver::compile(&self.catalog, &model)?;
        if !resolver
            .check(a, self.catalog.admin(), Target::Org(home))
            .is_allowed()
        {
            return Err(DirectoryError::Denied(DenialReason::NotAdminOfUser));
        }
        // Every place the target's grants reach, and the groups of both.
        let mut targets = vec![Target::Org(home)];
        let mut tree = None;
        for g in self.store.list(&ListOf::GrantsOfUser(t)).await? {
            let Record::Grant(r, _) = g.value else {
                continue;
            };
            targets.push(Target::Org(r.org));
            if r.scope != Scope::Organization {
                if tree.is_none() {
                    tree = Some(self.org_tree().await?);
                }
                if let Some(tree) = &tree {
                    targets.extend(tree.descendants(r.org).into_iter().map(Target::Org));
                }
            }
        }
        targets.extend(model.groups.keys().map(|&g| Target::Group(g)));
        for at in targets {
            if !resolver
                .effective(t, at)
                .is_subset(resolver.effective(a, at))
            {
                return Err(DirectoryError::Denied(DenialReason::UserHoldsMore));
            }
        }
        Ok(())
    }

    /// Checks that `caller` may act (a user whose account may sign in, or the system) and
    /// administers `org`: for adapters that serve an organization's data outside a use case,
    /// such as SCIM's reads. Refused with [`DirectoryError::CallerMayNotAct`] or
    /// [`DirectoryError::Denied`].
    pub async fn authorize_admin(&self, caller: Caller, org: OrgId) -> Result<(), DirectoryError> {
        self.require_admin(caller, org).await
    }

    /// The error for a denied `decision` on `permission` at `target`.
    pub(crate) fn denied(
        &self,
        decision: &tenantry_access::Decision,
        permission: tenantry_access::PermissionId,
        target: Target,
    ) -> DirectoryError {
        let denial = match decision {
            tenantry_access::Decision::Deny(d) => d.clone(),
            // Not reached: callers pass denials only.
            tenantry_access::Decision::Allow(_) => tenantry_access::Denial::NoGrant,
        };
        DirectoryError::Denied(DenialReason::Permission {
            permission: self.catalog.key(permission).clone(),
            target,
            denial,
            explanation: decision.explain(&self.catalog),
        })
    }

    /// Checks the caller may act ([`Self::acting`]) and administers `org`.
    pub(crate) async fn require_admin(
        &self,
        caller: Caller,
        org: OrgId,
    ) -> Result<(), DirectoryError> {
        let Some(record) = self.acting(caller).await? else {
            return Ok(());
        };
        let user = record.user.id();
        let (model, _) = self.access_model_of(std::slice::from_ref(&record)).await?;
        let resolver = Resolver::compile(&self.catalog, &model)?;
        let decision = resolver.check(user, self.catalog.admin(), Target::Org(org));
        if decision.is_allowed() {
            Ok(())
        } else {
            Err(self.denied(&decision, self.catalog.admin(), Target::Org(org)))
        }
    }

    /// Whether `user` holds `permission` at `target` (an organization, or a group for
    /// group-area permissions), with the decision's explanation. Hosts that check often
    /// should cache [`tenantry_access::Resolver::effective`] sets instead; this reads the
    /// store each time. An unknown permission key is an error, never a deny. Accounts that
    /// may neither sign in nor file requests (inactive, blocked, not yet activated) are
    /// denied everything, as an unknown subject.
    #[tracing::instrument(name = "tenantry", skip_all, fields(use_case = "check"), err(Display))]
    pub async fn check(
        &self,
        user: UserId,
        permission: &str,
        target: Target,
    ) -> Result<tenantry_access::Decision, DirectoryError> {
        let id = self.catalog.permission(permission)?;
        let Ok((record, _)) = self.user(user).await else {
            return Ok(tenantry_access::Decision::Deny(
                tenantry_access::Denial::UnknownSubject,
            ));
        };
        if !record.account.capabilities().may_sign_in
            && !record.account.capabilities().may_file_requests
        {
            return Ok(tenantry_access::Decision::Deny(
                tenantry_access::Denial::UnknownSubject,
            ));
        }
        Ok(self.resolver_for(&[user]).await?.check(user, id, target))
    }
}
