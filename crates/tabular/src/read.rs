//! Reading uploaded CSV and XLSX files into rows of text, with caps on everything.

use std::io::{Cursor, Read, Seek};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

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
    /// Cells (default 2,000,000).
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

fn cap_rows(sheet: &Sheet, width: usize, limits: &ImportLimits) -> Result<(), TabularError> {
    if sheet.rows.len() > limits.max_rows {
        return Err(TabularError::TooManyRows {
            max: limits.max_rows,
        });
    }
    if sheet.rows.len().saturating_mul(width.max(1)) > limits.max_cells {
        return Err(TabularError::TooManyCells {
            max: limits.max_cells,
        });
    }
    Ok(())
}

/// Reads the first worksheet of an XLSX upload.
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
    let read = || {
        let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
            .map_err(|e: calamine::XlsxError| TabularError::NotXlsx(e.to_string()))?;
        workbook
            .worksheet_range_at(0)
            .ok_or_else(|| TabularError::NotXlsx("it has no worksheet".into()))?
            .map_err(|e| TabularError::NotXlsx(e.to_string()))
    };
    let range = std::panic::catch_unwind(read)
        .map_err(|_| TabularError::NotXlsx("the worksheet's XML could not be read".into()))??;
    let (height, width) = range.get_size();
    if height.saturating_sub(1) > limits.max_rows {
        return Err(TabularError::TooManyRows {
            max: limits.max_rows,
        });
    }
    if height.saturating_mul(width) > limits.max_cells {
        return Err(TabularError::TooManyCells {
            max: limits.max_cells,
        });
    }
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    let mut rows = range.rows().enumerate().map(|(i, cells)| {
        let mut out: Vec<String> = vec![String::new(); first_col];
        out.extend(cells.iter().map(|d| restore(&cell_text(d)).to_owned()));
        (first_row + i + 1, out)
    });
    let (header_row, headers) = loop {
        match rows.next() {
            None => return Err(TabularError::Empty),
            Some((n, r)) if r.iter().any(|c| !c.trim().is_empty()) => break (n, r),
            Some(_) => {}
        }
    };
    let _ = header_row;
    let sheet = Sheet {
        headers,
        rows: rows.collect(),
    };
    cap_rows(&sheet, width, limits)?;
    Ok(sheet)
}

/// The text of a cell as the user typed it; numbers Excel stored as numbers come back
/// without a trailing `.0`.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => {
            if *b {
                "TRUE".into()
            } else {
                "FALSE".into()
            }
        }
        other => other.to_string(),
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
