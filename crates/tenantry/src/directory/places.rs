//! Departments, job profiles, locations and who may file requests where.

use super::*;

impl Directory {
    /// Checks the caller administers `org`, which must exist (done by the callers), then
    /// inserts a new record it owns with its audit event.
    pub(crate) async fn insert_owned(
        &self,
        caller: Caller,
        org: OrgId,
        record: Record,
        action: &str,
    ) -> Result<(), DirectoryError> {
        let mut cs = Changeset::new();
        cs.insert(record)
            .audit(self.audit(caller, Some(org), None, action));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Creates a department in `org`, with a sign-up link code when
    /// [`NewDepartment::sign_up_link`] is set (the workforce platform's department-specific
    /// links and QR codes). The caller must administer `org`.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "create_department"),
        err(Display)
    )]
    pub async fn create_department(
        &self,
        caller: Caller,
        org: OrgId,
        new: NewDepartment,
    ) -> Result<tenantry_identity::Department, DirectoryError> {
        let NewDepartment { name, sign_up_link } = new;
        self.acting(caller).await?;
        self.require_admin(caller, org).await?;
        self.org(org).await?;
        let now = self.clock.now();
        let department = tenantry_identity::Department {
            id: tenantry_identity::DepartmentId::from_uuid(self.uuid()),
            org,
            name,
            sign_up_code: sign_up_link
                .then(|| self.with_rng(tenantry_identity::SignUpCode::generate)),
            created_at: now,
            version: 0,
        };
        self.insert_owned(
            caller,
            org,
            Record::Department(department.clone()),
            "department.created",
        )
        .await?;
        Ok(department)
    }

    /// Creates a job profile in `org`. The caller must administer `org`.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "create_job_profile"),
        err(Display)
    )]
    pub async fn create_job_profile(
        &self,
        caller: Caller,
        org: OrgId,
        name: Name,
    ) -> Result<tenantry_identity::JobProfile, DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, org).await?;
        self.org(org).await?;
        let profile = tenantry_identity::JobProfile {
            id: tenantry_identity::JobProfileId::from_uuid(self.uuid()),
            org,
            name,
            created_at: self.clock.now(),
            version: 0,
        };
        self.insert_owned(
            caller,
            org,
            Record::JobProfile(profile.clone()),
            "job_profile.created",
        )
        .await?;
        Ok(profile)
    }

    /// Creates a location in `org` (help desk). Users and groups with access to all locations
    /// cover it at once. The caller must administer `org`.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "create_location"),
        err(Display)
    )]
    pub async fn create_location(
        &self,
        caller: Caller,
        org: OrgId,
        name: Name,
    ) -> Result<tenantry_identity::Location, DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, org).await?;
        self.org(org).await?;
        let location = tenantry_identity::Location {
            id: tenantry_identity::LocationId::from_uuid(self.uuid()),
            org,
            name,
            archived: false,
            created_at: self.clock.now(),
            version: 0,
        };
        self.insert_owned(
            caller,
            org,
            Record::Location(location.clone()),
            "location.created",
        )
        .await?;
        Ok(location)
    }

    /// Sets which locations `user` may file requests for (the help desk: all, specific, or through
    /// their groups). Specific locations must be of the user's organization.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "set_location_access"),
        err(Display)
    )]
    pub async fn set_location_access(
        &self,
        caller: Caller,
        user: UserId,
        access: tenantry_identity::LocationAccess,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        let (record, _) = self.user(user).await?;
        self.require_admin(caller, record.user.org()).await?;
        if let tenantry_identity::LocationAccess::Specific(set) = &access {
            for l in set {
                match self
                    .store
                    .get(&RecordKey::Location(*l))
                    .await?
                    .map(|v| v.value)
                {
                    Some(Record::Location(loc)) if loc.org == record.user.org() => {}
                    _ => return Err(DirectoryError::NotFound("location")),
                }
            }
        }
        retrying!(
            self,
            self.try_set_location_access(caller, user, access.clone())
        )
    }

    pub(crate) async fn try_set_location_access(
        &self,
        caller: Caller,
        user: UserId,
        access: tenantry_identity::LocationAccess,
    ) -> Result<(), DirectoryError> {
        let (mut record, version) = self.user(user).await?;
        let org = record.user.org();
        record.user.set_location_access(access, self.clock.now());
        let mut cs = Changeset::new();
        cs.update(Record::User(record), version).audit(self.audit(
            caller,
            Some(org),
            Some(user),
            "location_access.changed",
        ));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Whether `user` may file a request for `location` (help desk): their own access and
    /// that of their unarchived groups; archived locations take none.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "may_file_request"),
        err(Display)
    )]
    pub async fn may_file_request(
        &self,
        user: UserId,
        location: tenantry_identity::LocationId,
    ) -> Result<bool, DirectoryError> {
        let (record, _) = self.user(user).await?;
        if !record.account.capabilities().may_file_requests {
            return Ok(false);
        }
        match self
            .store
            .get(&RecordKey::Location(location))
            .await?
            .map(|v| v.value)
        {
            Some(Record::Location(l)) if !l.archived && l.org == record.user.org() => {}
            _ => return Ok(false),
        }
        let mut groups = Vec::new();
        for m in self.store.list(&ListOf::GroupsOfUser(user)).await? {
            if let Record::Membership(m) = m.value
                && let Ok((g, _)) = self.group(m.group).await
            {
                groups.push(g);
            }
        }
        Ok(tenantry_access::may_file_request(
            &record.user,
            groups.iter(),
            location,
        ))
    }
}
