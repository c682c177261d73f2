"""The users of the corpus: what a person types into the program, cell by cell.

Each cell is a (kind, value) pair:
  ("text", s)      a text cell
  ("number", n)    a number cell (the user typed digits and the program kept a number)
  ("date", d)      a date cell (the user typed 1.3.2026 and the program made it a date)
  ("quoted", s)    a text cell typed with a leading apostrophe ('=1+1): the program
                   stores and shows the text without the apostrophe
  None             an empty cell
A row that is None is a blank row.

The expected reading of a cell (see README.md) is: text as is, a number without a
trailing `.0`, a date as YYYY-MM-DD (and listed in date_cells, for XLSX), the quoted
text without its apostrophe.
"""

import datetime

HEADERS_EN = ["First name", "Last name", "Job profile", "Department", "Permission type",
              "Email", "Username", "Phone", "Language"]
# crates/tabular/src/columns.rs, Lang::De
HEADERS_DE = ["Vorname", "Nachname", "Jobprofil", "Abteilung", "Berechtigungstyp",
              "E-Mail", "Benutzername", "Telefon", "Sprache"]

T = lambda s: ("text", s)
MARCH_1 = datetime.date(2026, 3, 1)


def users(lang="en", cp1252=False, numbers=True, dates=True):
    """The data rows, starting at row 2 (row 1 is the header).

    cp1252: only characters Windows-1252 can encode (for the Windows-1252 CSVs), with
            `€` and `Œ`, which Windows-1252 has and ISO-8859-1 has not.
    numbers: the phone of Zoë is a number cell (else text).
    dates: the last row has a last name the program holds as a date.
    """
    de = lang == "de"
    rows = [
        [T("Jürgen"), T("Weiß"), T("Schichtleitung"), T("Lager Süd"), T("employee"),
         T("juergen.weiss@example.com"), T("jweiss"), T("+49 170 1234567"), T("de")],
        [T("Zoë"), T("Lefèvre") if cp1252 else T("Ðorđević"), T("Pflege"), T("Station 3"), T("employee"),
         T("zoe.lefevre@example.com") if cp1252 else T("zoe.dordevic@example.com"),
         T("zlefevre") if cp1252 else T("zdordevic"),
         ("number", 4917012345678) if numbers else T("+49 170 2345678"), T("en")],
        None,  # a blank row in the middle
        [T("François") if cp1252 else T("李"), T("Œuvray") if cp1252 else T("小龙"), T("Engineer"),
         T("Forschung\nEntwicklung") if de else T("Research\nDevelopment"), T("admin"),
         T("francois.oeuvray@example.com") if cp1252 else T("li.xiaolong@example.com"),
         T("foeuvray") if cp1252 else T("lxiaolong"),
         T("+33 1 23 45 67 89") if cp1252 else T("+86 10 1234 5678"), T("fr") if cp1252 else T("zh")],
        [T("Anna"), T("Schmidt"), ("quoted", "=1+1"), T("Kasse €") if cp1252 else T("Lager Süd"),
         T("employee"), T("anna.schmidt@example.com"), None, None, T("de")],
    ]
    if dates:
        rows.append([T("Maria"), ("date", MARCH_1), T("Pflege"), T("Station 3"), T("employee"),
                     T("maria.date@example.com"), None, None, T("de")])
    return rows


def expected_cell(cell, date_text=None):
    """The expected text of a cell (see the module docs); date_text: how a CSV shows a date."""
    if cell is None:
        return ""
    kind, value = cell
    if kind == "number":
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if kind == "date":
        return date_text if date_text is not None else value.isoformat()
    return value


def expected(rows, width=9, date_text=None):
    """(rows, date_cells) as manifest.json wants them, from the typed data."""
    out, date_cells = [], []
    for i, row in enumerate(rows):
        n = i + 2
        if row is None:
            continue
        cells = [expected_cell(c, date_text) for c in row] + [""] * (width - len(row))
        if all(c == "" for c in cells):
            continue
        out.append([n, cells])
        for j, c in enumerate(row):
            if c is not None and c[0] == "date" and date_text is None:
                date_cells.append([n, j])
    return out, date_cells
