//! Spreadsheets in and out: exports of consumers, PIN users with their PINs and general user
//! lists (social intranet, agency), and the one-time, insert-only import of the workforce platform.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;

use tenantry_access::{Change, GrantRef, Grantables, Resolver, RoleKey, Scope};
use tenantry_identity::{LoginIdentifiers, OrgId, PhoneRegion, Profile, UserId, UserKind};
use tenantry_lifecycle::WayIn;
use tenantry_tabular::{
    Choices, ColumnSet, CsvOptions, Headers, ImportLimits, ImportPlan, ImportTemplate,
    NewUser as SheetUser, UserRecord as Row, export_csv, export_xlsx, plan, read_csv, read_xlsx,
};

use crate::changeset::Changeset;
use crate::directory::{
    Caller, Directory, DirectoryError, NewUser, NewUsers, bump_admin_orgs, retrying,
};
use crate::records::{Record, UserRecord};
use crate::store::{ListOf, UserQuery};

/// Which list to export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// The social intranet's consumer export: email, names, number of groups, receives digests.
    Consumers,
    /// The social intranet's PIN-user export, with each PIN (opened with the configured PIN keys).
    PinUsers,
    /// Every user: identifiers, kind, state, organization, groups.
    Users,
    /// The agency's access review: every user with kind, state, last sign-in and the
    /// permissions they hold at the organization (through their grants, whatever their
    /// state: the state column says whether they can use them), in catalog order.
    AccessReview,
}

/// CSV or XLSX.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// CSV with these options.
    Csv(CsvOptions),
    /// XLSX.
    Xlsx,
}

/// What [`Directory::export`] writes: which list, in which format, with which headers.
#[derive(Clone, Copy, Debug)]
pub struct ExportRequest<'a> {
    /// Which list.
    pub kind: ExportKind,
    /// CSV (with its options) or XLSX.
    pub format: Format,
    /// The column headers, in the reader's language.
    pub headers: &'a Headers,
}

/// The kind of file [`Directory::plan_import`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportFormat {
    /// CSV as spreadsheet programs save it (delimiter and encoding detected).
    Csv,
    /// An XLSX workbook (its first sheet).
    Xlsx,
}

/// An import row: its number, the user to create, the role to grant.
type ImportRow = (usize, NewUser, Option<RoleKey>);

/// How many import rows one commit creates.
const IMPORT_BLOCK: usize = 500;

/// What an import created and skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Rows created, with the new users.
    pub created: Vec<(usize, UserId)>,
    /// Rows not created, and why (the user exists, or appeared meanwhile).
    pub skipped: Vec<(usize, String)>,
}

impl Directory {
    /// Writes the list `request` asks for of `org` to `writer`. The caller must administer
    /// the organization. Exporting PINs is audited.
    #[tracing::instrument(name = "tenantry", skip_all, fields(use_case = "export"), err(Display))]
    pub async fn export<W: Write + Send>(
        &self,
        caller: Caller,
        org: OrgId,
        request: ExportRequest<'_>,
        writer: W,
    ) -> Result<u64, DirectoryError> {
        let ExportRequest {
            kind,
            format,
            headers,
        } = request;
        self.require_admin(caller, org).await?;
        let (org_record, _) = self.org(org).await?;
        let kinds = match kind {
            ExportKind::Consumers => vec![UserKind::Consumer],
            ExportKind::PinUsers => vec![UserKind::Pin],
            ExportKind::Users | ExportKind::AccessReview => Vec::new(),
        };
        let mut rows = Vec::new();
        // The access review's permissions need the users themselves.
        let mut reviewed = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .store
                .users(&UserQuery {
                    org: Some(org),
                    kinds: kinds.clone(),
                    after,
                    limit: crate::MAX_PAGE,
                    ..Default::default()
                })
                .await?;
            for u in &page.items {
                rows.push(
                    self.row(&u.value, org_record.org.name.as_str(), kind)
                        .await?,
                );
            }
            if kind == ExportKind::AccessReview {
                reviewed.extend(page.items.into_iter().map(|u| u.value));
            }
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        if kind == ExportKind::AccessReview {
            let (model, _) = self.access_model_of(&reviewed).await?;
            let resolver = tenantry_access::Resolver::compile(&self.catalog, &model)?;
            for (row, user) in rows.iter_mut().zip(&reviewed) {
                let held = resolver.effective(user.user.id(), tenantry_access::Target::Org(org));
                row.permissions = self
                    .catalog
                    .keys(held)
                    .into_iter()
                    .map(|k| k.as_str().to_owned())
                    .collect();
            }
        }
        let columns = match kind {
            ExportKind::Consumers => ColumnSet::CONSUMERS,
            ExportKind::PinUsers => ColumnSet::PIN_USERS,
            ExportKind::Users => ColumnSet::USERS,
            ExportKind::AccessReview => ColumnSet::ACCESS_REVIEW,
        };
        // Audited before a byte is written: if the audit cannot be stored, nothing (no PIN)
        // leaves. An export that then fails to write stays in the log as attempted.
        let action = match kind {
            ExportKind::PinUsers => "export.pins",
            ExportKind::AccessReview => "export.access_review",
            ExportKind::Consumers | ExportKind::Users => "export.users",
        };
        let mut event = self.audit(caller, Some(org), None, action);
        event.detail.insert("rows".into(), rows.len().to_string());
        let mut cs = crate::changeset::Changeset::new();
        cs.audit(event);
        self.store.commit(cs).await?;
        let written = match format {
            Format::Csv(options) => export_csv(writer, columns, headers, rows, options)?,
            Format::Xlsx => export_xlsx(writer, "Users", columns, headers, rows)?,
        };
        Ok(written)
    }

