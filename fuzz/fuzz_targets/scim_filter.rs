//! Any text as a SCIM filter and PATCH path: what parses prints back to itself and can be
//! evaluated against a resource.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenantry_scim::filter::{Filter, MAX_FILTER_LEN, PatchPath};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(filter) = Filter::parse(input) {
        let printed = filter.to_string();
        // The printed form can be longer than the input (`1e5` prints as `100000.0`,
        // `not(` as `not (`); beyond the input limit it is not meant to parse again.
        if printed.len() <= MAX_FILTER_LEN {
            assert_eq!(Filter::parse(&printed).as_ref(), Ok(&filter), "{printed}");
        }
        let user = serde_json::json!({
            "userName": "bjensen",
            "name": {"familyName": "Jensen"},
            "active": true,
            "emails": [{"type": "work", "value": "b@example.com", "primary": true}],
            "meta": {"lastModified": "2011-05-13T04:42:34Z"},
        });
        let _ = filter.matches(&user, &|_| false);
    }
    if let Ok(path) = PatchPath::parse(input) {
        let printed = path.to_string();
        if printed.len() <= MAX_FILTER_LEN {
            assert_eq!(PatchPath::parse(&printed).as_ref(), Ok(&path), "{printed}");
        }
    }
});
