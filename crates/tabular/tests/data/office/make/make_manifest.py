"""Writes ../manifest.json: for each file of the corpus, the reading a person sees in the
program, found without the Rust reader:

  * XLSX: re-opened with openpyxl (cell values, types and number formats; cached values
    of formulas), then cross-checked against LibreOffice's reading of the same file
    (soffice converts its first sheet to a UTF-8 CSV, cells as shown, which is read back).
  * CSV: decoded (UTF-16 by its byte-order mark, UTF-8 with or without one, else
    Windows-1252) and parsed with Python's csv module; each record is one spreadsheet row,
    so a blank line is a row and a quoted line break stays in its row.
  * Files we made: the reading must also equal what data.py says was typed.

Conventions (the reader's documented rendering, see README.md): rows of only empty cells
are left out but keep their row numbers; rows are padded with "" from column A to the
last column holding a cell anywhere in the sheet; a number without a fraction has no
".0"; a date cell of an XLSX is YYYY-MM-DD (" HH:MM:SS" when it has a time) and listed in
date_cells; booleans are TRUE / FALSE.

Run: python3 make_manifest.py   (after the make_*.py / make_libreoffice.sh steps)
"""

import csv
import datetime
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
import zipfile

import openpyxl

import data

HERE = os.path.dirname(os.path.abspath(__file__))
OFFICE = os.path.normpath(os.path.join(HERE, ".."))
LO_VERSION = subprocess.run(["soffice", "--version"], capture_output=True, text=True).stdout.split()[1]
LO = f"libreoffice-{LO_VERSION}"
OPENPYXL = f"openpyxl-{openpyxl.__version__}"
HAND = "hand, in Excel's documented byte format"

# ---------------------------------------------------------------------------------------
# The files, their makers, and (for files we made) what was typed.


def made(typed, date_text=None):
    return data.expected(typed, date_text=date_text)


FILES = [
    # file, format, made_by, typed data (None for public Excel files), date text in a CSV, note
    (f"{OPENPYXL}-template.xlsx", "xlsx",
     f"openpyxl {openpyxl.__version__} (python3 make/make_openpyxl.py)",
     (data.HEADERS_EN, data.users("en")), None,
     "inline strings (t=\"inlineStr\"); C6 is the text =1+1 with quotePrefix; B7 a date "
     "cell (number format DD.MM.YYYY); H3 the number 4917012345678 (General format)"),
    (f"{LO}-template-en.xlsx", "xlsx",
     f"LibreOffice {LO_VERSION} (soffice --headless --convert-to 'xlsx:Calc Office Open XML' "
     "make/src/template-en.fods)",
     (data.HEADERS_EN, data.users("en")), None,
     "shared strings; B7 a date cell (dd.mm.yyyy); H3 the number 4917012345678"),
    (f"{LO}-template-de.xlsx", "xlsx",
     f"LibreOffice {LO_VERSION} (soffice --headless --convert-to 'xlsx:Calc Office Open XML' "
     "make/src/template-de.fods)",
     (data.HEADERS_DE, data.users("de")), None, "German headers"),
    (f"{LO}-template-en-utf8.csv", "csv",
     f"LibreOffice {LO_VERSION} (soffice --headless --convert-to "
     "'csv:Text - txt - csv (StarCalc):44,34,76,1' make/src/template-en.fods)",
     (data.HEADERS_EN, data.users("en")), "01.03.2026",
     "UTF-8 without BOM, LF line ends, text cells quoted; the date cell is written as shown "
     "(01.03.2026), so a CSV reader sees text"),
    (f"{LO}-template-de-semicolon-utf8.csv", "csv",
     f"LibreOffice {LO_VERSION} (soffice --headless --convert-to "
     "'csv:Text - txt - csv (StarCalc):59,34,76,1' make/src/template-de.fods)",
     (data.HEADERS_DE, data.users("de")), "01.03.2026", "German headers, semicolons"),
    (f"{LO}-template-en-cp1252.csv", "csv",
     f"LibreOffice {LO_VERSION} (soffice --headless --convert-to "
     "'csv:Text - txt - csv (StarCalc):44,34,1,1' make/src/template-en-cp1252.fods)",
     (data.HEADERS_EN, data.users("en", cp1252=True)), "01.03.2026",
     "Windows-1252 (LibreOffice charset 1); holds € (0x80) and Œ (0x8C), which ISO-8859-1 lacks"),
    (f"{LO}-template-en-utf16-tab.txt", "csv",
     f"LibreOffice {LO_VERSION} (soffice --headless --convert-to "
     "'txt:Text - txt - csv (StarCalc):9,34,65535,1' make/src/template-en.fods)",
     (data.HEADERS_EN, data.users("en")), "01.03.2026",
     "UTF-16LE with BOM (LibreOffice charset 65535, \"Unicode\"), tab-separated, LF line ends"),
    ("excel-format-csv-comma-cp1252.csv", "csv", HAND,
     (data.HEADERS_EN, data.users("en", cp1252=True, numbers=False, dates=False)), None,
     "NOT made by Excel: written by make/make_excel_format_csv.py as Excel (Windows, region "
     "English (United States)) saves \"CSV (Comma delimited)\": Windows-1252, no BOM, CRLF "
     "after every row, LF inside the quoted cell"),
    ("excel-format-csv-semicolon-cp1252-de.csv", "csv", HAND,
     (data.HEADERS_DE, data.users("de", cp1252=True, numbers=False, dates=True)), "01.03.2026",
     "NOT made by Excel: written by make/make_excel_format_csv.py as Excel (Windows, region "
     "German (Germany), list separator ';') saves \"CSV (Trennzeichen-getrennt)\": "
     "Windows-1252, no BOM, CRLF; the date cell written as shown (01.03.2026)"),
    ("excel-format-csv-utf8.csv", "csv", HAND,
     (data.HEADERS_EN, data.users("en", numbers=False, dates=False)), None,
     "NOT made by Excel: written by make/make_excel_format_csv.py as Excel saves "
     "\"CSV UTF-8 (Comma delimited)\": UTF-8 with BOM, CRLF"),
    ("excel-format-unicode-text.txt", "csv", HAND,
     (data.HEADERS_EN, data.users("en", numbers=False, dates=False)), None,
     "NOT made by Excel: written by make/make_excel_format_csv.py as Excel saves "
     "\"Unicode Text\": UTF-16LE with BOM, tab-separated, CRLF"),
    # Excel-saved files from public repositories were checked with this script once, but
    # are not committed (data from other repositories stays out of this repository).
]

