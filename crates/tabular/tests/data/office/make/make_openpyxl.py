"""Writes ../openpyxl-<version>-template.xlsx with openpyxl: the English workforce
template with the users of data.py.

Run: python3 make_openpyxl.py   (pip install openpyxl==3.1.5)
"""

import os
import sys

import openpyxl
from openpyxl.styles import Alignment

import data

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    out = os.path.join(HERE, "..", f"openpyxl-{openpyxl.__version__}-template.xlsx")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Users"
    ws.append(data.HEADERS_EN)
    for i, row in enumerate(data.users()):
        r = i + 2
        if row is None:
            continue
        for j, cell in enumerate(row):
            if cell is None:
                continue
            kind, value = cell
            c = ws.cell(row=r, column=j + 1)
            if kind == "quoted":
                # What Excel stores for a cell typed as '=1+1: the text, with the
                # quotePrefix style flag. Assigning "=..." would make a formula, so the
                # type is set back to string afterwards.
                c.value = value
                c.data_type = "s"
                c.quotePrefix = True
            elif kind == "date":
                c.value = value  # a datetime.date: openpyxl writes a serial number
                c.number_format = "DD.MM.YYYY"  # as German Excel shows 1.3.2026
            elif kind == "number":
                c.value = value
            else:
                c.value = value
                if "\n" in value:
                    c.alignment = Alignment(wrap_text=True)
    wb.save(out)
    print(out)


if __name__ == "__main__":
    sys.exit(main())
