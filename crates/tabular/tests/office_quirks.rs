//! Files as office programs and attackers really make them: CSV line ends and encodings,
//! dates Excel made of typed text, sheets far over the row cap, and workbooks whose parts
//! declare counts that would make the reader allocate more than the machine has.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::io::{Cursor, Read, Write};

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use tenantry_tabular::*;

fn template() -> ImportTemplate {
    ImportTemplate::workforce(Choices::default(), None)
}

/// The workbook `bytes` with the part `name` replaced by what `edit` makes of it.
fn rewrite_part(bytes: &[u8], name: &str, edit: impl Fn(&str) -> String) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut found = false;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let entry_name = entry.name().unwrap().to_string();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if entry_name == name {
            found = true;
            data = edit(std::str::from_utf8(&data).unwrap()).into_bytes();
        }
        w.start_file(entry_name, opts).unwrap();
        w.write_all(&data).unwrap();
    }
    w.finish().unwrap();
    assert!(found, "no part {name}");
    out.into_inner()
}

/// A workbook of one sheet: a header and `rows` rows of one cell each, text (in the shared
/// strings table) or numbers.
fn one_column_workbook(rows: u32, text: bool) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "Email").unwrap();
    for r in 1..=rows {
        if text {
            sheet
                .write_string(r, 0, format!("user{r}@example.com"))
                .unwrap();
        } else {
            sheet.write_number(r, 0, f64::from(r)).unwrap();
        }
    }
    workbook.save_to_buffer().unwrap()
}

#[test]
fn a_shared_strings_table_declaring_a_huge_count_is_refused_before_it_is_read() {
    // Before: calamine reserved room for `uniqueCount` strings as it opened the workbook,
    // 24 bytes each, and 10^14 of them aborted the whole process.
    let bytes = one_column_workbook(3, true);
    for attribute in ["uniqueCount", "count"] {
        for declared in ["100000000000000", "99999999999999999999999", "2000001"] {
            let hostile = rewrite_part(&bytes, "xl/sharedStrings.xml", |xml| {
                let start = xml.find("<sst").unwrap();
                let end = start + xml[start..].find('>').unwrap();
                // The root element again, with only this one declared count.
                let root = format!(
                    "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" {attribute}=\"{declared}\">"
                );
                format!("{}{root}{}", &xml[..start], &xml[end + 1..])
            });
            assert!(
                matches!(
                    read_xlsx(&hostile, &ImportLimits::default()),
                    Err(TabularError::TooManyCells { max: 2_000_000 })
                ),
                "{attribute}={declared}"
            );
        }
    }
    // A count within the caps reads as before.
    let honest = rewrite_part(&bytes, "xl/sharedStrings.xml", |xml| {
        xml.replacen("<sst ", "<sst uniqueCount=\"2000000\" ", 1)
            .replacen(" uniqueCount=\"4\"", "", 1)
    });
    let sheet = read_xlsx(&honest, &ImportLimits::default()).unwrap();
    assert_eq!(sheet.rows.len(), 3);
}

/// Found by the `xlsx_parts` fuzzer: a shared-strings table whose first tag is broken so
/// that a strict XML reader gives up on its attributes, while calamine's lenient one still
/// reads `uniqueCount="126666666666666666"` and reserved room for that many strings.
#[test]
fn a_count_inside_a_broken_tag_is_refused_as_calamine_would_read_it() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/fuzz-sst-count-in-a-broken-tag.xlsx"
    ))
    .unwrap();
    assert!(matches!(
        read_xlsx(&bytes, &ImportLimits::default()),
        Err(TabularError::TooManyCells { .. })
    ));
}

/// One shared string named by many cells was copied once per cell: 12 MB of text named by
/// 200 cells asked for 2.4 GB (found in review). Refused before the copies are made.
#[test]
fn one_shared_string_named_by_many_cells_is_not_copied_past_the_caps() {
    let long = "x".repeat(40_000);
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "Email").unwrap();
    // Longer than the writer allows: put in afterwards, as a crafted file would have it.
    sheet.write_string(1, 0, "PLACEHOLDER").unwrap();
    let bytes = rewrite_part(
        &workbook.save_to_buffer().unwrap(),
        "xl/sharedStrings.xml",
        |xml| xml.replace("PLACEHOLDER", &long),
    );
    assert!(matches!(
        read_xlsx(&bytes, &ImportLimits::default()),
        Err(TabularError::NotXlsx(reason)) if reason.contains("32,767")
    ));
    // Cells within Excel's length that together are more text than the unpack cap.
    let cell = "y".repeat(30_000);
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "Email").unwrap();
    for r in 1..=400 {
        sheet.write_string(r, 0, &cell).unwrap();
    }
    let bytes = workbook.save_to_buffer().unwrap();
    let limits = ImportLimits {
        max_decompressed: 10 * 1024 * 1024,
        ..ImportLimits::default()
    };
    assert!(matches!(
        read_xlsx(&bytes, &limits),
        Err(TabularError::DecompressedTooLarge { .. })
    ));
    assert_eq!(
        read_xlsx(&bytes, &ImportLimits::default())
            .unwrap()
            .rows
            .len(),
        400
    );
}

