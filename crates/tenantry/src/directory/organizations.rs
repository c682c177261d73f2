//! Organizations: the root with its first admin, children, entitlements, settings, the contact person.

use super::*;

impl Directory {
    /// Creates a root organization (a network, an agency, a partner) with its first admin,
    /// who gets [`NewRootOrganization::admin_grant`] there, a password, and is its contact
    /// person. The organization is entitled to every permission of the catalog.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "create_root_organization"),
        err(Display)
    )]
    pub async fn create_root_organization(
        &self,
        new: NewRootOrganization,
    ) -> Result<(OrgId, UserId), DirectoryError> {
        let NewRootOrganization {
            name,
            admin_profile,
            admin_email,
            admin_password: password,
            admin_grant,
        } = new;
        let password = &password;
        let now = self.clock.now();
        let org_id = OrgId::from_uuid(self.uuid());
        let user_id = UserId::from_uuid(self.uuid());
        let ids = LoginIdentifiers {
            email: Some(admin_email.clone()),
            ..Default::default()
        };
        let user = User::new(user_id, org_id, UserKind::Standard, admin_profile, ids, now)?;
        self.check_password(password, &user, &name)?;
        let hash = self.hash(password).await?;
        let mut org = Organization::new(org_id, None, name, now);
        org.set_contact_person(&user)?;
        let entitlements = self
            .catalog
            .permissions()
            .map(|(_, d)| d.key.clone())
            .collect();
        let record = OrgRecord {
            entitlements,
            ..OrgRecord::new(org)
        };
        let lifecycle = Account::create(
            UserKind::Standard,
            Creation::Provisioned {
                way_in: WayIn::Password,
            },
            Actor::System,
            &record.lifecycle,
            now,
        )?;
        let mut cs = Changeset::new();
        cs.insert(Record::Org(record))
            .insert(Record::User(UserRecord {
                user,
                account: lifecycle.account,
                password: Some(hash),
                last_sign_in: None,
                notifications: Default::default(),
                must_change_password: false,
            }))
            .insert(Record::Grant(
                GrantRef {
                    user: user_id,
                    org: org_id,
                    scope: Scope::Organization,
                },
                admin_grant,
            ))
            .audit(self.audit(Caller::System, Some(org_id), None, "org.created"))
            .audit(self.audit(Caller::System, Some(org_id), Some(user_id), "user.created"));
        self.commit_claims(cs).await?;
        Ok((org_id, user_id))
    }

    /// Creates a child organization under `parent` (an agency's client, a partner's customer,
    /// a network's section). The caller must administer the parent. The child is entitled to
    /// what the parent is, until [`Self::set_entitlements`] narrows it.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "create_organization"),
        err(Display)
    )]
    pub async fn create_organization(
        &self,
        caller: Caller,
        parent: OrgId,
        name: Name,
    ) -> Result<OrgId, DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, parent).await?;
        let (parent_record, _) = self.org(parent).await?;
        let now = self.clock.now();
        let id = OrgId::from_uuid(self.uuid());
        let mut tree = self.org_tree().await?;
        tree.insert(id, Some(parent))?;
        let record = OrgRecord {
            org: Organization::new(id, Some(parent), name, now),
            lifecycle: Default::default(),
            entitlements: parent_record.entitlements.clone(),
            guest_areas: Default::default(),
        };
        let mut cs = Changeset::new();
        cs.insert(Record::Org(record))
            .audit(self.audit(caller, Some(id), None, "org.created"));
        self.store.commit(cs).await?;
        Ok(id)
    }

    /// Sets what `org` may hand out (the partner portal's company-level permissions). Only the system
    /// or an admin of its parent may, and never beyond the parent's own entitlements. Grants
    /// outside the new entitlements stop being effective at once.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "set_entitlements"),
        err(Display)
    )]
    pub async fn set_entitlements(
        &self,
        caller: Caller,
        org: OrgId,
        entitlements: std::collections::BTreeSet<tenantry_access::PermissionKey>,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        for key in &entitlements {
            self.catalog.permission(key.as_str())?;
        }
        retrying!(self, self.try_set_entitlements(caller, org, &entitlements))
    }

    pub(crate) async fn try_set_entitlements(
        &self,
        caller: Caller,
        org: OrgId,
        entitlements: &std::collections::BTreeSet<tenantry_access::PermissionKey>,
    ) -> Result<(), DirectoryError> {
        let (mut record, version) = self.org(org).await?;
        match (caller.user(), record.org.parent) {
            (None, _) => {}
            (Some(_), None) => {
                return Err(DirectoryError::Denied(DenialReason::RootEntitlements));
            }
            (Some(_), Some(parent)) => {
                self.require_admin(caller, parent).await?;
                let (parent_record, _) = self.org(parent).await?;
                if let Some(extra) = entitlements
                    .iter()
                    .find(|k| !parent_record.entitlements.contains(*k))
                {
                    return Err(Refusal::NotEntitled {
                        permission: extra.clone(),
                        org: parent,
                    }
                    .into());
                }
            }
        }
        self.keep_admin_through_entitlements(org, entitlements)
            .await?;
        record.entitlements = entitlements.clone();
        let mut cs = Changeset::new();
        cs.update(Record::Org(record), version).audit(self.audit(
            caller,
            Some(org),
            None,
            "org.entitlements_changed",
        ));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Refuses new `entitlements` for `org` that would take the admin permission from every
    /// admin it has (the last-admin rule, as for grants and account changes). The
    /// organization record is written at the version read, so a concurrent change to its
    /// admins conflicts.
    pub(crate) async fn keep_admin_through_entitlements(
        &self,
        org: OrgId,
        entitlements: &std::collections::BTreeSet<tenantry_access::PermissionKey>,
    ) -> Result<(), DirectoryError> {
        // Not only the admin permission itself: dropping one it requires takes it too, and
        // subtree grants anchored here make admins of the organizations below.
        let tree = self.org_tree().await?;
        let mut reached = vec![org];
        reached.extend(tree.descendants(org));
        // Every grant holder, not only those the store's index of grant names lists: the
        // rule below refuses only where an admin was seen before, so a holder the index
        // missed must not go unseen. Entitlements change rarely; this may cost a read of
        // every grant holder of the organizations reached.
        let mut candidates = Vec::new();
        for &o in &reached {
            candidates.extend(self.grant_holders(o, None).await?);
        }
        candidates.sort();
        candidates.dedup();
        let (mut model, _) = self.access_model(&candidates).await?;
        let before = Resolver::compile(&self.catalog, &model)?;
        model.entitle(org, entitlements.iter().cloned());
        let after = Resolver::compile(&self.catalog, &model)?;
        for o in reached {
            if !before.admins_of(o).is_empty() && after.admins_of(o).is_empty() {
                return Err(Refusal::LastAdmin { org: o }.into());
            }
        }
        Ok(())
    }

    /// Replaces an organization's settings and lifecycle policy (guest access, consumers, PIN
    /// users and their domain, channels, required fields, sign-up). The caller must
    /// administer the organization.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "configure_organization"),
        err(Display)
    )]
    pub async fn configure_organization(
        &self,
        caller: Caller,
        org: OrgId,
        settings: tenantry_identity::OrgSettings,
        lifecycle: tenantry_lifecycle::LifecyclePolicy,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, org).await?;
        retrying!(self, self.try_configure(caller, org, &settings, &lifecycle))
    }

    pub(crate) async fn try_configure(
        &self,
        caller: Caller,
        org: OrgId,
        settings: &tenantry_identity::OrgSettings,
        lifecycle: &tenantry_lifecycle::LifecyclePolicy,
    ) -> Result<(), DirectoryError> {
        let ttl = lifecycle.invitation_ttl_secs;
        if !(60..=tenantry_lifecycle::MAX_INVITATION_TTL.num_seconds()).contains(&ttl) {
            return Err(DirectoryError::Invalid {
                field: "invitation_ttl_secs",
                reason: "from one minute to 90 days",
            });
        }
        if settings.pin_users.is_some() && self.config.pin_keys.is_empty() {
            return Err(CredentialError::InvalidKey.into());
        }
        let (mut record, version) = self.org(org).await?;
        record.org.settings = settings.clone();
        record.lifecycle = lifecycle.clone();
        let mut cs = Changeset::new();
        cs.update(Record::Org(record), version).audit(self.audit(
            caller,
            Some(org),
            None,
            "org.configured",
        ));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Renames an organization ("edit organization info": the agency's client, the partner
    /// portal's customer company). The caller must administer the organization (its own
    /// admin, or an admin above it whose grant's scope covers it). Audited as `org.renamed` with the old and the new name; the
    /// same name again changes and audits nothing.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "rename_organization"),
        err(Display)
    )]
    pub async fn rename_organization(
        &self,
        caller: Caller,
        org: OrgId,
        name: Name,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, org).await?;
        retrying!(self, self.try_rename(caller, org, &name))
    }

    pub(crate) async fn try_rename(
        &self,
        caller: Caller,
        org: OrgId,
        name: &Name,
    ) -> Result<(), DirectoryError> {
        let (mut record, version) = self.org(org).await?;
        if record.org.name == *name {
            return Ok(());
        }
        let mut event = self.audit(caller, Some(org), None, "org.renamed");
        event
            .detail
            .insert("from".into(), record.org.name.as_str().to_owned());
        event.detail.insert("to".into(), name.as_str().to_owned());
        record.org.name = name.clone();
        let mut cs = Changeset::new();
        cs.update(Record::Org(record), version).audit(event);
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Makes `user` the organization's contact person (partner portal): a standard member; no
    /// privileges come with it.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "set_contact_person"),
        err(Display)
    )]
    pub async fn set_contact_person(
        &self,
        caller: Caller,
        org: OrgId,
        user: UserId,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, org).await?;
        retrying!(self, self.try_set_contact(caller, org, user))
    }

    pub(crate) async fn try_set_contact(
        &self,
        caller: Caller,
        org: OrgId,
        user: UserId,
    ) -> Result<(), DirectoryError> {
        let (mut record, version) = self.org(org).await?;
        let (person, _) = self.user(user).await?;
        record.org.set_contact_person(&person.user)?;
        let mut cs = Changeset::new();
        cs.update(Record::Org(record), version).audit(self.audit(
            caller,
            Some(org),
            Some(user),
            "org.contact_person_changed",
        ));
        self.store.commit(cs).await?;
        Ok(())
    }
}
