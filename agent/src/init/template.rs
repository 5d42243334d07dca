//! The TOML line editor of `coverage-agent init`: the example config's lines
//! (`Template`), its tables as blocks (active or commented out), and edits that keep every
//! comment: a value replaced with its trailing comment kept in its column, a key or a whole
//! table commented out or back in. Pure text in, text out; it knows nothing of the settings.

use super::InitError;

/// A TOML basic string (quoted and escaped).
pub(super) fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// A TOML float that stays a float (`105.0`, never `105`).
pub(super) fn toml_float(v: f64) -> String {
    format!("{v:?}")
}

/// One table of the example: a header line (`[site]`, `[[modems]]`, or commented out,
/// `# [[modems]]`) and the lines up to the next blank line or header.
#[derive(Debug, Clone)]
pub(super) struct Block {
    /// `site`, `modems`, ...
    pub(super) table: String,
    /// Line index of the header.
    pub(super) start: usize,
    /// One past the last line.
    pub(super) end: usize,
}

/// The example's lines, edited in place.
#[derive(Debug, Clone)]
pub(super) struct Template {
    lines: Vec<String>,
}

/// The table a header line opens, active or commented out.
fn header_table(line: &str) -> Option<String> {
    let t = line.strip_prefix("# ").unwrap_or(line).trim();
    let inner = t
        .strip_prefix("[[")
        .and_then(|r| r.strip_suffix("]]"))
        .or_else(|| t.strip_prefix('[').and_then(|r| r.strip_suffix(']')))?;
    inner
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        .then(|| inner.to_owned())
}

/// The key of an active `key = value` line.
fn line_key(line: &str) -> Option<&str> {
    if line.starts_with('#') {
        return None;
    }
    let (k, _) = line.split_once('=')?;
    let k = k.trim();
    (!k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')).then_some(k)
}

/// Byte index of a `#` comment in a TOML value, outside strings.
fn comment_start(value: &str) -> Option<usize> {
    let mut in_basic = false;
    let mut in_literal = false;
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_basic => escaped = true,
            '"' if !in_literal => in_basic = !in_basic,
            '\'' if !in_basic => in_literal = !in_literal,
            '#' if !in_basic && !in_literal => return Some(i),
            _ => {}
        }
    }
    None
}

/// `line` with its value replaced by `value`, the trailing comment kept in its column.
fn replace_value(line: &str, value: &str) -> String {
    let Some(eq) = line.find('=') else {
        return line.to_owned();
    };
    let (head, after) = line.split_at(eq + 1);
    let body = after.trim_start();
    let lead = &after[..after.len() - body.len()];
    match comment_start(body) {
        Some(ci) => {
            let width = body[..ci].chars().count();
            let (_, comment) = body.split_at(ci);
            if value.chars().count() < width {
                format!("{head}{lead}{value:<width$}{comment}")
            } else {
                format!("{head}{lead}{value}  {comment}")
            }
        }
        None => format!("{head}{lead}{value}"),
    }
}

impl Template {
    pub(super) fn new(text: &str) -> Template {
        Template {
            lines: text.lines().map(str::to_owned).collect(),
        }
    }

    pub(super) fn text(&self) -> String {
        let mut s = self.lines.join("\n");
        s.push('\n');
        s
    }

    pub(super) fn blocks(&self) -> Vec<Block> {
        let mut blocks = Vec::new();
        let mut i = 0;
        while i < self.lines.len() {
            if let Some(table) = header_table(&self.lines[i]) {
                let start = i;
                i += 1;
                while i < self.lines.len()
                    && !self.lines[i].trim().is_empty()
                    && header_table(&self.lines[i]).is_none()
                {
                    i += 1;
                }
                blocks.push(Block {
                    table,
                    start,
                    end: i,
                });
            } else {
                i += 1;
            }
        }
        blocks
    }

    pub(super) fn block(&self, table: &str) -> Result<Block, InitError> {
        self.blocks()
            .into_iter()
            .find(|b| b.table == table && !self.is_commented(b))
            .ok_or_else(|| InitError::Template(format!("no [{table}] table")))
    }

    pub(super) fn is_commented(&self, b: &Block) -> bool {
        self.lines[b.start].starts_with('#')
    }

