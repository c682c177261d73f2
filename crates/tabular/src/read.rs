//! Reading uploaded CSV and XLSX files into rows of text, with caps on everything.

use std::io::{Cursor, Read, Seek};

use calamine::{Data, DataRef, Reader, Xlsx, XlsxError, open_workbook_from_rs};

use crate::error::TabularError;
use crate::escape::restore;
use crate::export::EXCEL_MAX_CELL;

/// Caps on an upload. The defaults fit a spreadsheet of 100,000 users comfortably.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportLimits {
    /// Bytes of the file as uploaded (default 20 MiB).
    pub max_bytes: u64,
    /// Bytes an XLSX may unpack to (default 200 MiB).
    pub max_decompressed: u64,
    /// Largest ratio of unpacked to packed size of one archive member (default 200).
    pub max_ratio: u64,
    /// Data rows (default 100,000).
    pub max_rows: usize,
    /// Cells (default 2,000,000): a CSV's fields; an XLSX's rows from the first used to the
    /// last, times its columns from `A` to the last used.
    pub max_cells: usize,
}

impl Default for ImportLimits {
    fn default() -> Self {
        Self {
            max_bytes: 20 * 1024 * 1024,
            max_decompressed: 200 * 1024 * 1024,
            max_ratio: 200,
            max_rows: 100_000,
            max_cells: 2_000_000,
        }
    }
}

/// A file as rows of text: the header row and the data rows, with neutralised cells
/// restored (see [`crate::restore`]) and spreadsheet row numbers kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sheet {
    /// The header row.
    pub headers: Vec<String>,
    /// Data rows with their 1-based row numbers in the file (the header is row 1).
    pub rows: Vec<(usize, Vec<String>)>,
}

/// What kind of file an upload is, by its first bytes.
fn sniff(bytes: &[u8]) -> Result<(), TabularError> {
    const CFB: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(&CFB) {
        // An OLE container is either an encrypted OOXML file or an old .xls workbook.
        let marker: Vec<u8> = "EncryptionInfo"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        return Err(
            if bytes.windows(marker.len()).any(|w| w == marker.as_slice()) {
                TabularError::Encrypted
            } else {
                TabularError::LegacyXls
            },
        );
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(TabularError::NotXlsx("it is not a zip archive".into()));
    }
    Ok(())
}

/// Refuses zip bombs from the archive's directory, before anything is inflated.
fn check_archive<R: Read + Seek>(reader: R, limits: &ImportLimits) -> Result<(), TabularError> {
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|e| TabularError::NotXlsx(e.to_string()))?;
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| TabularError::NotXlsx(e.to_string()))?;
        if entry.encrypted() {
            return Err(TabularError::Encrypted);
        }
        let (packed, unpacked) = (entry.compressed_size().max(1), entry.size());
        total = total.saturating_add(unpacked);
        if total > limits.max_decompressed
            || unpacked / packed > limits.max_ratio && unpacked > 1024 * 1024
        {
            return Err(TabularError::DecompressedTooLarge {
                max: limits.max_decompressed,
            });
        }
    }
    Ok(())
}

/// Reads the first worksheet of an XLSX upload.
///
/// Cells are streamed from the worksheet's XML and each becomes one `String`; the caps of
/// `limits` are checked before the rows are laid out, so a sheet whose few cells lie far
/// apart (`A1` and `XFD1048576`) is refused rather than filled in.
pub fn read_xlsx(bytes: &[u8], limits: &ImportLimits) -> Result<Sheet, TabularError> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(TabularError::TooLarge {
            max: limits.max_bytes,
        });
    }
    sniff(bytes)?;
    check_archive(Cursor::new(bytes), limits)?;
    // calamine panics on some hostile input (an arithmetic overflow on a cell reference such
    // as `A99999999999`, found by fuzzing, in builds with overflow checks): a panic there
    // becomes an error, never the caller's crash. (Hosts built with `panic = "abort"` lose
    // this net.)
    let cells = std::panic::catch_unwind(|| read_cells(bytes, limits))
        .map_err(|_| TabularError::NotXlsx("the worksheet's XML could not be read".into()))??;
    lay_out(cells, limits)
}

/// A non-empty cell of a worksheet: its 0-based row and column, and its text.
type SparseCell = (u32, u32, String);

/// The non-empty cells of the first worksheet, in the order the XML holds them; at most
/// `limits.max_cells` of them.
fn read_cells(bytes: &[u8], limits: &ImportLimits) -> Result<Vec<SparseCell>, TabularError> {
    let not_xlsx = |e: XlsxError| TabularError::NotXlsx(e.to_string());
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(not_xlsx)?;
    let name = workbook
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| TabularError::NotXlsx("it has no worksheet".into()))?;
    let mut reader = match workbook.worksheet_cells_reader(&name) {
        Ok(reader) => reader,
        // A chart sheet first: no cells, as calamine's own range reader answers.
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Vec::new()),
        Err(e) => return Err(not_xlsx(e)),
    };
    let mut cells = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(not_xlsx)? {
        if *cell.get_value() == DataRef::Empty {
            continue;
        }
        // Every non-empty cell lies inside the sheet's range, so more of them than the cap
        // means the range is over it too.
        if cells.len() >= limits.max_cells {
            return Err(TabularError::TooManyCells {
                max: limits.max_cells,
            });
        }
        let (row, col) = cell.get_position();
        cells.push((row, col, cell_text(cell.get_value())));
    }
    Ok(cells)
}

