//! Any text through every identity validator; what one accepts must parse again to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenantry_identity::*;

macro_rules! round_trip {
    ($ty:ty, $input:expr) => {
        if let Ok(v) = <$ty>::parse($input) {
            let again = <$ty>::parse(v.as_str()).expect("a parsed value parses again");
            assert!(again == v, "{} did not round-trip", stringify!($ty));
        }
    };
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    round_trip!(Email, input);
    round_trip!(EmailDomain, input);
    round_trip!(Username, input);
    round_trip!(Language, input);
    round_trip!(NamePart, input);
    round_trip!(DisplayName, input);
    round_trip!(Name, input);
    round_trip!(ExternalId, input);
    round_trip!(AvatarRef, input);
    round_trip!(SignUpCode, input);
    round_trip!(Phone, input);
    if let Ok(region) = PhoneRegion::from_iso("DE") {
        let _ = Phone::parse_with_region(input, Some(region));
    }
    let _ = PhoneRegion::from_iso(input);
    if let Ok(id) = LoginIdentifier::parse(input) {
        let _ = id.key();
    }
    if let (Some(first), Some(last)) = (input.get(..input.len() / 2), input.get(input.len() / 2..))
        && let (Ok(first), Ok(last)) = (NamePart::parse(first), NamePart::parse(last))
        && let Ok(domain) = EmailDomain::parse("pins.example")
    {
        let _ = placeholder_email(&first, &last, &domain, |_| false);
    }
});
