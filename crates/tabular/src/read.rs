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
    /// Bytes an XLSX may unpack to (default 200 MiB); also the most text all the cells of a
    /// sheet may hold together (a shared string counts once per cell that names it).
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
    /// The cells an XLSX holds as dates or times, as (row number, 0-based column): their
    /// text is the date as `YYYY-MM-DD` (with ` HH:MM:SS` when it has a time) or the
    /// duration as `H:MM:SS`, not Excel's serial number. A date typed into a column meant
    /// for text (a last name "1.3.2026" that Excel turned into a date) is no longer what
    /// the user typed, so [`crate::ImportTemplate::validate`] rejects such a row.
    pub date_cells: Vec<(usize, usize)>,
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

/// Refuses a workbook whose parts declare more items than the caps allow, before calamine
/// reads them: calamine reserves room for the shared-strings table's `uniqueCount` as it
/// opens a workbook, and an allocation that large aborts the process (no `catch_unwind`
/// catches it).
///
/// The numbers a workbook declares that calamine 0.38 sizes an allocation by, on the path
/// [`read_xlsx`] takes, are the shared-strings table's `uniqueCount`; the sheet's
/// `dimension` is only kept, and shared formulas (which size a table by their `si` index)
/// are not read. A new calamine version must be checked again for this list. The table is
/// found and its attributes read as calamine does (the same reader settings, the first
/// `sst` element, attributes split as leniently), so that a malformed tag calamine still
/// reads a count from is checked too (the fuzzer found one the strict reading missed).
fn check_declared_counts<R: Read + Seek>(
    reader: R,
    limits: &ImportLimits,
) -> Result<(), TabularError> {
    use quick_xml::events::Event;
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|e| TabularError::NotXlsx(e.to_string()))?;
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .map_err(|e| TabularError::NotXlsx(e.to_string()))?;
        // calamine opens `<workbook folder>/sharedStrings.xml`, the folder being whatever
        // the package relationships name: every part of that name is checked.
        let is_table = entry.name().is_ok_and(|n| {
            n.replace('\\', "/")
                .to_ascii_lowercase()
                .ends_with("sharedstrings.xml")
        });
        if entry.is_dir() || !is_table {
            continue;
        }
        let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(
            entry.take(limits.max_decompressed),
        ));
        let config = xml.config_mut();
        config.check_end_names = false;
        config.trim_text(false);
        config.check_comments = false;
        config.expand_empty_elements = true;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match xml.read_event_into(&mut buf) {
                Ok(Event::Start(e)) if e.local_name().as_ref() == "sst" => {
                    let raw = e.attributes_raw();
                    for (key, value) in LenientAttributes::new(raw) {
                        if matches!(key, "count" | "uniqueCount")
                            && !declared_count_fits(value.as_bytes(), limits.max_cells)
                        {
                            return Err(TabularError::TooManyCells {
                                max: limits.max_cells,
                            });
                        }
                    }
                    break;
                }
                // calamine stops at the same places, with an error or without a table.
                Ok(Event::Eof) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
    Ok(())
}

/// A start tag's attributes split as calamine splits them (`key = "value"` or `'value'`,
/// up to the first thing that is not), whatever a strict XML reader would say of them.
struct LenientAttributes<'a> {
    raw: &'a str,
    pos: usize,
}

impl<'a> LenientAttributes<'a> {
    fn new(raw: &'a str) -> Self {
        Self { raw, pos: 0 }
    }
}

impl<'a> Iterator for LenientAttributes<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.raw.as_bytes();
        let mut pos = self.pos;
        while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
            pos += 1;
        }
        let key_start = pos;
        while bytes.get(pos).is_some_and(|b| *b != b'=') {
            pos += 1;
        }
        if pos >= bytes.len() {
            self.pos = bytes.len();
            return None;
        }
        let key = self.raw.get(key_start..pos)?.trim_ascii_end();
        pos += 1;
        while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
            pos += 1;
        }
        let quote = *bytes.get(pos).filter(|q| matches!(q, b'"' | b'\''))?;
        pos += 1;
        let value_start = pos;
        while bytes.get(pos).is_some_and(|b| *b != quote) {
            pos += 1;
        }
        let value = self.raw.get(value_start..pos)?;
        self.pos = (pos + 1).min(bytes.len());
        Some((key, value))
    }
}

