//! Numbers and dates as each language writes them: `96.3 %` and `1,234` in English,
//! `96,3 %` and `1.234` in Vietnamese (decimal comma, dot thousands separator), dates
//! `2025-06-01` / `01/06/2025`.
//!
//! Invariant: pure and locale-independent (it never reads the environment), so the same report
//! is byte-identical on every machine.

use super::Lang;

/// A count with thousands separators: `1,234,567` (en), `1.234.567` (vi).
pub fn count(lang: Lang, n: u64) -> String {
    let digits = n.to_string();
    let sep = match lang {
        Lang::En => ',',
        Lang::Vi => '.',
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A decimal number with `decimals` places: `86.11` (en), `86,11` (vi). Not-finite values are
/// written as `–`.
pub fn decimal(lang: Lang, x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "–".to_owned();
    }
    let s = format!("{x:.decimals$}");
    match lang {
        Lang::En => s,
        Lang::Vi => s.replace('.', ","),
    }
}

/// A percentage from a share in 0..=1 with `decimals` places and a non-breaking space before
/// the sign: `93.9 %` (en), `93,9 %` (vi).
pub fn percent(lang: Lang, share: f64, decimals: usize) -> String {
    format!("{}\u{a0}%", decimal(lang, share * 100.0, decimals))
}

/// A calendar date: `2025-06-01` (en, ISO 8601), `01/06/2025` (vi).
pub fn date(lang: Lang, d: chrono::NaiveDate) -> String {
    match lang {
        Lang::En => d.format("%Y-%m-%d").to_string(),
        Lang::Vi => d.format("%d/%m/%Y").to_string(),
    }
}

/// `label: value` lines, indented two spaces, the values aligned after the longest label
/// (counted in characters, so Vietnamese labels align too): the `check-config` screens.
pub fn label_rows(rows: &[(&str, String)]) -> String {
    use std::fmt::Write;
    let width = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (label, value) in rows {
        let pad = width - label.chars().count();
        let _ = writeln!(out, "  {label}:{:pad$} {value}", "");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_decimals() {
        assert_eq!(count(Lang::En, 0), "0");
        assert_eq!(count(Lang::En, 999), "999");
        assert_eq!(count(Lang::En, 1000), "1,000");
        assert_eq!(count(Lang::Vi, 1_234_567), "1.234.567");
        assert_eq!(decimal(Lang::En, 86.109, 2), "86.11");
        assert_eq!(decimal(Lang::Vi, 86.109, 2), "86,11");
        assert_eq!(decimal(Lang::Vi, f64::NAN, 2), "–");
        assert_eq!(percent(Lang::Vi, 0.939, 1), "93,9\u{a0}%");
        let d = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        assert_eq!(date(Lang::En, d), "2025-06-01");
        assert_eq!(date(Lang::Vi, d), "01/06/2025");
    }
}
