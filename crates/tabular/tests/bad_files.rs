//! Bad uploads: each a typed error, never a panic, never a half-understood result.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use std::io::{Cursor, Read, Write};

use tenantry_identity::LoginKey;
use tenantry_tabular::*;

fn template() -> ImportTemplate {
    ImportTemplate::workforce(Choices::default(), None)
}

fn zip_with(name: &str, data: &[u8]) -> Vec<u8> {
    let mut buf = Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut buf);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file(name, opts).unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap();
    buf.into_inner()
}

#[test]
fn wrong_formats_are_named() {
    let limits = ImportLimits::default();
    assert!(matches!(
        read_xlsx(b"first,last\n", &limits),
        Err(TabularError::NotXlsx(_))
    ));
    assert!(matches!(
        read_xlsx(b"", &limits),
        Err(TabularError::NotXlsx(_))
    ));
    assert!(matches!(
        read_xlsx(b"PK\x03\x04truncated", &limits),
        Err(TabularError::NotXlsx(_))
    ));
    assert!(matches!(
        read_xlsx(&zip_with("hello.txt", b"hi"), &limits),
        Err(TabularError::NotXlsx(_))
    ));
    // An OLE container: encrypted OOXML (has an EncryptionInfo stream) or an old .xls.
    let mut cfb = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    cfb.extend(vec![0u8; 504]);
    let mut encrypted = cfb.clone();
    encrypted.extend("EncryptionInfo".encode_utf16().flat_map(u16::to_le_bytes));
    assert!(matches!(
        read_xlsx(&encrypted, &limits),
        Err(TabularError::Encrypted)
    ));
    assert!(matches!(
        read_xlsx(&cfb, &limits),
        Err(TabularError::LegacyXls)
    ));
    assert!(matches!(
        read_csv(&cfb, &limits),
        Err(TabularError::NotCsv(_))
    ));
    assert!(matches!(
        read_csv(&zip_with("a", b"b"), &limits),
        Err(TabularError::NotCsv(_))
    ));
    assert!(matches!(
        read_csv(b"a,b\n\0\0\0", &limits),
        Err(TabularError::NotCsv(_))
    ));
    assert!(matches!(read_csv(b"", &limits), Err(TabularError::Empty)));
    assert!(matches!(
        read_csv(b"\n\n,,\n", &limits),
        Err(TabularError::Empty)
    ));
    assert!(matches!(
        read_csv(b"a,\"unterminated\nb", &limits),
        Ok(_) | Err(TabularError::NotCsv(_))
    ));
}

#[test]
fn caps_on_size_rows_cells_and_zip_bombs() {
    let small = ImportLimits {
        max_bytes: 10,
        ..ImportLimits::default()
    };
    assert!(matches!(
        read_csv(b"first,last\nAnn,Lee\n", &small),
        Err(TabularError::TooLarge { max: 10 })
    ));
    assert!(matches!(
        read_xlsx(&[b'P'; 11], &small),
        Err(TabularError::TooLarge { max: 10 })
    ));
    let rows = ImportLimits {
        max_rows: 2,
        ..ImportLimits::default()
    };
    assert!(matches!(
        read_csv(b"a\n1\n2\n3\n", &rows),
        Err(TabularError::TooManyRows { max: 2 })
    ));
    let cells = ImportLimits {
        max_cells: 5,
        ..ImportLimits::default()
    };
    assert!(matches!(
        read_csv(b"a,b,c\n1,2,3\n4,5,6\n", &cells),
        Err(TabularError::TooManyCells { max: 5 })
    ));
    // A zip member that inflates a thousandfold and past the cap is refused unread.
    let bomb = zip_with("xl/worksheets/sheet1.xml", &vec![b'A'; 8 * 1024 * 1024]);
    assert!(bomb.len() < 100 * 1024);
    let caps = ImportLimits {
        max_decompressed: 4 * 1024 * 1024,
        ..ImportLimits::default()
    };
    assert!(matches!(
        read_xlsx(&bomb, &caps),
        Err(TabularError::DecompressedTooLarge { .. })
    ));
    assert!(matches!(
        read_xlsx(&bomb, &ImportLimits::default()),
        Err(TabularError::DecompressedTooLarge { .. })
    ));
    // XLSX rows are capped too.
    let mut out = Vec::new();
    let many = (0..5).map(|i| UserRecord {
        email: format!("u{i}@example.com"),
        ..UserRecord::default()
    });
    export_xlsx(
        &mut out,
        "Users",
        ColumnSet::USERS,
        &Headers::default(),
        many,
    )
    .unwrap();
    assert!(matches!(
        read_xlsx(&out, &rows),
        Err(TabularError::TooManyRows { max: 2 })
    ));
}

