//! Files as LibreOffice and openpyxl save them, and CSVs in Excel's documented byte formats
//! (`tests/data/office/`, how each was made in its README): each read as a person sees it in
//! the program that made it, with the row numbers the program shows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use serde_json::Value;
use tenantry_tabular::*;

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/office")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_file_of_the_corpus_reads_as_its_program_shows_it() {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("manifest.json")).unwrap())
            .unwrap();
    let files = manifest["files"].as_array().unwrap();
    assert!(files.len() >= 10, "{} files", files.len());
    let template = ImportTemplate::workforce(Choices::default(), None);
    for file in files {
        let name = file["file"].as_str().unwrap();
        let bytes = std::fs::read(dir().join(name)).unwrap();
        let limits = ImportLimits::default();
        let sheet = match file["format"].as_str().unwrap() {
            "xlsx" => read_xlsx(&bytes, &limits),
            _ => read_csv(&bytes, &limits),
        }
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expect = &file["expect"];
        assert_eq!(sheet.headers, strings(&expect["headers"]), "{name}");
        let rows: Vec<(usize, Vec<String>)> = sheet
            .rows
            .iter()
            .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
            .cloned()
            .collect();
        let wanted: Vec<(usize, Vec<String>)> = expect["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r[0].as_u64().unwrap() as usize, strings(&r[1])))
            .collect();
        assert_eq!(rows, wanted, "{name}");
        let dates: Vec<(usize, usize)> = expect
            .get("date_cells")
            .and_then(Value::as_array)
            .map(|d| {
                d.iter()
                    .map(|c| {
                        (
                            c[0].as_u64().unwrap() as usize,
                            c[1].as_u64().unwrap() as usize,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(sheet.date_cells, dates, "{name}");
        // A date where the template wants text rejects its row, naming the cell.
        let report = template.validate(&sheet).unwrap();
        for (row, _) in &dates {
            assert!(
                report
                    .errors
                    .iter()
                    .any(|e| e.row == *row && e.problem == RowProblem::Date),
                "{name}: row {row} not rejected for its date: {:?}",
                report.errors
            );
        }
    }
}