    async fn row(
        &self,
        r: &UserRecord,
        org_name: &str,
        kind: ExportKind,
    ) -> Result<Row, DirectoryError> {
        let u = &r.user;
        let p = u.profile();
        let id = u.identifiers();
        let text = |v: Option<&str>| v.unwrap_or("").to_owned();
        let mut groups = Vec::new();
        for m in self.store.list(&ListOf::GroupsOfUser(u.id())).await? {
            if let Record::Membership(m) = m.value
                && let Some(Record::Group(g)) = self
                    .store
                    .get(&crate::records::RecordKey::Group(m.group))
                    .await?
                    .map(|v| v.value)
            {
                groups.push(g.name.as_str().to_owned());
            }
        }
        let pin = match kind {
            ExportKind::PinUsers => match self
                .store
                .get(&crate::records::RecordKey::Pin(u.id()))
                .await?
                .map(|v| v.value)
            {
                Some(Record::Pin(pin)) => pin.reveal(&self.config.pin_keys)?.expose().to_owned(),
                _ => String::new(),
            },
            _ => String::new(),
        };
        Ok(Row {
            email: text(id.email.as_ref().map(|e| e.as_str())),
            first_name: text(p.first_name.as_ref().map(|n| n.as_str())),
            last_name: text(p.last_name.as_ref().map(|n| n.as_str())),
            display_name: u.display_name(),
            username: text(id.username.as_ref().map(|n| n.as_str())),
            phone: text(p.phone.as_ref().map(|n| n.as_str())),
            placeholder_email: text(id.placeholder_email.as_ref().map(|e| e.as_str())),
            external_id: text(id.external_id.as_ref().map(|e| e.as_str())),
            kind: u.kind().as_str().to_owned(),
            state: r.account.state().as_str().to_owned(),
            organization: org_name.to_owned(),
            groups,
            // The social intranet: "If all notifications have been cancelled, the space under
            // 'Received' remains empty."
            receives_digests: r
                .notifications
                .receives(&crate::notify::Topic::Digest)
                .then(|| r.account.capabilities().receives_mail && u.kind().receives_digests()),
            pin,
            language: text(p.language.as_ref().map(|l| l.as_str())),
            last_sign_in: r
                .last_sign_in
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default(),
            ..Row::default()
        })
    }

