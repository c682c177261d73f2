//! Who sees what beyond permissions: groups for guests (social intranet), requests and locations of
//! occupant groups (help desk).

use tenantry_identity::{Group, LocationAccess, LocationId, User, UserId, UserKind};

/// Whether `user` sees `group` in the group directory: members always; guests only groups
/// they belong to or that are shown to guests (social intranet); other kinds every unarchived group;
/// consumers none (they are not members of the network yet).
pub fn sees_group(kind: UserKind, is_member: bool, group: &Group) -> bool {
    if is_member {
        return true;
    }
    match kind {
        UserKind::Guest => group.visible_to_guests && !group.archived,
        UserKind::Consumer => false,
        _ => !group.archived,
    }
}

/// Whether `viewer` sees a request filed by `owner`: their own, and those of members of a
/// group they share that shares requests (the help desk's occupant groups).
pub fn sees_request<'a>(
    viewer: UserId,
    owner: UserId,
    shared_groups: impl IntoIterator<Item = &'a Group>,
) -> bool {
    viewer == owner || shared_groups.into_iter().any(|g| g.members_share_requests)
}

/// Whether `user`, in `groups`, may file a request for `location` (help desk): their own
/// location access plus their groups', archived groups excluded.
pub fn may_file_request<'a>(
    user: &User,
    groups: impl IntoIterator<Item = &'a Group>,
    location: LocationId,
) -> bool {
    let scopes: Vec<_> = groups
        .into_iter()
        .filter(|g| !g.archived)
        .map(|g| &g.locations)
        .collect();
    let access: &LocationAccess = user.location_access();
    access.allows(location, scopes)
}