#[test]
fn missing_and_duplicate_columns() {
    let limits = ImportLimits::default();
    let sheet = read_csv(b"First name,Last name\nAnn,Lee\n", &limits).unwrap();
    match template().validate(&sheet) {
        Err(TabularError::MissingColumns(cols)) => {
            assert_eq!(
                cols,
                vec![
                    Column::JobProfile,
                    Column::Department,
                    Column::PermissionType,
                    Column::Language,
                    Column::Email
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    let sheet = read_csv("first_name,Vorname,last_name\n".as_bytes(), &limits).unwrap();
    assert!(matches!(
        template().validate(&sheet),
        Err(TabularError::DuplicateColumn(Column::FirstName))
    ));
}

const HEAD: &str = "First name,Last name,Job profile,Department,Permission type,Email,Username,Phone,Language,One-time password,Shoe size\n";

#[test]
fn rows_are_validated_one_by_one_with_reasons() {
    let t = ImportTemplate::workforce(
        Choices {
            departments: vec!["Sales".into()],
            languages: vec!["de".into()],
            ..Choices::default()
        },
        None,
    );
    let body = "\
Ann,Lee,Cook,Sales,employee,ann@example.com,,,de,secret-otp-1,42
,Lee,Cook,Sales,employee,x@example.com,,,de,,
Bob,Ray,Cook,Marketing,employee,not-an-email,,,fr,,
Cat,Ng,Cook,Sales,employee,,catng,,de,,
,,,,,,,,,,
Dan,Ox,Cook,Sales,employee,ANN@example.com,,,de,,
Eve,Ma,Cook,Sales,employee,,eve.m,+49 170 1234567,de,too-long-otp-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx,
";
    let sheet = read_csv(format!("{HEAD}{body}").as_bytes(), &ImportLimits::default()).unwrap();
    let report = t.validate(&sheet).unwrap();
    assert_eq!(report.ignored_columns, vec!["Shoe size".to_owned()]);
    assert_eq!(report.records.len(), 1, "{:?}", report.errors);
    assert_eq!(report.records[0].row, 2);
    assert_eq!(
        format!("{:?}", report.records[0].one_time_password),
        "Some(SheetSecret([redacted]))"
    );
    let by_row = |r: usize| {
        report
            .errors
            .iter()
            .filter(|e| e.row == r)
            .collect::<Vec<_>>()
    };
    assert_eq!(by_row(3)[0].problem, RowProblem::Required);
    assert_eq!(by_row(3)[0].column, Some(Column::FirstName));
    let bob: Vec<_> = by_row(4)
        .iter()
        .map(|e| (e.column, e.problem.clone()))
        .collect();
    assert!(bob.contains(&(Some(Column::Department), RowProblem::NotAChoice)));
    assert!(
        bob.iter()
            .any(|(c, p)| *c == Some(Column::Email) && matches!(p, RowProblem::Invalid(_)))
    );
    assert!(bob.contains(&(Some(Column::Language), RowProblem::NotAChoice)));
    assert_eq!(
        by_row(5)[0].problem,
        RowProblem::NeedsEmailOrUsernameAndPhone
    );
    assert!(by_row(6).is_empty(), "blank rows are skipped");
    assert_eq!(
        by_row(7)[0].problem,
        RowProblem::DuplicateInFile { first_row: 2 }
    );
    let eve = by_row(8);
    assert_eq!(
        (eve[0].column, &eve[0].problem),
        (Some(Column::OneTimePassword), &RowProblem::TooLong)
    );
    assert_eq!(eve[0].value, "[redacted]", "secrets are never echoed");
    assert!(!format!("{report:?}").contains("secret-otp-1"));
}

/// A row rejected as a repeat registers none of its identifiers: its new email stays free
/// for a later row.
#[test]
fn a_repeated_row_leaves_its_other_identifiers_free() {
    let body = "\
Ann,Lee,Cook,Sales,employee,ann@example.com,ann.lee,+49 170 1111111,de,,
Bob,Ray,Cook,Sales,employee,bob@example.com,Ann.Lee,+49 170 2222222,de,,
Cat,Ng,Cook,Sales,employee,BOB@example.com,,,de,,
";
    let sheet = read_csv(format!("{HEAD}{body}").as_bytes(), &ImportLimits::default()).unwrap();
    let report = template().validate(&sheet).unwrap();
    let rows: Vec<usize> = report.records.iter().map(|r| r.row).collect();
    assert_eq!(rows, vec![2, 4], "{:?}", report.errors);
    assert_eq!(report.errors.len(), 1);
    let bob = &report.errors[0];
    assert_eq!(
        (bob.row, bob.column, &bob.problem, bob.value.as_str()),
        (
            3,
            Some(Column::Username),
            &RowProblem::DuplicateInFile { first_row: 2 },
            "ann.lee"
        )
    );
}

/// Choices match trimmed and without regard to case, in any script; the template's own
/// spelling is kept.
#[test]
fn choices_match_without_case_in_any_script() {
    let t = ImportTemplate::workforce(
        Choices {
            departments: vec![" Küche ".into(), "Sales".into()],
            job_profiles: vec!["ΣΕΦ".into()],
            ..Choices::default()
        },
        None,
    );
    let body = "\
Ann,Lee,σεφ,KÜCHE,employee,ann@example.com,,,de,,
Bob,Ray,ΣΕΦ,sales,employee,bob@example.com,,,de,,
Cat,Ng,chef,küche ,employee,cat@example.com,,,de,,
";
    let sheet = read_csv(format!("{HEAD}{body}").as_bytes(), &ImportLimits::default()).unwrap();
    let report = t.validate(&sheet).unwrap();
    let chosen: Vec<_> = report
        .records
        .iter()
        .map(|r| (r.row, r.job_profile.as_deref(), r.department.as_deref()))
        .collect();
    assert_eq!(
        chosen,
        vec![
            (2, Some("ΣΕΦ"), Some(" Küche ")),
            (3, Some("ΣΕΦ"), Some("Sales"))
        ]
    );
    assert_eq!(report.errors.len(), 1);
    assert_eq!(
        (
            report.errors[0].row,
            report.errors[0].column,
            &report.errors[0].problem
        ),
        (4, Some(Column::JobProfile), &RowProblem::NotAChoice)
    );
}

#[test]
fn plans_are_insert_only() {
    let sheet = read_csv(
        format!("{HEAD}Ann,Lee,Cook,Sales,employee,ann@example.com,,,de,,\nBob,Ray,Cook,Sales,employee,,bob.r,+4917012345678,de,,\nbad,row,,,,,,,,,\n").as_bytes(),
        &ImportLimits::default(),
    )
    .unwrap();
    let report = template().validate(&sheet).unwrap();
    let plan = plan(report, |k| *k == LoginKey::Email("ann@example.com".into()));
    assert_eq!(plan.create.len(), 1);
    assert_eq!(plan.create[0].username.as_ref().unwrap().as_str(), "bob.r");
    assert_eq!(
        plan.skipped,
        vec![Skipped {
            row: 2,
            existing: LoginKey::Email("ann@example.com".into())
        }]
    );
    assert_eq!(
        plan.rejected
            .iter()
            .map(|e| e.row)
            .collect::<std::collections::BTreeSet<_>>(),
        [4].into()
    );
}

#[test]
fn windows_1252_csv_from_excel_is_read() {
    // "Jürgen;Weiß" in Windows-1252, semicolon-separated, as German Excel saves it.
    let mut bytes = b"Vorname;Nachname\n".to_vec();
    bytes.extend([
        b'J', 0xFC, b'r', b'g', b'e', b'n', b';', b'W', b'e', b'i', 0xDF, b'\n',
    ]);
    let sheet = read_csv(&bytes, &ImportLimits::default()).unwrap();
    assert_eq!(
        sheet.rows[0].1,
        vec!["Jürgen".to_owned(), "Weiß".to_owned()]
    );
}

#[test]
fn the_xlsx_template_has_drop_downs_and_a_hidden_list_sheet() {
    let t = ImportTemplate::workforce(
        Choices {
            departments: vec!["Sales".into(), "Kitchen".into()],
            job_profiles: vec!["Cook".into()],
            permission_types: vec!["employee".into()],
            languages: vec!["de".into(), "en".into()],
        },
        None,
    );
    let mut out = Vec::new();
    t.write_xlsx(&mut out, &Headers::new(Lang::En)).unwrap();
    let sheet = read_xlsx(&out, &ImportLimits::default()).unwrap();
    assert_eq!(sheet.headers.len(), ColumnSet::IMPORT_TEMPLATE.len());
    assert_eq!(sheet.headers[0], "First name");
    assert!(sheet.rows.is_empty());
    let mut archive = zip::ZipArchive::new(Cursor::new(&out)).unwrap();
    let mut xml = String::new();
    archive
        .by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert_eq!(xml.matches("<dataValidation ").count(), 4, "{xml}");
    assert!(xml.contains("Lists!$A$2:$A$3"));
    let mut wb_xml = String::new();
    archive
        .by_name("xl/workbook.xml")
        .unwrap()
        .read_to_string(&mut wb_xml)
        .unwrap();
    assert!(wb_xml.contains("name=\"Lists\"") && wb_xml.contains("hidden"));
    let mut csv = Vec::new();
    t.write_csv(&mut csv, &Headers::new(Lang::De), CsvOptions::default())
        .unwrap();
    assert!(
        String::from_utf8(csv)
            .unwrap()
            .starts_with("Vorname,Nachname,Jobprofil")
    );
}

/// Found by `cargo fuzz run xlsx_import`: a cell reference whose row number overflows made
/// calamine panic (in builds with overflow checks, as tests are). Now a typed error.
#[test]
fn fuzz_regression_cell_reference_overflow_is_an_error() {
    let bytes = include_bytes!("data/fuzz-cell-reference-overflow.xlsx");
    let outcome = read_xlsx(bytes, &ImportLimits::default());
    assert!(
        matches!(outcome, Err(TabularError::NotXlsx(_))),
        "{outcome:?}"
    );
}

/// A workbook of a few cells (shared strings, as Excel writes them) at the given places.
fn workbook_with(cells: &[(u32, u16, &str)]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (row, col, text) in cells {
        sheet.write_string(*row, *col, *text).unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

/// Two cells far apart span a range of billions: the caps answer before any of it is laid
/// out (calamine's own range reader would allocate the whole range, and abort the process).
#[test]
fn cells_far_apart_are_refused_before_they_are_laid_out() {
    let limits = ImportLimits::default();
    let corners = workbook_with(&[(0, 0, "Email"), (1_048_575, 16_383, "x")]);
    assert!(corners.len() < 10 * 1024);
    assert!(matches!(
        read_xlsx(&corners, &limits),
        Err(TabularError::TooManyRows { max: 100_000 })
    ));
    let wide = workbook_with(&[(0, 0, "Email"), (99_999, 16_383, "x")]);
    assert!(matches!(
        read_xlsx(&wide, &limits),
        Err(TabularError::TooManyCells { max: 2_000_000 })
    ));
    // Empty columns left of the range are laid out, so they count against the cap.
    let right = workbook_with(&[(0, 16_383, "Email"), (199, 16_383, "x")]);
    let small = ImportLimits {
        max_cells: 200 * 16_384 - 1,
        ..limits
    };
    assert!(matches!(
        read_xlsx(&right, &small),
        Err(TabularError::TooManyCells { max }) if max == small.max_cells
    ));
    let sheet = read_xlsx(
        &right,
        &ImportLimits {
            max_cells: 200 * 16_384,
            ..limits
        },
    )
    .unwrap();
    assert_eq!(sheet.headers.len(), 16_384);
    assert_eq!(sheet.headers[16_383], "Email");
    assert_eq!(sheet.rows.len(), 199);
    assert_eq!(sheet.rows[198].0, 200);
    assert_eq!(sheet.rows[198].1[16_383], "x");
}

/// A sheet that starts at C3 below a blank row, with numbers, booleans, a neutralised cell
/// and a gap: positions and row numbers are the sheet's.
#[test]
fn an_offset_sheet_keeps_its_columns_and_row_numbers() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(2, 2, "Email").unwrap();
    sheet.write_string(2, 3, "Phone").unwrap();
    sheet.write_string(3, 2, "ann@example.com").unwrap();
    sheet.write_number(3, 3, 1701234567.0).unwrap();
    sheet.write_string(5, 2, "'=1+1").unwrap();
    sheet.write_number(5, 3, 2.5).unwrap();
    sheet.write_boolean(6, 3, true).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let sheet = read_xlsx(&bytes, &ImportLimits::default()).unwrap();
    let row = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    assert_eq!(
        sheet,
        Sheet {
            headers: row(&["", "", "Email", "Phone"]),
            rows: vec![
                (4, row(&["", "", "ann@example.com", "1701234567"])),
                (5, row(&["", "", "", ""])),
                (6, row(&["", "", "=1+1", "2.5"])),
                (7, row(&["", "", "", "TRUE"])),
            ],
            date_cells: vec![],
        }
    );
}
