// The directory's scenarios, included by the binaries that run them on each store; each
// binary defines `store()`.

#[path = "../../../tenantry/tests/directory/support.rs"]
mod support;
#[path = "../../../tenantry/tests/directory/accounts.rs"]
mod accounts;
#[path = "../../../tenantry/tests/directory/activation.rs"]
mod activation;
#[path = "../../../tenantry/tests/directory/exchange.rs"]
mod exchange;
#[path = "../../../tenantry/tests/directory/groups.rs"]
mod groups;
#[path = "../../../tenantry/tests/directory/invitations.rs"]
mod invitations;
#[path = "../../../tenantry/tests/directory/notifications.rs"]
mod notifications;
#[path = "../../../tenantry/tests/directory/organizations.rs"]
mod organizations;
#[path = "../../../tenantry/tests/directory/places.rs"]
mod places;
#[path = "../../../tenantry/tests/directory/products.rs"]
mod products;
#[path = "../../../tenantry/tests/directory/sign_in.rs"]
mod sign_in;
#[path = "../../../tenantry/tests/directory/users.rs"]
mod users;
