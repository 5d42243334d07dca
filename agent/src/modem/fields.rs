//! Low-level reading of AT reply text: response prefixes, comma-separated fields, quoted
//! strings, hex ids and "unknown" markers.
//!
//! Everything here is total: any input gives `None` or an empty list, never a panic. The
//! parsers in the sibling modules build on these helpers so that every one of them tolerates
//! the same things: stray spaces around fields, quoted or unquoted values, `0x` prefixes,
//! upper- or lower-case hex, CRLF or LF line ends.

/// Why a reply could not be parsed by one of the pure parsers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The reply has no line with the expected prefix.
    #[error("no {prefix} line in the reply")]
    Missing {
        /// The prefix looked for (`+CSQ`, `+QENG`, ...).
        prefix: &'static str,
    },
    /// The line is there but does not follow the documented grammar.
    #[error("{prefix} line {line:?} is malformed: {reason}")]
    Malformed {
        /// The prefix of the line.
        prefix: &'static str,
        /// The offending line (body after the prefix).
        line: String,
        /// What was wrong.
        reason: String,
    },
    /// The lines are there and well-formed, but report something this parser does not decode
    /// (`+QENG` neighbour cells for the serving-cell parser).
    #[error("{prefix} {what} skipped (only the serving cell is decoded)")]
    NotServing {
        /// The prefix of the lines.
        prefix: &'static str,
        /// What they report instead.
        what: &'static str,
    },
}

impl ParseError {
    /// A [`ParseError::Malformed`] for `line`.
    pub fn malformed(prefix: &'static str, line: &str, reason: impl Into<String>) -> Self {
        ParseError::Malformed {
            prefix,
            line: line.trim().chars().take(200).collect(),
            reason: reason.into(),
        }
    }
}

/// Decodes text a modem printed as UCS2 hex (`+CSCS="UCS2"`, `+QSPN` alphabet 1): four hex
/// digits per UTF-16 code unit (`004F0032` → `O2`). `None` for an empty string, a length that
/// is not a multiple of four, a non-hex digit or invalid UTF-16.
pub fn ucs2_hex(s: &str) -> Option<String> {
    if s.is_empty() || !s.len().is_multiple_of(4) || !s.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let units: Option<Vec<u16>> = (0..s.len())
        .step_by(4)
        .map(|i| u16::from_str_radix(s.get(i..i + 4)?, 16).ok())
        .collect();
    String::from_utf16(&units?).ok()
}

/// One comma-separated field of an AT reply, trimmed and without its quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The text, without surrounding whitespace and quotes.
    pub text: &'a str,
    /// The field was written between double quotes.
    pub quoted: bool,
}

impl<'a> Field<'a> {
    /// True when the field carries no value: empty, or one of the markers firmwares print for
    /// "unknown / invalid in the current condition" (`-`, `--`, `---`, `N/A`).
    pub fn is_null(&self) -> bool {
        is_null_marker(self.text)
    }

    /// The field as a decimal integer (`None` for a null marker or non-numeric text).
    pub fn int(&self) -> Option<i64> {
        int(self.text)
    }

    /// The field as a hexadecimal number (`0x` prefix allowed).
    pub fn hex(&self) -> Option<u64> {
        hex(self.text)
    }

    /// The field as a decimal number, a decimal comma accepted.
    pub fn float(&self) -> Option<f64> {
        float(self.text)
    }

    /// The field as text, `None` when it is a null marker.
    pub fn opt_str(&self) -> Option<&'a str> {
        (!self.is_null()).then_some(self.text)
    }
}

/// True for the markers firmwares use for "no value".
pub fn is_null_marker(s: &str) -> bool {
    let s = s.trim();
    s.is_empty() || s.chars().all(|c| c == '-') || s.eq_ignore_ascii_case("n/a")
}

