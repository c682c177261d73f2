//! Bearer-token authentication.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tenantry::Caller;

use super::*;

impl ScimService {
    pub(super) fn authenticate(&self, header: Option<&str>) -> Option<&ScimClient> {
        let header = header?.trim();
        let (scheme, token) = header.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let hash: [u8; 32] = Sha256::digest(token.trim().as_bytes()).into();
        // Every client is compared, in constant time, so timing does not tell which matched.
        let mut found = None;
        for c in &self.clients {
            if bool::from(c.token_hash.ct_eq(&hash)) {
                found = Some(c);
            }
        }
        found
    }

    pub(super) fn caller(client: &ScimClient) -> Caller {
        Caller::User(client.actor)
    }
}