/// Lays sparse cells out as rows: from the first row that holds a cell to the last (as
/// calamine's `Range` does), each from column A to the last column that holds one, so that
/// column positions are the sheet's; the header is the first row with a non-blank cell.
fn lay_out(cells: Vec<SparseCell>, limits: &ImportLimits) -> Result<Sheet, TabularError> {
    // (first row, last row, last column)
    let Some((first_row, last_row, last_col)) = cells
        .iter()
        .map(|&(r, c, _)| (r, r, c))
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1), a.2.max(b.2)))
    else {
        return Err(TabularError::Empty);
    };
    let height = (last_row - first_row) as usize + 1;
    if height - 1 > limits.max_rows {
        return Err(TabularError::TooManyRows {
            max: limits.max_rows,
        });
    }
    // Rows are laid out from column A, so empty columns left of the range count too.
    let width = last_col as usize + 1;
    if height.saturating_mul(width) > limits.max_cells {
        return Err(TabularError::TooManyCells {
            max: limits.max_cells,
        });
    }
    let mut grid: Vec<Vec<String>> = vec![vec![String::new(); width]; height];
    for (r, c, text) in cells {
        if let Some(cell) = grid
            .get_mut((r - first_row) as usize)
            .and_then(|row| row.get_mut(c as usize))
        {
            *cell = text;
        }
    }
    let mut rows = grid
        .into_iter()
        .enumerate()
        .map(|(i, cells)| (first_row as usize + i + 1, cells));
    let headers = loop {
        match rows.next() {
            None => return Err(TabularError::Empty),
            Some((_, r)) if r.iter().any(|c| !c.trim().is_empty()) => break r,
            Some(_) => {}
        }
    };
    Ok(Sheet {
        headers,
        rows: rows.collect(),
    })
}

/// The text of a cell as the user typed it, a neutralised cell restored (see
/// [`crate::restore`]); numbers Excel stored as numbers come back without a trailing `.0`.
fn cell_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::Empty => String::new(),
        DataRef::String(s) => restore(s).to_owned(),
        DataRef::SharedString(s) => restore(s).to_owned(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Bool(b) => {
            if *b {
                "TRUE".into()
            } else {
                "FALSE".into()
            }
        }
        other => {
            let text = Data::from(other.clone()).to_string();
            restore(&text).to_owned()
        }
    }
}

/// Reads a CSV upload: UTF-8 (with or without a byte-order mark) or, failing that,
/// Windows-1252 (Excel's "CSV" on Windows); separated by `,`, `;` or tab, whichever the
/// header row uses most.
pub fn read_csv(bytes: &[u8], limits: &ImportLimits) -> Result<Sheet, TabularError> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(TabularError::TooLarge {
            max: limits.max_bytes,
        });
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(TabularError::NotCsv(
            "it is a spreadsheet workbook, not text".into(),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text: std::borrow::Cow<'_, str> = match std::str::from_utf8(bytes) {
        Ok(t) => t.into(),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
    };
    if text.contains('\0') {
        return Err(TabularError::NotCsv(
            "it contains NUL bytes; is it a binary file?".into(),
        ));
    }
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    // The separator the header row uses most; a comma on a tie.
    let mut delimiter = b',';
    let mut best = first_line.bytes().filter(|b| *b == b',').count();
    for candidate in [b';', b'\t'] {
        let n = first_line.bytes().filter(|b| *b == candidate).count();
        if n > best {
            (delimiter, best) = (candidate, n);
        }
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut headers = None;
    let mut rows = Vec::new();
    let mut cells = 0usize;
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| TabularError::NotCsv(e.to_string()))?;
        let line = record.position().map_or(i + 1, |p| p.line() as usize);
        let fields: Vec<String> = record.iter().map(|f| restore(f).to_owned()).collect();
        if fields
            .iter()
            .any(|f| f.encode_utf16().count() > EXCEL_MAX_CELL)
        {
            return Err(TabularError::NotCsv(format!(
                "a cell on line {line} is longer than 32,767 characters"
            )));
        }
        if headers.is_none() {
            if fields.iter().any(|f| !f.trim().is_empty()) {
                headers = Some(fields);
            }
            continue;
        }
        cells += fields.len();
        if rows.len() >= limits.max_rows {
            return Err(TabularError::TooManyRows {
                max: limits.max_rows,
            });
        }
        if cells > limits.max_cells {
            return Err(TabularError::TooManyCells {
                max: limits.max_cells,
            });
        }
        rows.push((line, fields));
    }
    Ok(Sheet {
        headers: headers.ok_or(TabularError::Empty)?,
        rows,
    })
}