/// Splits the body of a response line (the text after `+XXX:`) at commas outside quotes.
///
/// Each field is trimmed of spaces and tabs, then of one pair of double quotes. An unbalanced
/// quote is tolerated (the field runs to the next comma).
pub fn split_fields(body: &str) -> Vec<Field<'_>> {
    let mut out = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (i, c) in body.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                out.push(make_field(&body[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(make_field(&body[start..]));
    out
}

fn make_field(raw: &str) -> Field<'_> {
    let t = raw.trim_matches(|c: char| c.is_whitespace());
    let quoted = t.starts_with('"');
    let t = t.strip_prefix('"').unwrap_or(t);
    let t = t.strip_suffix('"').unwrap_or(t);
    Field {
        text: t.trim(),
        quoted,
    }
}

/// Parses a decimal integer, allowing a leading `+` or `-`.
pub fn int(s: &str) -> Option<i64> {
    let s = s.trim();
    if is_null_marker(s) {
        return None;
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    s.parse::<i64>().ok()
}

/// Parses a hexadecimal number, allowing a `0x`/`0X` prefix. At most 16 digits.
pub fn hex(s: &str) -> Option<u64> {
    let s = s.trim();
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if s.is_empty() || s.len() > 16 || !s.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(s, 16).ok()
}

/// Parses a hex id into the wire form: upper-case hex without leading zeros (`"00002b5d"` →
/// `"2B5D"`), so the same cell compares equal whichever command reported it.
pub fn hex_id(s: &str) -> Option<String> {
    hex(s).map(hex_string)
}

/// Formats a number as a wire-form hex id.
pub fn hex_string(v: u64) -> String {
    format!("{v:X}")
}

/// Parses a decimal number; a decimal comma (`-95,5`, as some locales print) is accepted, as
/// is trailing unit text (`-95.5 dBm`). Non-finite results are refused.
pub fn float(s: &str) -> Option<f64> {
    let s = s.trim();
    if is_null_marker(s) {
        return None;
    }
    // Keep the leading numeric token only: "-95.00 dBm" -> "-95.00".
    let end = s
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit() || c == '.' || c == ',' || ((c == '-' || c == '+') && i == 0))
        })
        .map_or(s.len(), |(i, _)| i);
    let num = s[..end].replace(',', ".");
    let v = num.parse::<f64>().ok()?;
    v.is_finite().then_some(v)
}

/// Splits a response line into its prefix (upper-cased, with the sigil: `+CSQ`, `^HCSQ`,
/// `!GSTATUS`) and the body after the colon. Lines without such a prefix give `None`.
pub fn split_prefix(line: &str) -> Option<(String, &str)> {
    let line = line.trim_start();
    let mut chars = line.char_indices();
    let (_, sigil) = chars.next()?;
    if !matches!(sigil, '+' | '^' | '!' | '$' | '#' | '%' | '*') {
        return None;
    }
    let mut colon = None;
    for (i, c) in chars {
        if c == ':' {
            colon = Some(i);
            break;
        }
        if !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == ' ') {
            return None;
        }
    }
    let colon = colon?;
    let name = line[..colon].trim_end();
    if name.len() < 2 || name.contains(' ') {
        return None;
    }
    Some((name.to_ascii_uppercase(), &line[colon + 1..]))
}

/// The body of the first line of `reply` whose prefix is `prefix` (case-insensitive).
pub fn find_body<'a>(reply: &'a str, prefix: &str) -> Option<&'a str> {
    lines(reply).find_map(|l| match split_prefix(l) {
        Some((p, body)) if p.eq_ignore_ascii_case(prefix) => Some(body),
        _ => None,
    })
}

/// The bodies of every line of `reply` whose prefix is `prefix`, in order.
pub fn find_bodies<'a>(reply: &'a str, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    lines(reply).filter_map(move |l| match split_prefix(l) {
        Some((p, body)) if p.eq_ignore_ascii_case(prefix) => Some(body),
        _ => None,
    })
}

/// The non-empty lines of a reply, CR, LF or CRLF separated, trimmed. The wrapper
/// `mmcli --command` prints around a reply (`response: '...'`) is removed, so a reply pasted
/// from mmcli parses like one read from the port.
pub fn lines(reply: &str) -> impl Iterator<Item = &str> {
    reply
        .split(['\r', '\n'])
        .map(clean_line)
        .filter(|l| !l.is_empty())
}