/// Whether a declared count (decimal digits, perhaps with spaces or a sign around them) is
/// at most `max`. Text that is no number is calamine's to ignore, as it does.
fn declared_count_fits(value: &[u8], max: usize) -> bool {
    let digits = value
        .iter()
        .skip_while(|b| b.is_ascii_whitespace() || **b == b'+' || **b == b'0')
        .take_while(|b| b.is_ascii_digit());
    let mut n = 0u64;
    for d in digits {
        n = n.saturating_mul(10).saturating_add(u64::from(d - b'0'));
    }
    n <= max as u64
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
    check_declared_counts(Cursor::new(bytes), limits)?;
    // calamine panics on some hostile input (an arithmetic overflow on a cell reference such
    // as `A99999999999`, found by fuzzing, in builds with overflow checks): a panic there
    // becomes an error, never the caller's crash. (Hosts built with `panic = "abort"` lose
    // this net.)
    let cells = std::panic::catch_unwind(|| read_cells(bytes, limits))
        .map_err(|_| TabularError::NotXlsx("the worksheet's XML could not be read".into()))??;
    lay_out(cells, limits)
}

/// A non-empty cell of a worksheet: its 0-based row and column, its text, and whether the
/// workbook holds it as a date or time.
type SparseCell = (u32, u32, String, bool);

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
    let mut first_row = u32::MAX;
    let mut text_bytes = 0u64;
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
        // The rows from the first to this one are already more than the cap allows (the
        // header and max_rows data rows): stop here rather than read the rest of the sheet.
        first_row = first_row.min(row);
        if (row - first_row) as usize > limits.max_rows {
            return Err(TabularError::TooManyRows {
                max: limits.max_rows,
            });
        }
        let value = cell.get_value();
        // A shared string is one text any number of cells can name: each cell would be a
        // copy of it. A cell longer than Excel holds is refused, and so is a sheet whose
        // cells together are more text than the archive may unpack to, before the copy.
        let text = match value {
            DataRef::String(text) => Some(text.as_str()),
            DataRef::SharedString(text) => Some(*text),
            _ => None,
        };
        if let Some(text) = text {
            if text.len() > EXCEL_MAX_CELL && text.encode_utf16().count() > EXCEL_MAX_CELL {
                return Err(TabularError::NotXlsx(format!(
                    "a cell on row {} is longer than 32,767 characters",
                    row as u64 + 1
                )));
            }
            text_bytes = text_bytes.saturating_add(text.len() as u64);
            if text_bytes > limits.max_decompressed {
                return Err(TabularError::DecompressedTooLarge {
                    max: limits.max_decompressed,
                });
            }
        }
        let is_date = matches!(
            value,
            DataRef::DateTime(_) | DataRef::DateTimeIso(_) | DataRef::DurationIso(_)
        );
        cells.push((row, col, cell_text(value), is_date));
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
        .map(|&(r, c, _, _)| (r, r, c))
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
    let mut date_cells = Vec::new();
    for (r, c, text, is_date) in cells {
        if is_date {
            date_cells.push((r as usize + 1, c as usize));
        }
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
        date_cells,
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
        DataRef::DateTime(d) if d.is_duration() => {
            // Hours, minutes and seconds, as Excel's `[h]:mm:ss` shows a duration.
            let seconds = (d.as_f64() * 86_400.0).round();
            if seconds.is_finite() && seconds.abs() < 1e15 {
                let s = seconds as i64;
                let sign = if s < 0 { "-" } else { "" };
                let s = s.unsigned_abs();
                format!("{sign}{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
            } else {
                d.as_f64().to_string()
            }
        }
        DataRef::DateTime(d) => {
            let (y, mo, day, h, mi, sec, _) = d.to_ymd_hms_milli();
            if (h, mi, sec) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{day:02}")
            } else {
                format!("{y:04}-{mo:02}-{day:02} {h:02}:{mi:02}:{sec:02}")
            }
        }
        other => {
            let text = Data::from(other.clone()).to_string();
            restore(&text).to_owned()
        }
    }
}