    /// The value text of `key` in `b` (active or commented line), without its comment.
    pub(super) fn get(&self, b: &Block, key: &str) -> Option<String> {
        self.lines[b.start..b.end].iter().find_map(|l| {
            let active = l.strip_prefix("# ").unwrap_or(l);
            (line_key(active) == Some(key)).then(|| {
                let (_, v) = active.split_once('=').unwrap_or_default();
                let v = v.trim_start();
                v[..comment_start(v).unwrap_or(v.len())].trim().to_owned()
            })
        })
    }

    /// Sets `key` in `b`, uncommenting its line if it is commented out.
    pub(super) fn set(&mut self, b: &Block, key: &str, value: &str) -> Result<(), InitError> {
        for i in b.start..b.end {
            let line = &self.lines[i];
            let active = line.strip_prefix("# ").unwrap_or(line);
            if line_key(active) == Some(key) {
                self.lines[i] = replace_value(active, value);
                return Ok(());
            }
        }
        Err(InitError::Template(format!(
            "no key `{key}` in [{}] at line {}",
            b.table,
            b.start + 1
        )))
    }

    /// Replaces the value of a commented-out `# key = value` line, leaving it commented (the
    /// default it shows then matches this site).
    pub(super) fn set_commented(&mut self, b: &Block, key: &str, value: &str) {
        for i in b.start..b.end {
            if let Some(active) = self.lines[i].strip_prefix("# ")
                && line_key(active) == Some(key)
            {
                self.lines[i] = format!("# {}", replace_value(active, value));
            }
        }
    }

    /// Comments the key line out (a default then applies).
    pub(super) fn comment_key(&mut self, b: &Block, key: &str) {
        for i in b.start..b.end {
            if line_key(&self.lines[i]) == Some(key) {
                self.lines[i] = format!("# {}", self.lines[i]);
            }
        }
    }

    pub(super) fn comment_block(&mut self, b: &Block) {
        for l in &mut self.lines[b.start..b.end] {
            if !l.starts_with('#') {
                *l = format!("# {l}");
            }
        }
    }

    pub(super) fn uncomment_block(&mut self, b: &Block) {
        for l in &mut self.lines[b.start..b.end] {
            if let Some(rest) = l.strip_prefix("# ") {
                *l = rest.to_owned();
            }
        }
    }
}

/// The unquoted value of a TOML string literal as it appears in the example.
pub(super) fn unquote(v: &str) -> String {
    toml::from_str::<toml::Table>(&format!("v = {v}"))
        .ok()
        .and_then(|t| t.get("v").and_then(|v| v.as_str().map(str::to_owned)))
        .unwrap_or_else(|| v.trim_matches('"').to_owned())
}

/// `host` ready to be followed by `:port` or put in a URL (IPv6 in brackets).
pub(super) fn bracketed(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

/// The probe target for `method` pointing at `host`, keeping the example's port or URL path.
pub(super) fn retarget(method: &str, old: &str, host: &str) -> Result<String, InitError> {
    match method {
        "icmp" => Ok(host.to_owned()),
        "tcp" | "dns" => match old.rsplit_once(':') {
            Some((_, port)) if port.parse::<u16>().is_ok() && !old.ends_with(']') => {
                Ok(format!("{}:{port}", bracketed(host)))
            }
            _ => Ok(host.to_owned()),
        },
        "http" => url_with_host(old, host),
        other => Err(InitError::Template(format!(
            "unknown probe method {other:?}"
        ))),
    }
}

pub(super) fn url_with_host(old: &str, host: &str) -> Result<String, InitError> {
    let mut u = url::Url::parse(old)
        .map_err(|e| InitError::Template(format!("example URL {old:?}: {e}")))?;
    u.set_host(Some(&bracketed(host)))
        .map_err(|e| InitError::Template(format!("host {host:?} in {old:?}: {e}")))?;
    Ok(u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_value_keeps_comment_column() {
        assert_eq!(
            replace_value("name = \"wwan0\"   # x", "\"a\""),
            "name = \"a\"       # x"
        );
        assert_eq!(
            replace_value("name = \"w\" # x", "\"much longer\""),
            "name = \"much longer\"  # x"
        );
        assert_eq!(replace_value("id = \"a#b\"", "\"c\""), "id = \"c\"");
        assert_eq!(comment_start("\"a#b\" # c"), Some(6));
    }
}