#[test]
fn the_row_cap_stops_the_reading_where_it_is_passed() {
    // 2,000 one-cell rows under a cap of 10 rows and 1,000 cells: before, the cells were
    // read up to the cell cap first, and the answer was "too many cells".
    let bytes = one_column_workbook(2_000, false);
    let limits = ImportLimits {
        max_rows: 10,
        max_cells: 1_000,
        ..ImportLimits::default()
    };
    assert!(matches!(
        read_xlsx(&bytes, &limits),
        Err(TabularError::TooManyRows { max: 10 })
    ));
    // Nothing after the row where the cap is passed is read: the same sheet with its end
    // cut off (no longer XML) is refused for its rows, not for its broken tail.
    let cut = rewrite_part(&bytes, "xl/worksheets/sheet1.xml", |xml| {
        let tail = xml.find("<row r=\"1500\"").unwrap();
        format!(
            "{}<row r=\"1500\"><c r=\"A1500\"><v>1</v></c><<<",
            &xml[..tail]
        )
    });
    assert!(matches!(
        read_xlsx(&cut, &limits),
        Err(TabularError::TooManyRows { max: 10 })
    ));
    // And under the default caps the broken file is what it is.
    assert!(matches!(
        read_xlsx(&cut, &ImportLimits::default()),
        Err(TabularError::NotXlsx(_))
    ));
}

