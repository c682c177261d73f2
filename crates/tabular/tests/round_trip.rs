//! Export then import gives the same records, in both formats, with awkward values.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use std::io::Cursor;
use tenantry_identity::PhoneRegion;
use tenantry_tabular::*;

fn choices() -> Choices {
    Choices {
        departments: vec![
            "Sales".into(),
            "=Kitchen".into(),
            "Produktion, Halle 2".into(),
        ],
        job_profiles: vec!["Cook".into(), "\"Chief\" Operator".into()],
        permission_types: vec!["employee".into(), "-manager".into()],
        languages: vec!["de".into(), "en".into(), "zh-Hant".into()],
    }
}

fn awkward() -> Vec<UserRecord> {
    let rec = |first: &str,
               last: &str,
               email: &str,
               user: &str,
               phone: &str,
               dept: &str,
               job: &str,
               perm: &str,
               lang: &str,
               otp: &str| UserRecord {
        first_name: first.into(),
        last_name: last.into(),
        email: email.into(),
        username: user.into(),
        phone: phone.into(),
        department: dept.into(),
        job_profile: job.into(),
        permission_type: perm.into(),
        language: lang.into(),
        one_time_password: otp.into(),
        ..UserRecord::default()
    };
    vec![
        rec(
            "Jürgen",
            "Weiß",
            "jw@example.com",
            "",
            "",
            "Sales",
            "Cook",
            "employee",
            "de",
            "",
        ),
        rec(
            "=HYPERLINK(\"x\")",
            "+Plus",
            "f@example.com",
            "",
            "",
            "=Kitchen",
            "\"Chief\" Operator",
            "-manager",
            "en",
            "=cmd|' /C calc'!A0",
        ),
        rec(
            "王",
            "小明",
            "",
            "007agent",
            "+49 170 0012345",
            "Produktion, Halle 2",
            "Cook",
            "employee",
            "zh-Hant",
            "",
        ),
        rec(
            "Zoë 🎉",
            "O'Brien, \"Jr\"",
            "zoe+tag@example.com",
            "zoe.obrien",
            "0170 0000001",
            "Sales",
            "Cook",
            "employee",
            "en",
            "'leading-apostrophe",
        ),
        rec(
            "@mention",
            "-minus",
            "m@example.com",
            "",
            "",
            "Sales",
            "Cook",
            "employee",
            "de",
            "tab\tinside",
        ),
    ]
}

fn check(report: &ImportReport, records: &[UserRecord]) {
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.records.len(), records.len());
    for (got, want) in report.records.iter().zip(records) {
        assert_eq!(got.first_name.as_str(), want.first_name);
        assert_eq!(got.last_name.as_str(), want.last_name);
        assert_eq!(
            got.email.as_ref().map(|e| e.as_str()).unwrap_or(""),
            want.email
        );
        assert_eq!(
            got.username.as_ref().map(|u| u.as_str()).unwrap_or(""),
            want.username
        );
        assert_eq!(got.department.as_deref(), Some(want.department.as_str()));
        assert_eq!(got.job_profile.as_deref(), Some(want.job_profile.as_str()));
        assert_eq!(
            got.permission_type.as_deref(),
            Some(want.permission_type.as_str())
        );
        assert_eq!(
            got.language.as_ref().map(|l| l.as_str()),
            Some(want.language.as_str())
        );
        assert_eq!(
            got.one_time_password
                .as_ref()
                .map(|p| p.expose())
                .unwrap_or(""),
            want.one_time_password
        );
    }
    // Leading zeros in phone numbers survive, read in the template's region.
    assert_eq!(
        report.records[2].phone.as_ref().unwrap().as_str(),
        "+491700012345"
    );
    assert_eq!(
        report.records[3].phone.as_ref().unwrap().as_str(),
        "+491700000001"
    );
}

fn template() -> ImportTemplate {
    ImportTemplate::workforce(choices(), Some(PhoneRegion::from_iso("DE").unwrap()))
}

#[test]
fn csv_round_trip_in_both_languages_and_separators() {
    let t = template();
    for (lang, options) in [
        (Lang::En, CsvOptions::default()),
        (
            Lang::De,
            CsvOptions {
                bom: true,
                semicolon: true,
            },
        ),
    ] {
        let mut out = Vec::new();
        let n = export_csv(
            &mut out,
            &t.columns,
            &Headers::new(lang),
            awkward(),
            options,
        )
        .unwrap();
        assert_eq!(n, 5);
        let text = String::from_utf8(out.clone()).unwrap();
        // Formulas are neutralised on the way out...
        assert!(
            text.contains("'=HYPERLINK") && text.contains("'+Plus") && text.contains("'-manager")
        );
        assert!(!text.lines().any(|l| l.starts_with('=')));
        // ...and restored on the way in.
        let sheet = read_csv(&out, &ImportLimits::default()).unwrap();
        check(&t.validate(&sheet).unwrap(), &awkward());
    }
}

#[test]
fn xlsx_round_trip() {
    let t = template();
    let mut out = Vec::new();
    export_xlsx(
        &mut out,
        "Users",
        &t.columns,
        &Headers::new(Lang::De),
        awkward(),
    )
    .unwrap();
    let sheet = read_xlsx(&out, &ImportLimits::default()).unwrap();
    assert_eq!(sheet.headers[0], "Vorname");
    check(&t.validate(&sheet).unwrap(), &awkward());
}

