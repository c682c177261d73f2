//! SCIM filters: RFC 7644's examples, errors with positions, evaluation, and properties
//! (parsing never panics; printing then parsing gives the same filter).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use proptest::prelude::*;
use serde_json::json;
use tenantry_scim::filter::*;

/// Every filter example of RFC 7644 §3.4.2.2 parses, and prints to something that parses
/// back to it.
#[test]
fn rfc_7644_examples_parse_and_round_trip() {
    for text in [
        r#"userName eq "bjensen""#,
        r#"name.familyName co "O'Malley""#,
        r#"userName sw "J""#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        "title pr",
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
        r#"title pr and userType eq "Employee""#,
        r#"title pr or userType eq "Intern""#,
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        r#"userType eq "Employee" and (emails.type eq "work")"#,
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Kitchen""#,
        r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
        "active eq true and meta.version ne null and age gt -1.5e3",
    ] {
        let filter = Filter::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let printed = filter.to_string();
        assert_eq!(
            Filter::parse(&printed).unwrap(),
            filter,
            "{text} -> {printed}"
        );
    }
}

#[test]
fn structure_precedence_and_case() {
    let f = Filter::parse(r#"a eq 1 or b eq 2 and c eq 3"#).unwrap();
    let Filter::Or(_, right) = &f else {
        panic!("{f:?}")
    };
    assert!(matches!(**right, Filter::And(..)), "and binds tighter");
    let upper = Filter::parse(r#"UserName EQ "x" AND NOT (Title PR)"#).unwrap();
    assert!(matches!(upper, Filter::And(..)));
    let f = Filter::parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq "x""#)
        .unwrap();
    let Filter::Compare { path, op, .. } = f else {
        panic!()
    };
    assert_eq!(
        path.uri.as_deref(),
        Some("urn:ietf:params:scim:schemas:core:2.0:User")
    );
    assert_eq!(
        (path.name.as_str(), path.sub.as_deref()),
        ("name", Some("familyName"))
    );
    assert_eq!(op, CompareOp::Eq);
    // Right-nested operands keep their grouping when printed.
    let nested = Filter::parse("a pr or (b pr or c pr)").unwrap();
    assert_eq!(Filter::parse(&nested.to_string()).unwrap(), nested);
}

#[test]
fn errors_name_where_and_what() {
    for (text, position) in [
        ("", 0),
        ("userName", 8),
        ("userName eq", 11),
        (r#"userName xx "a""#, 9),
        (r#"userName eq "a"#, 14),
        (r#"userName eq "a" and"#, 19),
        (r#"(userName eq "a""#, 16),
        (r#"emails[type eq "work""#, 21),
        (r#"emails[type eq "work"] junk"#, 23),
        (r#"emails[types[value pr]]"#, 12),
        (r#"not userName pr"#, 4),
        (r#"1abc eq "x""#, 0),
        (r#"userName eq 01x"#, 12),
        (r#"userName eq "\x""#, 12),
    ] {
        let err = Filter::parse(text).unwrap_err();
        assert_eq!(err.position, position, "{text:?}: {err}");
    }
    let deep = format!("{}a pr{}", "(".repeat(40), ")".repeat(40));
    assert_eq!(
        Filter::parse(&deep).unwrap_err().problem,
        "at most 32 levels of nesting"
    );
    let long = format!("a eq \"{}\"", "x".repeat(5000));
    assert!(Filter::parse(&long).is_err());
}

#[test]
fn patch_paths() {
    let p = PatchPath::parse("name.familyName").unwrap();
    assert_eq!(p.attr.sub.as_deref(), Some("familyName"));
    assert!(p.filter.is_none() && p.sub.is_none());
    let p = PatchPath::parse(r#"members[value eq "2819c223"]"#).unwrap();
    assert!(p.filter.is_some());
    let p = PatchPath::parse(r#"emails[type eq "work"].value"#).unwrap();
    assert_eq!(p.sub.as_deref(), Some("value"));
    assert_eq!(PatchPath::parse(&p.to_string()).unwrap(), p);
    let p = PatchPath::parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager")
        .unwrap();
    assert_eq!(p.attr.name, "manager");
    for bad in [
        "",
        "emails[",
        "emails[type eq \"w\"].",
        "name.familyName[value pr]",
        "a b",
    ] {
        assert!(PatchPath::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn evaluation() {
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "BJensen",
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "title": "",
        "active": true,
        "emails": [
            {"type": "work", "value": "bjensen@example.com", "primary": true},
            {"type": "home", "value": "babs@jensen.org"}
        ],
        "meta": {"lastModified": "2011-05-13T04:42:34Z"},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Kitchen"}
    });
    let not_exact = |_: &AttrPath| false;
    let exact = |p: &AttrPath| p.matches_name("userName", None);
    for (text, expected) in [
        (r#"userName eq "bjensen""#, true),
        (r#"name.familyName sw "jen""#, true),
        ("title pr", false),
        ("name pr", true),
        ("nickName pr", false),
        ("active eq true", true),
        ("active eq false", false),
        (r#"emails co "jensen.org""#, true),
        (r#"emails.type eq "home""#, true),
        (r#"emails[type eq "work" and value ew ".com"]"#, true),
        (r#"emails[type eq "home" and value ew ".com"]"#, false),
        (r#"emails[primary eq true]"#, true),
        (r#"meta.lastModified gt "2011-05-13T04:42:33Z""#, true),
        (r#"meta.lastModified lt "2011-05-13T04:42:33Z""#, false),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "kitchen""#,
            true,
        ),
        (r#"not (userName eq "bjensen")"#, false),
        (r#"userName eq "nobody" or active eq true"#, true),
        ("nickName eq null", true),
        ("userName ne null", true),
    ] {
        let f = Filter::parse(text).unwrap();
        assert_eq!(f.matches(&user, &not_exact), expected, "{text}");
    }
    let f = Filter::parse(r#"userName eq "bjensen""#).unwrap();
    assert!(
        !f.matches(&user, &exact),
        "case-exact attributes compare exactly"
    );
}

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "userName",
        "name",
        "emails",
        "active",
        "title",
        "meta",
        "members",
        "displayName",
        "$ref",
    ])
    .prop_map(str::to_owned)
}

fn attr_path(sub: bool) -> impl Strategy<Value = AttrPath> {
    (
        prop::option::of(prop::sample::select(vec![
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ])),
        name(),
        if sub {
            prop::option::of(name()).boxed()
        } else {
            Just(None).boxed()
        },
    )
        .prop_filter("names start with a letter or $", |(_, n, _)| !n.is_empty())
        .prop_map(|(uri, name, sub)| AttrPath {
            uri: uri.map(str::to_owned),
            name,
            sub,
        })
}

fn value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        any::<i64>().prop_map(|n| CompValue::Number(n.into())),
        (-1.0e9f64..1.0e9)
            .prop_map(|f| CompValue::Number(serde_json::Number::from_f64(f).unwrap())),
        ".{0,12}".prop_map(CompValue::String),
    ]
}

fn op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(vec![
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ])
}

/// Filters without value paths (what may stand inside brackets).
fn inner_filter() -> impl Strategy<Value = Filter> {
    let leaf = prop_oneof![
        (attr_path(true), op(), value()).prop_map(|(path, op, value)| Filter::Compare {
            path,
            op,
            value
        }),
        attr_path(true).prop_map(Filter::Present),
    ];
    leaf.prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

fn filter() -> impl Strategy<Value = Filter> {
    let leaf = prop_oneof![
        3 => inner_filter(),
        1 => (attr_path(false), inner_filter()).prop_map(|(path, f)| Filter::ValuePath {
            path,
            filter: Box::new(f)
        }),
    ];
    leaf.prop_recursive(3, 12, 2, |outer| {
        prop_oneof![
            (outer.clone(), outer.clone()).prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
            (outer.clone(), outer.clone()).prop_map(|(a, b)| Filter::Or(Box::new(a), Box::new(b))),
            outer.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn printing_then_parsing_gives_the_same_filter(f in filter()) {
        let printed = f.to_string();
        prop_assert_eq!(Filter::parse(&printed), Ok(f), "{}", printed);
    }

    #[test]
    fn parsing_never_panics(text in ".{0,200}") {
        let _ = Filter::parse(&text);
        let _ = PatchPath::parse(&text);
    }

    #[test]
    fn parsing_filter_like_text_never_panics(
        parts in prop::collection::vec(
            prop::sample::select(vec![
                "userName", " eq ", " and ", " or ", "not", "(", ")", "[", "]", "\"x\"", "\"",
                "\\", "1", "-", "e", ".", ":", "urn:a:b", " pr", "true", "null", " ",
            ]),
            0..40,
        )
    ) {
        let text: String = parts.concat();
        if let Ok(f) = Filter::parse(&text) {
            prop_assert_eq!(Filter::parse(&f.to_string()), Ok(f));
        }
        let _ = PatchPath::parse(&text);
    }
}

/// Found by `cargo fuzz run scim_filter`: a filter near the length limit printed longer than
/// it was written and no longer parsed. Printing may lengthen (numbers, `not(`); what
/// prints within the limit parses back.
#[test]
fn printed_forms_can_be_longer_than_the_input() {
    let f = Filter::parse("a eq 1e5 and not(b pr)").unwrap();
    assert_eq!(f.to_string(), "a eq 100000.0 and not (b pr)");
    assert_eq!(Filter::parse(&f.to_string()).unwrap(), f);
    let near_limit = format!("a eq 1e5 or x eq \"{}\"", "y".repeat(MAX_FILTER_LEN - 22));
    assert!(near_limit.len() <= MAX_FILTER_LEN);
    let f = Filter::parse(&near_limit).unwrap();
    assert!(f.to_string().len() > MAX_FILTER_LEN);
    assert!(
        Filter::parse(&f.to_string()).is_err(),
        "beyond the limit: refused, not misread"
    );
}