/// Reads a CSV upload: UTF-8 (with or without a byte-order mark), UTF-16 with a
/// byte-order mark (Excel's "Unicode text"), or Windows-1252 (Excel's "CSV" on Windows);
/// separated by `,`, `;` or tab, whichever the header row uses most.
///
/// A file that is UTF-8 in some rows and not in others (pasted together from two
/// programs) is refused with [`TabularError::MixedEncoding`] naming the first row that is
/// not, rather than read as Windows-1252 and returned as mojibake. Row numbers are the rows
/// a spreadsheet program shows: the header is row 1, a blank line is a row, and a cell with
/// a line break in quotes stays in its row; LF, CRLF and CR line ends count alike.
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
    let text = decode(bytes)?;
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
    let mut counter = RowCounter::new(text.as_bytes(), delimiter);
    for record in reader.records() {
        let record = record.map_err(|e| TabularError::NotCsv(e.to_string()))?;
        let line = counter.record_row(record.position().map_or(0, |p| p.byte() as usize));
        let fields: Vec<String> = record.iter().map(|f| restore(f).to_owned()).collect();
        if fields
            .iter()
            .any(|f| f.encode_utf16().count() > EXCEL_MAX_CELL)
        {
            return Err(TabularError::NotCsv(format!(
                "a cell on row {line} is longer than 32,767 characters"
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
        date_cells: Vec::new(),
    })
}

/// The text of a CSV upload; see [`read_csv`] for the encodings it reads.
fn decode(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, TabularError> {
    for (bom, encoding) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return encoding
                .decode_without_bom_handling_and_without_replacement(rest)
                .ok_or_else(|| {
                    TabularError::NotCsv(format!(
                        "it starts as {} text but is not valid {0}",
                        encoding.name()
                    ))
                });
        }
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let error = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(text.into()),
        Err(error) => error,
    };
    // Not UTF-8. If some of its non-ASCII text is UTF-8 all the same, the file mixes two
    // encodings and no single one reads it: refuse, naming the first row that is not UTF-8.
    let has_utf8 = bytes.utf8_chunks().any(|chunk| !chunk.valid().is_ascii());
    if has_utf8 {
        let at = error.valid_up_to();
        return Err(TabularError::MixedEncoding {
            row: RowCounter::new(bytes, b',').row_at(at),
        });
    }
    Ok(encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0)
}

/// Counts the rows a spreadsheet program shows up to a byte offset: line ends (LF, CRLF or
/// a lone CR) outside quoted fields, from the start of the text. Offsets must not go back.
struct RowCounter<'a> {
    text: &'a [u8],
    delimiter: u8,
    at: usize,
    row: usize,
    /// Inside a quoted field.
    quoted: bool,
    /// At the start of a field (where a quote opens a quoted field).
    field_start: bool,
}

impl<'a> RowCounter<'a> {
    fn new(text: &'a [u8], delimiter: u8) -> Self {
        Self {
            text,
            delimiter,
            at: 0,
            row: 1,
            quoted: false,
            field_start: true,
        }
    }

    /// The row (1-based) the byte at `offset` lies in.
    fn row_at(&mut self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        while self.at < end {
            self.step();
        }
        self.row
    }

    /// The row of the record the csv reader reports at `offset`. The reader's position is
    /// just past the previous record's first line-end byte, so the rest of that line end
    /// and any blank lines come before the record itself.
    fn record_row(&mut self, offset: usize) -> usize {
        self.row_at(offset);
        while matches!(self.text.get(self.at), Some(b'\r' | b'\n')) {
            self.step();
        }
        self.row
    }

    /// Moves past one byte, counting a line end outside quotes.
    fn step(&mut self) {
        let b = self.text[self.at];
        let next = self.text.get(self.at + 1).copied();
        if self.quoted {
            if b == b'"' {
                if next == Some(b'"') {
                    self.at += 1;
                } else {
                    self.quoted = false;
                }
            }
            self.field_start = false;
        } else if b == b'"' && self.field_start {
            self.quoted = true;
            self.field_start = false;
        } else if b == b'\n' || (b == b'\r' && next != Some(b'\n')) {
            self.row += 1;
            self.field_start = true;
        } else {
            self.field_start = b == self.delimiter || b == b'\r';
        }
        self.at += 1;
    }
}
