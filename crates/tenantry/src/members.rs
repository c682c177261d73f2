//! A group's member directory (social intranet): who the members are, without the consumers, who
//! have not joined the network yet, and the notice that further members receive digests.

use tenantry_identity::{GroupId, Profile, UserId, UserKind};

use crate::directory::{Caller, Directory, DirectoryError};
use crate::store::UserQuery;

/// A member as the group's directory shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The user.
    pub id: UserId,
    /// Their kind (standard, guest or PIN; consumers are never listed).
    pub kind: UserKind,
    /// The name to show.
    pub display_name: String,
    /// Their profile.
    pub profile: Profile,
}

/// One page of a group's member directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMembers {
    /// The members on this page, by id.
    pub members: Vec<Member>,
    /// Where the next page starts, if there is one.
    pub next: Option<UserId>,
    /// How many further members are consumers who receive digests (the social intranet's notice:
    /// "additional users from this group receive email digests"); they are not listed.
    pub consumers_receiving_digests: usize,
}

impl Directory {
    /// A page of `group`'s member directory as `viewer` sees it: members of every kind but
    /// consumers, from `after` on, at most `limit` (0: the store's default page). The
    /// viewer must see the group: its members always; guests only groups shown to guests;
    /// other users of the organization every unarchived group; admins of the organization
    /// and the system every group. A group the viewer may not see is
    /// [`DirectoryError::NotFound`], as one that does not exist.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "group_members"),
        err(Display)
    )]
    pub async fn group_members(
        &self,
        viewer: Caller,
        group: GroupId,
        after: Option<UserId>,
        limit: usize,
    ) -> Result<GroupMembers, DirectoryError> {
        self.acting(viewer).await?;
        let (g, _) = self.group(group).await?;
        if let Some(user) = viewer.user()
            && self.require_admin(viewer, g.org).await.is_err()
        {
            let (record, _) = self.user(user).await?;
            let is_member = self
                .store
                .get(&crate::records::RecordKey::Membership(group, user))
                .await?
                .is_some();
            let sees = record.account.capabilities().may_sign_in
                && (is_member || record.user.org() == g.org)
                && tenantry_access::sees_group(record.user.kind(), is_member, &g);
            if !sees {
                return Err(DirectoryError::NotFound("group"));
            }
        }
        let listed = [UserKind::Standard, UserKind::Guest, UserKind::Pin];
        let page = self
            .store
            .users(&UserQuery {
                group: Some(group),
                kinds: listed.to_vec(),
                after,
                limit,
                ..Default::default()
            })
            .await?;
        let members = page
            .items
            .into_iter()
            .map(|u| Member {
                id: u.value.user.id(),
                kind: u.value.user.kind(),
                display_name: u.value.user.display_name(),
                profile: u.value.user.profile().clone(),
            })
            .collect();
        let mut consumers_receiving_digests = 0;
        let mut from = None;
        loop {
            let consumers = self
                .store
                .users(&UserQuery {
                    group: Some(group),
                    kinds: vec![UserKind::Consumer],
                    after: from,
                    limit: crate::MAX_PAGE,
                    ..Default::default()
                })
                .await?;
            consumers_receiving_digests += consumers
                .items
                .iter()
                .filter(|c| {
                    c.value.account.capabilities().receives_mail
                        && c.value.user.kind().receives_digests()
                        && c.value
                            .notifications
                            .receives(&crate::notify::Topic::Digest)
                })
                .count();
            from = consumers.next;
            if from.is_none() {
                break;
            }
        }
        Ok(GroupMembers {
            members,
            next: page.next,
            consumers_receiving_digests,
        })
    }
}
