//! Debug output never carries a live link: outbox messages, the records that hold them and
//! the changesets that write them print the bodies' size, not the bodies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use tenantry::testing::{WorldBuilder, token_from};
use tenantry::*;

#[tokio::test]
async fn debug_of_outbox_messages_records_and_changesets_hides_links() {
    let w = WorldBuilder::new().build().await.unwrap();
    w.invite("bob@acme.example").await.unwrap();
    let message = w.last_to("bob@acme.example", "invitation").await.unwrap();
    let raw = token_from(&message, "invitation").unwrap();
    let secret = raw.expose().to_owned();
    assert!(message.text.contains(&secret));
    let mut cs = Changeset::new();
    cs.insert(Record::Outbox(message.clone()));
    for shown in [
        format!("{message:?}"),
        format!("{:?}", Record::Outbox(message.clone())),
        format!("{cs:?}"),
        format!("{cs:#?}"),
    ] {
        assert!(!shown.contains(&secret), "{shown}");
        assert!(shown.contains("bob@acme.example"), "{shown}");
    }
}