fn clean_line(l: &str) -> &str {
    let mut l = l.trim();
    if l.get(..9)
        .is_some_and(|p| p.eq_ignore_ascii_case("response:"))
    {
        l = l[9..].trim_start();
        l = l.strip_prefix('\'').unwrap_or(l);
    }
    l = l.strip_suffix('\'').unwrap_or(l);
    l.trim()
}

/// True for a final result code that ends a command's reply.
pub fn is_final_ok(line: &str) -> bool {
    let l = line.trim();
    l.eq_ignore_ascii_case("OK") || l == "0"
}

/// True for a final result code that reports a failure (`ERROR`, `+CME ERROR: 10`, ...).
pub fn is_final_error(line: &str) -> bool {
    let l = line.trim().to_ascii_uppercase();
    l == "ERROR"
        || l == "4"
        || l.starts_with("+CME ERROR")
        || l.starts_with("+CMS ERROR")
        || l == "NO CARRIER"
        || l == "COMMAND NOT SUPPORT"
        || l == "TOO MANY PARAMETERS"
}

/// True when `line` is the echo of an AT command (`AT+CESQ`, `at+qeng="servingcell"`).
pub fn is_echo(line: &str) -> bool {
    let l = line.trim_start();
    l.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("AT")) && !l.contains(": ")
}

/// Decimal digits (and `F` filler) of an identifier line such as `+CCID: "8984..."`.
pub fn digits_of(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_digit() || *c == 'F' || *c == 'f')
        .collect()
}

/// Luhn check (IMEI and ICCID carry one; IMSI does not).
pub fn luhn_ok(digits: &str) -> bool {
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let mut sum = 0u32;
    for (i, c) in digits.chars().rev().enumerate() {
        let mut d = c.to_digit(10).unwrap_or(0);
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// Rounds a decoded value to 0.01 so `-20.2 + 66/5` prints as `-7.0`, not `-7.000000000000002`.
pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_trim_spaces_and_quotes() {
        let f = split_fields(r#"2,1, 1F00, 79D903 ,7"#);
        let t: Vec<_> = f.iter().map(|f| f.text).collect();
        assert_eq!(t, ["2", "1", "1F00", "79D903", "7"]);
        let f = split_fields(r#" "servingcell","NOCONN","LTE","a,b""#);
        assert_eq!(f[3].text, "a,b");
        assert!(f[0].quoted);
        assert_eq!(split_fields("2,,")[1].text, "");
    }

    #[test]
    fn numbers_and_markers() {
        assert_eq!(int("-"), None);
        assert_eq!(int(" -93 "), Some(-93));
        assert_eq!(hex("0x0EF8"), Some(0x0EF8));
        assert_eq!(hex_id("00002b5d").as_deref(), Some("2B5D"));
        assert_eq!(hex("xyz"), None);
        assert_eq!(hex("12345678901234567"), None);
        assert_eq!(float("-95,5"), Some(-95.5));
        assert_eq!(float("-104.00 dBm"), Some(-104.0));
        assert_eq!(float("--"), None);
        assert_eq!(float("NaN"), None);
    }

    #[test]
    fn prefixes() {
        assert_eq!(
            split_prefix("+CSQ: 31,99"),
            Some(("+CSQ".to_string(), " 31,99"))
        );
        assert_eq!(
            split_prefix("^HCSQ:\"LTE\""),
            Some(("^HCSQ".into(), "\"LTE\""))
        );
        assert_eq!(split_prefix("!GSTATUS: "), Some(("!GSTATUS".into(), " ")));
        assert_eq!(split_prefix("Current Time:  22016"), None);
        assert_eq!(split_prefix("+"), None);
        assert!(is_echo("AT+CESQ"));
        assert!(is_echo("at+qeng=\"servingcell\""));
        assert!(luhn_ok("862570024875048"));
    }
}
