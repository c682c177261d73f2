#!/bin/sh
# Converts the hand-written flat-ODF sources (src/*.fods, from make_fods.py) with
# LibreOffice Calc headless into the XLSX and CSV files of the corpus.
#
# Run: sh make_libreoffice.sh
# Needs: apt-get install -y --no-install-recommends libreoffice-calc-nogui
#        (Debian 12: LibreOffice 7.4.7.2)
set -eu
cd "$(dirname "$0")"
OUT=..
VERSION=$(soffice --version | awk '{print $2}')    # e.g. 7.4.7.2
PREFIX="$OUT/libreoffice-$VERSION"
TMP=$(mktemp -d)
# A fresh user profile, so no settings of a previous run change the output.
PROFILE="-env:UserInstallation=file://$TMP/profile"

convert() { # source, --convert-to argument, output file
    rm -rf "$TMP/out"
    soffice $PROFILE --headless --convert-to "$2" --outdir "$TMP/out" "src/$1.fods" >/dev/null
    mv "$TMP/out/"* "$3"
    echo "$3"
}

# XLSX ("Calc Office Open XML")
convert template-en 'xlsx:Calc Office Open XML' "$PREFIX-template-en.xlsx"
convert template-de 'xlsx:Calc Office Open XML' "$PREFIX-template-de.xlsx"
# CSV, UTF-8 (charset 76), comma (44), text in double quotes (34), from line 1
convert template-en 'csv:Text - txt - csv (StarCalc):44,34,76,1' "$PREFIX-template-en-utf8.csv"
# CSV, UTF-8, semicolon (59): what German users exchange
convert template-de 'csv:Text - txt - csv (StarCalc):59,34,76,1' "$PREFIX-template-de-semicolon-utf8.csv"
# CSV, Windows-1252 (charset 1 = RTL_TEXTENCODING_MS_1252; the filter takes LibreOffice's
# rtl_TextEncoding numbers, not Windows code page numbers: 1252 gives another encoding), comma
convert template-en-cp1252 'csv:Text - txt - csv (StarCalc):44,34,1,1' "$PREFIX-template-en-cp1252.csv"
# Text, "Unicode" (charset 65535, UTF-16), tab (9)
convert template-en 'txt:Text - txt - csv (StarCalc):9,34,65535,1' "$PREFIX-template-en-utf16-tab.txt"
rm -rf "$TMP"
