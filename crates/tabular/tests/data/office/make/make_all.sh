#!/bin/sh
# Remakes the files of the corpus that we make ourselves, then manifest.json.
# Needs: python3 with openpyxl 3.1.5 (pip install openpyxl==3.1.5) and LibreOffice Calc
# (apt-get install -y --no-install-recommends libreoffice-calc-nogui; Debian 12 has 7.4.7.2).
# A newer LibreOffice or openpyxl writes files under new names (the version is in the name):
# remove the old ones and update the names in make_manifest.py.
# No file here was saved by Excel (see ../README.md, "Excel files from public repositories").
set -eu
cd "$(dirname "$0")"
python3 make_openpyxl.py
python3 make_fods.py
sh make_libreoffice.sh
python3 make_excel_format_csv.py
python3 make_manifest.py
rm -rf __pycache__