    /// The import template of `org` (workforce platform): its departments, job profiles, the catalog's
    /// roles as permission types, and the organization's phone region. The caller must
    /// administer `org` (the template lists its departments and job profiles).
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "import_template"),
        err(Display)
    )]
    pub async fn import_template(
        &self,
        caller: Caller,
        org: OrgId,
    ) -> Result<ImportTemplate, DirectoryError> {
        self.require_admin(caller, org).await?;
        self.template_of(org).await
    }

    /// [`Self::import_template`] without the caller's check, for use cases that made it.
    async fn template_of(&self, org: OrgId) -> Result<ImportTemplate, DirectoryError> {
        let (record, _) = self.org(org).await?;
        let mut choices = Choices::default();
        for d in self.store.list(&ListOf::DepartmentsOf(org)).await? {
            if let Record::Department(d) = d.value {
                choices.departments.push(d.name.as_str().to_owned());
            }
        }
        for j in self.store.list(&ListOf::JobProfilesOf(org)).await? {
            if let Record::JobProfile(j) = j.value {
                choices.job_profiles.push(j.name.as_str().to_owned());
            }
        }
        choices.permission_types = self
            .catalog
            .roles()
            .map(|r| r.key.as_str().to_owned())
            .collect();
        let region = record
            .org
            .settings
            .phone_region
            .as_deref()
            .and_then(|r| PhoneRegion::from_iso(r).ok());
        let mut template = ImportTemplate::workforce(choices, region);
        // Departments and job profiles are required only where the organization has some.
        if template.choices.departments.is_empty() {
            template
                .required
                .remove(&tenantry_tabular::Column::Department);
        }
        if template.choices.job_profiles.is_empty() {
            template
                .required
                .remove(&tenantry_tabular::Column::JobProfile);
        }
        Ok(template)
    }

    /// The dry run of an import (workforce platform): reads the file, validates each row against the
    /// template, and plans what to create, what to skip because the user exists (never
    /// overwritten) and what to reject. Nothing is written.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "plan_import"),
        err(Display)
    )]
    pub async fn plan_import(
        &self,
        caller: Caller,
        org: OrgId,
        file: &[u8],
        format: ImportFormat,
    ) -> Result<ImportPlan, DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, org).await?;
        let template = self.template_of(org).await?;
        let limits = ImportLimits::default();
        let sheet = match format {
            ImportFormat::Xlsx => read_xlsx(file, &limits)?,
            ImportFormat::Csv => read_csv(file, &limits)?,
        };
        let report = template.validate(&sheet)?;
        let mut existing = HashSet::new();
        for record in &report.records {
            for key in record.keys() {
                if self.store.user_by_login(&key).await?.is_some() {
                    existing.insert(key);
                }
            }
        }
        Ok(plan(report, |k| existing.contains(k)))
    }

    /// Creates the plan's users: each a standard user of `org` with the row's department,
    /// job profile and permission type (a role of the catalog, granted in `org`); a one-time
    /// password from the sheet is their way in, else an activation message where the
    /// organization sends one on creation, else none yet. Rows whose identifiers were taken
    /// since the plan are skipped, never overwritten; so are rows whose permission type the
    /// caller may not grant (the refusal is the reason; such a user is not created).
    ///
    /// Rows are committed in blocks of 500, each block in one transaction with its audit
    /// events. If the store fails part way, the blocks before stay created: planning the
    /// same file again skips them as existing users.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "commit_import"),
        err(Display)
    )]
    pub async fn commit_import(
        &self,
        caller: Caller,
        org: OrgId,
        plan: &ImportPlan,
    ) -> Result<ImportOutcome, DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, org).await?;
        let (record, _) = self.org(org).await?;
        let mut departments = BTreeMap::new();
        for d in self.store.list(&ListOf::DepartmentsOf(org)).await? {
            if let Record::Department(d) = d.value {
                departments.insert(d.name.as_str().to_owned(), d.id);
            }
        }
        let mut job_profiles = BTreeMap::new();
        for j in self.store.list(&ListOf::JobProfilesOf(org)).await? {
            if let Record::JobProfile(j) = j.value {
                job_profiles.insert(j.name.as_str().to_owned(), j.id);
            }
        }
        let activation = record.org.settings.communication.activation_on_create;
        let rows = plan
            .create
            .iter()
            .map(|row| {
                let role = row
                    .permission_type
                    .as_deref()
                    .map(RoleKey::new)
                    .transpose()?;
                let new = self.new_user_from(row, &departments, &job_profiles, activation);
                Ok((row.row, new, role))
            })
            .collect::<Result<Vec<_>, DirectoryError>>()?;
        let mut outcome = ImportOutcome::default();
        for block in rows.chunks(IMPORT_BLOCK) {
            match retrying!(
                self,
                self.try_import_block(caller, org, block, &mut outcome)
            ) {
                Ok(()) => {}
                // Someone took an identifier since the plan: nothing of the block landed;
                // each row alone, so only the taken ones are skipped.
                Err(DirectoryError::IdentifierTaken) if block.len() > 1 => {
                    for row in block {
                        match retrying!(
                            self,
                            self.try_import_block(
                                caller,
                                org,
                                std::slice::from_ref(row),
                                &mut outcome
                            )
                        ) {
                            Ok(()) => {}
                            Err(DirectoryError::IdentifierTaken) => {
                                outcome.skipped.push((row.0, "the user exists".into()))
                            }
                            Err(e) => return Err(e),
                        }
                    }
                }
                Err(DirectoryError::IdentifierTaken) => outcome
                    .skipped
                    .extend(block.iter().map(|r| (r.0, "the user exists".into()))),
                Err(e) => return Err(e),
            }
        }
        for s in &plan.skipped {
            outcome.skipped.push((s.row, "the user exists".into()));
        }
        outcome.created.sort_unstable();
        outcome.skipped.sort_unstable();
        Ok(outcome)
    }

    /// Creates a block of import rows in one commit: every user with their role granted,
    /// each grant checked as `change_grant` checks it. A row whose grant the caller may not
    /// make is skipped (its user not created either) and the rest prepared again.
    async fn try_import_block(
        &self,
        caller: Caller,
        org_id: OrgId,
        block: &[ImportRow],
        outcome: &mut ImportOutcome,
    ) -> Result<(), DirectoryError> {
        let actor: Vec<UserId> = caller.user().into_iter().collect();
        let mut refused: BTreeMap<usize, String> = BTreeMap::new();
        loop {
            let (mut model, orgs) = self.access_model(&actor).await?;
            let (org, org_version) = orgs
                .get(&org_id)
                .cloned()
                .ok_or(DirectoryError::NotFound("organization"))?;
            let mut batch = NewUsers::default();
            let mut prepared = Vec::new();
            for (row, new, role) in block {
                if refused.contains_key(row) {
                    continue;
                }
                let kind = new.kind;
                let (cs, created) = self
                    .prepare_user(caller, &org, org_version, new.clone(), &mut batch)
                    .await?;
                model.add_user(created.id, kind, org_id);
                // The first user of a the partner portal company already gets a grant here.
                for (record, _) in &cs.puts {
                    if let Record::Grant(at, what) = record {
                        model.set_grant(at.user, at.org, at.scope, what.clone());
                    }
                }
                prepared.push((*row, cs, created.id, role));
            }
            let resolver = Resolver::compile(&self.catalog, &model)?;
            let mut all = Changeset::new();
            let mut bumped = HashSet::new();
            let mut newly_refused = false;
            let mut created = Vec::new();
            for (row, mut cs, user, role) in prepared {
                if let Some(role) = role {
                    let at = GrantRef {
                        user,
                        org: org_id,
                        scope: Scope::Organization,
                    };
                    let change = Change::Grant(Grantables {
                        roles: [role.clone()].into(),
                        ..Grantables::new()
                    });
                    let plan = match caller.user() {
                        Some(actor) => resolver.guard_change(actor, at, &change),
                        None => resolver.guard_system_change(at, &change),
                    };
                    let plan = match plan {
                        Ok(plan) => plan,
                        Err(refusal) => {
                            refused.insert(row, format!("permission type {role}: {refusal}"));
                            newly_refused = true;
                            continue;
                        }
                    };
                    cs.puts
                        .retain(|(r, _)| !matches!(r, Record::Grant(g, _) if *g == at));
                    bump_admin_orgs(&mut cs, &plan, &orgs)?;
                    cs.insert(Record::Grant(at, plan.after));
                    cs.audit(self.audit(caller, Some(org_id), Some(user), "grant.changed"));
                }
                // One write per organization: the first (a the partner portal contact person) wins;
                // the others only bump the version read, which the first does too.
                for (record, expect) in cs.puts {
                    if let Record::Org(o) = &record
                        && !bumped.insert(o.org.id)
                    {
                        continue;
                    }
                    all.puts.push((record, expect));
                }
                all.deletes.extend(cs.deletes);
                all.audit.extend(cs.audit);
                created.push((row, user));
            }
            if newly_refused {
                continue;
            }
            if !all.is_empty() {
                self.commit_claims(all).await?;
            }
            outcome.created.extend(created);
            outcome.skipped.extend(refused);
            return Ok(());
        }
    }

    fn new_user_from(
        &self,
        row: &SheetUser,
        departments: &BTreeMap<String, tenantry_identity::DepartmentId>,
        job_profiles: &BTreeMap<String, tenantry_identity::JobProfileId>,
        activation_on_create: bool,
    ) -> NewUser {
        let profile = Profile {
            first_name: Some(row.first_name.clone()),
            last_name: Some(row.last_name.clone()),
            phone: row.phone.clone(),
            language: row.language.clone(),
            department: row
                .department
                .as_ref()
                .and_then(|d| departments.get(d).copied()),
            job_profile: row
                .job_profile
                .as_ref()
                .and_then(|j| job_profiles.get(j).copied()),
            ..Profile::default()
        };
        let identifiers = LoginIdentifiers {
            email: row.email.clone(),
            username: row.username.clone(),
            ..Default::default()
        };
        let (way_in, password) = match &row.one_time_password {
            Some(otp) => (
                WayIn::OneTimePassword,
                Some(tenantry_credentials::Password::new(otp.expose())),
            ),
            None if activation_on_create => (WayIn::Activation, None),
            None => (WayIn::None, None),
        };
        NewUser {
            kind: UserKind::Standard,
            profile,
            identifiers,
            way_in,
            password,
        }
    }
}
