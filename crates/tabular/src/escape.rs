//! Neutralising spreadsheet formulas, reversibly.
//!
//! A cell whose text starts with `=`, `+`, `-`, `@`, tab, carriage return, line feed or NUL
//! could be run as a formula when a spreadsheet opens the file (CSV injection, OWASP). As a
//! precaution the same goes for a cell that starts with a full-width form `＝ ＋ － ＠` or a
//! small form `﹦ ﹢ ﹣ ﹫` of those characters, which East Asian input turns into the ASCII
//! ones (a cell re-entered in such a spreadsheet becomes a formula). Such a cell is written
//! with a leading apostrophe. So that the rule can be undone exactly, a
//! cell that already starts with an apostrophe gets one more. A reader that knows the rule
//! drops one leading apostrophe, and gets the original back.

use std::borrow::Cow;

/// The characters that make a cell dangerous when they come first.
pub const DANGEROUS_FIRST: [char; 16] = [
    '=', '+', '-', '@', '\t', '\r', '\n', '\0', // ASCII and control characters
    '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}', // full-width ＝ ＋ － ＠
    '\u{FE66}', '\u{FE62}', '\u{FE63}', '\u{FE6B}', // small ﹦ ﹢ ﹣ ﹫
];

/// The cell as written: with a leading `'` if it starts with a dangerous character or `'`.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some(c) if DANGEROUS_FIRST.contains(&c) || c == '\'' => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// The original cell: one leading `'` removed.
pub fn restore(cell: &str) -> &str {
    cell.strip_prefix('\'').unwrap_or(cell)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dangerous_cells_get_an_apostrophe_and_come_back() {
        for cell in [
            "=1+1",
            "+49 170",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "\nx",
            "\0x",
            "'quoted",
            "''",
            "'",
            "＝1+1",
            "＋1",
            "－2",
            "＠SUM(A1)",
            "﹦1",
            "﹢1",
            "﹣1",
            "﹫x",
            "'＝1",
        ] {
            let out = neutralise(cell);
            assert!(out.starts_with('\''), "{cell:?}");
            assert_eq!(restore(&out), cell);
        }
        for cell in ["Ann", "", "0170", "a=b", "Ünal"] {
            assert_eq!(neutralise(cell), cell);
            assert_eq!(restore(&neutralise(cell)), cell);
        }
    }
}