#[test]
fn exports_continue_on_a_further_sheet_past_the_row_limit() {
    let rows = (0..25).map(|i| UserRecord {
        email: format!("u{i}@example.com"),
        ..UserRecord::default()
    });
    let mut out = Vec::new();
    let n = export_xlsx_with_sheet_rows(
        &mut out,
        "Consumers",
        ColumnSet::CONSUMERS,
        &Headers::new(Lang::En),
        rows,
        10,
    )
    .unwrap();
    assert_eq!(n, 25);
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(out)).unwrap();
    assert_eq!(
        wb.sheet_names(),
        vec!["Consumers", "Consumers (2)", "Consumers (3)"]
    );
    let mut total = 0;
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        assert_eq!(range.get((0, 0)).unwrap().to_string(), "Email");
        total += range.height() - 1;
    }
    assert_eq!(total, 25);
}

#[test]
fn a_cell_too_long_for_excel_is_an_error_not_a_corrupt_file() {
    let long = UserRecord {
        first_name: "x".repeat(EXCEL_MAX_CELL + 1),
        ..UserRecord::default()
    };
    let mut out = Vec::new();
    match export_xlsx(
        &mut out,
        "Users",
        ColumnSet::USERS,
        &Headers::default(),
        [UserRecord::default(), long],
    ) {
        Err(TabularError::CellTooLong {
            row: 2,
            column: Column::FirstName,
        }) => {}
        other => panic!("{other:?}"),
    }
    assert!(out.is_empty(), "nothing written");
    // Exactly at the limit is fine; emoji count as two UTF-16 units.
    let at = UserRecord {
        first_name: "x".repeat(EXCEL_MAX_CELL),
        ..UserRecord::default()
    };
    assert!(
        export_xlsx(
            Vec::new(),
            "Users",
            ColumnSet::USERS,
            &Headers::default(),
            [at]
        )
        .is_ok()
    );
    let emoji = UserRecord {
        first_name: "🎉".repeat(EXCEL_MAX_CELL / 2 + 1),
        ..UserRecord::default()
    };
    assert!(
        export_xlsx(
            Vec::new(),
            "Users",
            ColumnSet::USERS,
            &Headers::default(),
            [emoji]
        )
        .is_err()
    );
}

#[test]
fn network_exports_consumers_and_pin_users() {
    let consumer = UserRecord {
        email: "c@example.com".into(),
        first_name: "Carla".into(),
        last_name: "Consumer".into(),
        groups: vec!["News".into(), "Events".into()],
        receives_digests: Some(false),
        ..UserRecord::default()
    };
    let mut out = Vec::new();
    export_csv(
        &mut out,
        ColumnSet::CONSUMERS,
        &Headers::new(Lang::En),
        [consumer],
        CsvOptions::default(),
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "Email,First name,Last name,Number of groups,Receives digests\r\nc@example.com,Carla,Consumer,2,no\r\n"
    );
    let pin = UserRecord {
        placeholder_email: "juergen.weiss@pins.example.com".into(),
        first_name: "Jürgen".into(),
        last_name: "Weiß".into(),
        external_id: "0042".into(),
        pin: "00123456".into(),
        ..UserRecord::default()
    };
    let mut out = Vec::new();
    export_xlsx(
        &mut out,
        "PIN users",
        ColumnSet::PIN_USERS,
        &Headers::new(Lang::De),
        [pin],
    )
    .unwrap();
    let sheet = read_xlsx(&out, &ImportLimits::default()).unwrap();
    assert_eq!(
        sheet.headers,
        [
            "Platzhalter-E-Mail",
            "Vorname",
            "Nachname",
            "Externe ID",
            "PIN"
        ]
    );
    assert_eq!(sheet.rows[0].1[3], "0042");
    assert_eq!(
        sheet.rows[0].1[4], "00123456",
        "leading zeros of PINs survive"
    );
}

/// The borrowed row and the owned record give every column the same text, through both
/// ways of asking.
#[test]
fn a_borrowed_row_writes_what_its_record_writes() {
    let record = UserRecord {
        email: "ann@example.com".into(),
        first_name: "Ann".into(),
        last_name: "=Lee".into(),
        placeholder_email: "ann.lee@pins.example".into(),
        external_id: "0042".into(),
        groups: vec!["News".into(), "Events".into()],
        receives_digests: Some(false),
        permissions: vec!["home.view".into(), "users.edit".into()],
        last_sign_in: "2026-11-22T09:00:00Z".into(),
        ..UserRecord::default()
    };
    let row = UserRow::from(&record);
    for column in Column::ALL {
        let mut a = String::new();
        let mut b = String::new();
        assert_eq!(record.cell(column), row.cell(column), "{column}");
        assert_eq!(
            record.cell_in(column, &mut a),
            row.cell_in(column, &mut b),
            "{column}"
        );
    }
    let (mut by_record, mut by_row) = (Vec::new(), Vec::new());
    let columns = Column::ALL;
    let headers = Headers::default();
    export_csv(
        &mut by_record,
        &columns,
        &headers,
        [&record],
        CsvOptions::default(),
    )
    .unwrap();
    export_csv(
        &mut by_row,
        &columns,
        &headers,
        [row],
        CsvOptions::default(),
    )
    .unwrap();
    assert_eq!(by_record, by_row);
    assert!(
        String::from_utf8(by_row)
            .unwrap()
            .contains("\"News, Events\",2,no")
    );
}
