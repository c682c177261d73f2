"""Writes, by hand, the bytes Microsoft Excel (Windows) writes when it saves the workforce
template with the users of data.py as

  "CSV (Comma delimited) (*.csv)"     ANSI code page (Windows-1252 on a Western-European
                                      Windows), no byte-order mark; the separator is the
                                      list separator of the Windows region: "," for
                                      English (United States), ";" for German (Germany)
  "CSV UTF-8 (Comma delimited) (*.csv)"  UTF-8 with a byte-order mark (EF BB BF)
  "Unicode Text (*.txt)"              UTF-16LE with a byte-order mark (FF FE), tab-separated

Excel did NOT make these files: no Excel can run here. They follow the format as
Microsoft documents it and as it is widely observed (see README.md):
  - every row of the used range is written, each ending in CR LF, the last one too; every
    row has as many fields as the used range has columns (a blank row is only separators);
  - a cell is written as the program shows it: text as typed (a cell typed '=1+1 is
    written =1+1, without the apostrophe), a date in the short date format of the region;
  - a field is put in double quotes when it holds the separator, a double quote, a line
    break (Alt+Enter puts LF into a cell, written as LF), with quotes doubled; no other
    field is quoted.
The users here have no comma, double quote, tab, or leading or trailing space in a cell, so
only the two-line cell needs quotes; phones are text cells (a 13-digit number would be
written as Excel's General format shows it, 4.91701E+12, which is left out on purpose).

Run: python3 make_excel_format_csv.py
"""

import os

import data

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..")


def field(cell, sep, date_text):
    text = data.expected_cell(cell, date_text)
    if any(ch in text for ch in (sep, '"', "\r", "\n")):
        text = '"' + text.replace('"', '""') + '"'
    return text


def render(headers, rows, sep, date_text=None):
    width = len(headers)
    lines = [sep.join(field(("text", h), sep, None) for h in headers)]
    for row in rows:
        cells = (row or []) + [None] * (width - len(row or []))
        lines.append(sep.join(field(c, sep, date_text) for c in cells))
    return "".join(line + "\r\n" for line in lines)


FILES = {
    # file: (headers, rows, separator, encoding, bom, date as shown)
    "excel-format-csv-comma-cp1252.csv": (
        data.HEADERS_EN, data.users("en", cp1252=True, numbers=False, dates=False),
        ",", "cp1252", b"", None),
    "excel-format-csv-semicolon-cp1252-de.csv": (
        data.HEADERS_DE, data.users("de", cp1252=True, numbers=False, dates=True),
        ";", "cp1252", b"", "01.03.2026"),
    "excel-format-csv-utf8.csv": (
        data.HEADERS_EN, data.users("en", numbers=False, dates=False),
        ",", "utf-8", b"\xef\xbb\xbf", None),
    "excel-format-unicode-text.txt": (
        data.HEADERS_EN, data.users("en", numbers=False, dates=False),
        "\t", "utf-16-le", b"\xff\xfe", None),
}


def main():
    for name, (headers, rows, sep, encoding, bom, date_text) in FILES.items():
        text = render(headers, rows, sep, date_text)
        path = os.path.join(OUT, name)
        with open(path, "wb") as f:
            f.write(bom + text.encode(encoding))  # strict: fails on a character the code page lacks
        print(path)


if __name__ == "__main__":
    main()
