"""Writes the flat-ODF spreadsheets (src/*.fods) that LibreOffice converts in
make_libreoffice.sh: the workforce template with the users of data.py, as a person would
have typed them into LibreOffice Calc (text cells, a number cell, a date cell shown as
DD.MM.YYYY, a two-line cell, a string cell "=1+1" as Calc keeps a cell typed '=1+1).

Run: python3 make_fods.py
"""

import os
from xml.sax.saxutils import escape

import data

HERE = os.path.dirname(os.path.abspath(__file__))

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
 <office:automatic-styles>
  <number:date-style style:name="N1">
   <number:day number:style="long"/><number:text>.</number:text>
   <number:month number:style="long"/><number:text>.</number:text>
   <number:year number:style="long"/>
  </number:date-style>
  <style:style style:name="ceDate" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N1"/>
  <style:style style:name="ceWrap" style:family="table-cell" style:parent-style-name="Default">
   <style:table-cell-properties fo:wrap-option="wrap"/>
  </style:style>
 </office:automatic-styles>
 <office:body>
  <office:spreadsheet>
   <table:table table:name="{sheet}">
    <table:table-column table:number-columns-repeated="9"/>
"""
TAIL = """   </table:table>
  </office:spreadsheet>
 </office:body>
</office:document>
"""


def cell(c):
    if c is None:
        return "<table:table-cell/>"
    kind, value = c
    if kind == "number":
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    if kind == "date":
        shown = value.strftime("%d.%m.%Y")
        return (f'<table:table-cell table:style-name="ceDate" office:value-type="date" '
                f'office:date-value="{value.isoformat()}"><text:p>{shown}</text:p></table:table-cell>')
    # text, and quoted text: Calc keeps a cell typed '=1+1 as the string "=1+1"
    lines = value.split("\n")
    style = ' table:style-name="ceWrap"' if len(lines) > 1 else ""
    paras = "".join(f"<text:p>{escape(l)}</text:p>" for l in lines)
    return f'<table:table-cell{style} office:value-type="string">{paras}</table:table-cell>'


def fods(headers, rows, sheet):
    out = [HEAD.replace("{sheet}", sheet)]
    out.append("    <table:table-row>" + "".join(cell(("text", h)) for h in headers) + "</table:table-row>\n")
    for row in rows:
        if row is None:
            out.append('    <table:table-row><table:table-cell table:number-columns-repeated="9"/></table:table-row>\n')
        else:
            out.append("    <table:table-row>" + "".join(cell(c) for c in row) + "</table:table-row>\n")
    out.append(TAIL)
    return "".join(out)


SOURCES = {
    # name: (headers, rows, sheet name)
    "template-en": (data.HEADERS_EN, data.users("en"), "Users"),
    "template-de": (data.HEADERS_DE, data.users("de"), "Benutzer"),
    # only characters Windows-1252 has, for the Windows-1252 CSV
    "template-en-cp1252": (data.HEADERS_EN, data.users("en", cp1252=True), "Users"),
}


def main():
    os.makedirs(os.path.join(HERE, "src"), exist_ok=True)
    for name, (headers, rows, sheet) in SOURCES.items():
        path = os.path.join(HERE, "src", f"{name}.fods")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(fods(headers, rows, sheet))
        print(path)


if __name__ == "__main__":
    main()