# ---------------------------------------------------------------------------------------
# Reading XLSX with openpyxl.


def number_text(v):
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def read_xlsx(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path, data_only=True)  # cached values of formulas
    ws = wb.worksheets[0]
    cells = {}  # (row, col0) -> (text, is_date)
    for row in ws.iter_rows():
        for c in row:
            v = c.value
            if v is None:
                continue
            if isinstance(v, str):
                if v == "":
                    raise SystemExit(f"{path}: {c.coordinate} is an empty string cell; pick another file")
                text, is_date = v, False
            elif isinstance(v, (bool, int, float)):
                text, is_date = number_text(v), False
            elif isinstance(v, datetime.datetime):
                text = v.strftime("%Y-%m-%d") if v.time() == datetime.time(0) else v.strftime("%Y-%m-%d %H:%M:%S")
                is_date = True
            elif isinstance(v, datetime.date):
                text, is_date = v.isoformat(), True
            else:
                raise SystemExit(f"{path}: {c.coordinate} holds {v!r}, which this script does not render")
            cells[(c.row, c.column - 1)] = (text, is_date)
    if not cells:
        raise SystemExit(f"{path}: empty")
    first = min(r for r, _ in cells)
    last = max(r for r, _ in cells)
    width = max(c for _, c in cells) + 1
    grid = [[cells.get((r, c), ("", False))[0] for c in range(width)] for r in range(first, last + 1)]
    date_cells = sorted([r, c] for (r, c), (_, d) in cells.items() if d)
    i = next(i for i, row in enumerate(grid) if any(x.strip() for x in row))
    headers = grid[i]
    rows = [[first + j, row] for j, row in enumerate(grid) if j > i and any(x != "" for x in row)]
    return headers, first + i, rows, date_cells

# ---------------------------------------------------------------------------------------
# Reading CSV.


def decode(b):
    if b.startswith(b"\xff\xfe"):
        return b[2:].decode("utf-16-le"), "UTF-16LE (BOM)"
    if b.startswith(b"\xfe\xff"):
        return b[2:].decode("utf-16-be"), "UTF-16BE (BOM)"
    if b.startswith(b"\xef\xbb\xbf"):
        return b[3:].decode("utf-8"), "UTF-8 (BOM)"
    try:
        return b.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return b.decode("cp1252"), "Windows-1252"


def read_csv(path):
    text, encoding = decode(open(path, "rb").read())
    first_line = next(l for l in text.splitlines() if l.strip())
    sep = max([",", ";", "\t"], key=lambda s: (first_line.count(s), s == ","))
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    i = next(i for i, r in enumerate(records) if any(x.strip() for x in r))
    headers = records[i]
    rows = [[j + 1, r] for j, r in enumerate(records) if j > i and any(x != "" for x in r)]
    return headers, rows, encoding, sep

# ---------------------------------------------------------------------------------------
# LibreOffice's reading of an XLSX, for the cross-check.


