//! Any text as a stored PHC password hash and as a PIN.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenantry_credentials::{PasswordHash, Pin};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(hash) = PasswordHash::parse(input) {
        let _ = hash.params();
        assert_eq!(PasswordHash::parse(hash.as_str()).ok(), Some(hash));
    }
    let _ = Pin::parse(input);
});