#[test]
fn a_date_excel_made_of_a_typed_name_is_rejected_with_its_reason() {
    // Excel turns "1.3.2026" typed as a last name into a date; before, the import read
    // Excel's serial number "46082" as the last name.
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let headers = [
        "First name",
        "Last name",
        "Email",
        "Phone",
        "Job profile",
        "Department",
        "Permission type",
        "Language",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("d.m.yyyy");
    sheet.write_string(1, 0, "Ann").unwrap();
    sheet
        .write_datetime_with_format(1, 1, ExcelDateTime::from_ymd(2026, 3, 1).unwrap(), &date)
        .unwrap();
    sheet.write_string(1, 2, "ann@example.com").unwrap();
    sheet.write_string(2, 0, "Bob").unwrap();
    sheet.write_string(2, 1, "Ray").unwrap();
    sheet.write_string(2, 2, "bob@example.com").unwrap();
    let time = Format::new().set_num_format("hh:mm");
    sheet
        .write_datetime_with_format(2, 3, ExcelDateTime::from_hms(9, 30, 0).unwrap(), &time)
        .unwrap();
    let bytes = workbook.save_to_buffer().unwrap();

    let read = read_xlsx(&bytes, &ImportLimits::default()).unwrap();
    assert_eq!(read.rows[0].1[1], "2026-03-01");
    assert_eq!(read.rows[1].1[3], "1899-12-31 09:30:00");
    assert_eq!(read.date_cells, vec![(2, 1), (3, 3)]);

    let report = template().validate(&read).unwrap();
    assert!(report.records.is_empty(), "{:?}", report.records);
    let problems: Vec<(usize, Option<Column>, &str, &RowProblem)> = report
        .errors
        .iter()
        .map(|e| (e.row, e.column, e.value.as_str(), &e.problem))
        .collect();
    assert_eq!(
        problems,
        [
            (2, Some(Column::LastName), "2026-03-01", &RowProblem::Date),
            (
                3,
                Some(Column::Phone),
                "1899-12-31 09:30:00",
                &RowProblem::Date
            ),
        ]
    );
    assert_eq!(
        report.errors[0].to_string(),
        "row 2, last_name \"2026-03-01\": is a date in the spreadsheet, not text; format the column as text and type the value again"
    );
}

/// The rows and their numbers as read.
fn rows(sheet: &Sheet) -> Vec<(usize, Vec<&str>)> {
    sheet
        .rows
        .iter()
        .map(|(n, cells)| (*n, cells.iter().map(String::as_str).collect()))
        .collect()
}

#[test]
fn csv_rows_are_numbered_as_a_spreadsheet_shows_them_whatever_the_line_ends() {
    let limits = ImportLimits::default();
    for end in ["\n", "\r\n", "\r"] {
        // A quoted cell with a line break stays in its row; a blank line is a row.
        let file = [
            "First name,Last name,Email",
            "Ann,Lee,ann@example.com",
            "\"Bob\nby\",Ray,bob@example.com",
            "",
            "Cy,\"O\"\"Neil\",cy@example.com",
            "Di,Do,di@example.com",
            "",
        ]
        .join(end);
        let sheet = read_csv(file.as_bytes(), &limits).unwrap();
        assert_eq!(
            rows(&sheet),
            [
                (2, vec!["Ann", "Lee", "ann@example.com"]),
                (3, vec!["Bob\nby", "Ray", "bob@example.com"]),
                (5, vec!["Cy", "O\"Neil", "cy@example.com"]),
                (6, vec!["Di", "Do", "di@example.com"]),
            ],
            "line ends {end:?}"
        );
        // The row in an error is the same row.
        let file = [
            "First name,Last name,Job profile,Department,Permission type,Email,Language,Notes",
            "Ann,Lee,Cook,Kitchen,employee,ann@example.com,en,\"two\nlines\"",
            "",
            "Di,,Cook,Kitchen,employee,di@example.com,en,",
        ]
        .join(end);
        let report = template()
            .validate(&read_csv(file.as_bytes(), &limits).unwrap())
            .unwrap();
        assert_eq!(report.records[0].row, 2, "line ends {end:?}");
        assert_eq!(report.errors[0].row, 4, "line ends {end:?}");
    }
    // Blank lines before the header count too.
    let sheet = read_csv(b"\r\n\r\nEmail\r\nann@example.com\r\n", &limits).unwrap();
    assert_eq!(rows(&sheet), [(4, vec!["ann@example.com"])]);
}

#[test]
fn csv_that_mixes_utf8_and_windows_1252_is_refused_naming_the_row() {
    let limits = ImportLimits::default();
    let mut file = "Vorname;Nachname;E-Mail\r\nJürgen;Weiß;jw@example.com\r\n"
        .as_bytes()
        .to_vec();
    // Pasted in from a Windows-1252 file: "Müller" with ü as the byte 0xFC.
    file.extend(b"Hans;M\xFCller;hm@example.com\r\n");
    assert!(matches!(
        read_csv(&file, &limits),
        Err(TabularError::MixedEncoding { row: 3 })
    ));
    // Windows-1252 throughout still reads, as does UTF-8 throughout.
    let cp1252 = b"Vorname;Nachname\r\nJ\xFCrgen;Wei\xDF\r\n";
    assert_eq!(
        rows(&read_csv(cp1252, &limits).unwrap()),
        [(2, vec!["Jürgen", "Weiß"])]
    );
    assert_eq!(
        rows(&read_csv("Vorname;Nachname\r\nJürgen;Weiß\r\n".as_bytes(), &limits).unwrap()),
        [(2, vec!["Jürgen", "Weiß"])]
    );
}

#[test]
fn utf16_text_with_a_byte_order_mark_reads() {
    // Excel's "Unicode text": UTF-16LE with a byte-order mark, tab-separated, CRLF.
    let text = "First name\tLast name\tEmail\r\nZoë\tĐorđević\tzoe@example.com\r\n李\t小龙\tli@example.com\r\n";
    let limits = ImportLimits::default();
    let mut le = vec![0xFF, 0xFE];
    le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let mut be = vec![0xFE, 0xFF];
    be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    for file in [le, be] {
        let sheet = read_csv(&file, &limits).unwrap();
        assert_eq!(sheet.headers, ["First name", "Last name", "Email"]);
        assert_eq!(
            rows(&sheet),
            [
                (2, vec!["Zoë", "Đorđević", "zoe@example.com"]),
                (3, vec!["李", "小龙", "li@example.com"]),
            ]
        );
    }
    // A lone surrogate is no UTF-16 text.
    let broken = [0xFF, 0xFE, b'a', 0, 0x00, 0xD8, b'b', 0];
    assert!(matches!(
        read_csv(&broken, &limits),
        Err(TabularError::NotCsv(_))
    ));
}

#[test]
fn full_width_formula_starts_are_neutralised_and_come_back() {
    let headers = Headers::default();
    let people = [
        UserRecord {
            email: "＝HYPERLINK(\"http://evil.example\")".into(),
            first_name: "＋1".into(),
            last_name: "﹣2".into(),
            ..UserRecord::default()
        },
        UserRecord {
            email: "＠SUM(A1)".into(),
            first_name: "－3".into(),
            last_name: "﹦4".into(),
            ..UserRecord::default()
        },
    ];
    let columns = [Column::Email, Column::FirstName, Column::LastName];
    let mut csv = Vec::new();
    export_csv(&mut csv, &columns, &headers, &people, CsvOptions::default()).unwrap();
    let text = String::from_utf8(csv.clone()).unwrap();
    for line in text.lines().skip(1) {
        for cell in line.split(',') {
            assert!(cell.trim_start_matches('"').starts_with('\''), "{line}");
        }
    }
    let sheet = read_csv(&csv, &ImportLimits::default()).unwrap();
    assert_eq!(
        sheet.rows[0].1,
        ["＝HYPERLINK(\"http://evil.example\")", "＋1", "﹣2"]
    );
    assert_eq!(sheet.rows[1].1, ["＠SUM(A1)", "－3", "﹦4"]);
}