def libreoffice_rows(path, tmp):
    out = os.path.join(tmp, "lo")
    shutil.rmtree(out, ignore_errors=True)
    # 12th token 1: the first sheet; 9th true: cells as shown
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,1",
                    "--outdir", out, path], check=True, capture_output=True)
    [name] = os.listdir(out)
    with open(os.path.join(out, name), encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


CHARSET = {"UTF-8": 76, "UTF-8 (BOM)": 76, "Windows-1252": 1, "UTF-16LE (BOM)": 65535}


def libreoffice_csv_rows(path, encoding, sep, width, tmp):
    """LibreOffice's reading of a CSV: imported with every column as text and formulas not
    evaluated (so it shows the text the file holds), then saved as a UTF-8 CSV."""
    out = os.path.join(tmp, "lo")
    shutil.rmtree(out, ignore_errors=True)
    columns = "/".join(f"{i}/2" for i in range(1, width + 1))  # 2: Text
    infilter = f"Text - txt - csv (StarCalc):{ord(sep)},34,{CHARSET[encoding]},1,{columns},0,false,false,false,false,false,-1,false"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                    f"--infilter={infilter}",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,1",
                    "--outdir", out, path], check=True, capture_output=True)
    [name] = os.listdir(out)
    with open(os.path.join(out, name), encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def cross_check_csv(name, headers, rows, encoding, sep, tmp, log):
    lo = libreoffice_csv_rows(os.path.join(OFFICE, name), encoding, sep, len(headers), tmp)
    got = [[n, r] for n, r in enumerate(lo, 1) if any(x != "" for x in r)]
    want = [[1, headers]] + rows
    same = got == want
    log.append(f"{name}: {encoding}, separator {sep!r}; LibreOffice {LO_VERSION} "
               + ("reads the same rows and row numbers" if same else f"reads {got!r}"))
    return [] if same else [f"LibreOffice reads {got!r}"]


DATE_FORMATS = ["%m/%d/%y", "%m/%d/%Y", "%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d", "%m-%d-%y"]


def same_as_shown(expected, shown, is_date):
    if expected == shown:
        return True
    if is_date:
        for fmt in DATE_FORMATS:
            try:
                if datetime.datetime.strptime(shown, fmt).date().isoformat() == expected[:10]:
                    return True
            except ValueError:
                pass
    return False


def cross_check(name, headers, header_row, rows, date_cells, tmp, log):
    lo = libreoffice_rows(os.path.join(OFFICE, name), tmp)
    dates = {tuple(x) for x in date_cells}
    # LibreOffice writes the used range from A1; row n of the sheet is lo[n - 1].
    problems = []
    for n, cells in [[header_row, headers]] + rows:
        shown = lo[n - 1] + [""] * (len(cells) - len(lo[n - 1]))
        if any(x != "" for x in shown[len(cells):]):
            problems.append(f"row {n}: LibreOffice shows more cells: {shown[len(cells):]!r}")
        for c, (e, s) in enumerate(zip(cells, shown)):
            if not same_as_shown(e, s, (n, c) in dates):
                problems.append(f"row {n} col {c}: expected {e!r}, LibreOffice shows {s!r}")
    log.append(f"{name}: LibreOffice {LO_VERSION} shows " + ("the same cells" if not problems else "; ".join(problems)))
    return problems

# ---------------------------------------------------------------------------------------


def to_json(entries):
    """manifest.json, one row a line."""
    j = lambda v: json.dumps(v, ensure_ascii=False)
    out = ['{ "files": [']
    for k, e in enumerate(entries):
        x = e["expect"]
        out.append("  {")
        for key in ("file", "format", "made_by", "note"):
            out.append(f"    {j(key)}: {j(e[key])},")
        out.append('    "expect": {')
        out.append(f'      "headers": {j(x["headers"])},')
        out.append('      "rows": [')
        out += [f"        {j(r)}" + ("," if i + 1 < len(x["rows"]) else "") for i, r in enumerate(x["rows"])]
        out.append("      ]" + ("," if "date_cells" in x else ""))
        if "date_cells" in x:
            out.append(f'      "date_cells": {j(x["date_cells"])}')
        out.append("    }")
        out.append("  }" + ("," if k + 1 < len(entries) else ""))
    out.append("] }")
    text = "\n".join(out) + "\n"
    assert json.loads(text) == {"files": entries}
    return text


def main():
    entries, log = [], []
    tmp = tempfile.mkdtemp()
    try:
        for name, fmt, made_by, typed, date_text, note in FILES:
            path = os.path.join(OFFICE, name)
            if fmt == "xlsx":
                headers, header_row, rows, date_cells = read_xlsx(path)
                problems = cross_check(name, headers, header_row, rows, date_cells, tmp, log)
                for p in problems:
                    print(f"{name}: {p}", file=sys.stderr)
            else:
                headers, rows, encoding, sep = read_csv(path)
                date_cells = []
                for p in cross_check_csv(name, headers, rows, encoding, sep, tmp, log):
                    print(f"{name}: {p}", file=sys.stderr)
            if typed is not None:
                want_rows, want_dates = made(typed[1], date_text)
                if headers != typed[0] or rows != want_rows or date_cells != want_dates:
                    raise SystemExit(f"{name}: the file does not read back as typed:\n"
                                     f"{headers}\n{rows}\n{date_cells}\nwant\n{typed[0]}\n{want_rows}\n{want_dates}")
            expect = {"headers": headers, "rows": rows}
            if date_cells:
                expect["date_cells"] = date_cells
            entries.append({"file": name, "format": fmt, "made_by": made_by, "note": note, "expect": expect})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with open(os.path.join(OFFICE, "manifest.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(to_json(entries))
    with open(os.path.join(HERE, "cross-check.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(log) + "\n")
    print("\n".join(log))


if __name__ == "__main__":
    main()
