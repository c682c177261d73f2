//! The XML parts of a workbook as the fuzzer writes them, packed into a valid XLSX (stored,
//! not deflated) and read as an import: the fuzzer mutates the shared-strings table, the
//! styles and the worksheet directly (with `dict/ooxml.dict`), where random bytes would
//! rarely get past the zip layer. The input is the three parts, separated by a NUL byte:
//! `sharedStrings.xml \0 styles.xml \0 sheet1.xml`.
//!
//! Run it with the allocation limits that make an oversized allocation a crash:
//! `cargo fuzz run xlsx_parts seeds/xlsx_parts -- -dict=dict/ooxml.dict -rss_limit_mb=2048 -malloc_limit_mb=512`.
#![no_main]

use std::io::{Cursor, Write};

use libfuzzer_sys::fuzz_target;
use tenantry_tabular::{ImportLimits, read_xlsx};

#[path = "import.rs"]
mod import;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Users" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

fn workbook(strings: &[u8], styles: &[u8], sheet: &[u8]) -> Option<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in [
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/sharedStrings.xml", strings),
        ("xl/styles.xml", styles),
        ("xl/worksheets/sheet1.xml", sheet),
    ] {
        zip.start_file(name, stored).ok()?;
        zip.write_all(data).ok()?;
    }
    zip.finish().ok()?;
    Some(out.into_inner())
}

fuzz_target!(|data: &[u8]| {
    // As in xlsx_import: panics caught inside read_xlsx must unwind.
    static UNWIND: std::sync::Once = std::sync::Once::new();
    UNWIND.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let mut parts = data.splitn(3, |b| *b == 0);
    let (strings, styles, sheet) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let Some(file) = workbook(strings, styles, sheet) else {
        return;
    };
    if let Ok(sheet) = read_xlsx(&file, &ImportLimits::default()) {
        import::validate_and_plan(&sheet);
    }
});
