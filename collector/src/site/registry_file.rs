//! Edits of the registry file (`sites.toml`) that keep what a person wrote in it: comments,
//! order and layout (`toml_edit`). Every edit is validated as the collector and the audit read
//! the file ([`SiteRegistry::parse`]) before it replaces the file, atomically, so a running
//! collector never reads a half-written or invalid registry.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use coverage_shared::site::{SiteEntry, SiteRegistry};
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, value};

use super::SiteError;

fn read(path: &Path) -> Result<(String, DocumentMut), SiteError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(SiteError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    let doc = text
        .parse::<DocumentMut>()
        .map_err(|e| SiteError::Registry {
            file: path.to_owned(),
            message: e.to_string(),
        })?;
    Ok((text, doc))
}

fn sites_mut<'d>(
    doc: &'d mut DocumentMut,
    path: &Path,
) -> Result<&'d mut toml_edit::ArrayOfTables, SiteError> {
    if !doc.contains_key("sites") {
        doc.insert("sites", Item::ArrayOfTables(Default::default()));
    }
    doc["sites"]
        .as_array_of_tables_mut()
        .ok_or_else(|| SiteError::Registry {
            file: path.to_owned(),
            message: "`sites` is not an array of tables ([[sites]])".into(),
        })
}

/// Validates `doc` as the registry and writes it over `path`.
fn commit(path: &Path, doc: &DocumentMut) -> Result<SiteRegistry, SiteError> {
    let text = doc.to_string();
    let registry = SiteRegistry::parse(&text, path).map_err(|e| SiteError::Registry {
        file: path.to_owned(),
        message: e.to_string(),
    })?;
    super::passwd::write_atomically(path, text.as_bytes(), 0o644).map_err(|source| {
        SiteError::Io {
            path: path.to_owned(),
            source,
        }
    })?;
    Ok(registry)
}

/// Appends `entry` as a new `[[sites]]` table; refuses an id already listed (retired or not:
/// an id names one site for ever, so past audits stay unambiguous).
pub fn add(path: &Path, entry: &SiteEntry) -> Result<SiteRegistry, SiteError> {
    let (text, mut doc) = read(path)?;
    let current = SiteRegistry::parse(&text, path).map_err(|e| SiteError::Registry {
        file: path.to_owned(),
        message: e.to_string(),
    })?;
    if current.sites.iter().any(|s| s.id == entry.id) {
        return Err(SiteError::Exists(entry.id.clone()));
    }
    let mut t = Table::new();
    t.insert("id", value(entry.id.as_str()));
    t.insert("lat", value(entry.lat));
    t.insert("lon", value(entry.lon));
    if let Some(c) = &entry.commune {
        let mut commune = InlineTable::new();
        commune.insert("set", c.set.as_str().into());
        commune.insert("code", c.code.as_str().into());
        t.insert("commune", value(commune));
    }
    if !entry.operators.is_empty() {
        let ops: Array = entry.operators.iter().map(String::as_str).collect();
        t.insert("operators", value(ops));
    }
    for (key, v) in [
        ("contracted_down_mbps", entry.contracted_down_mbps),
        ("contracted_up_mbps", entry.contracted_up_mbps),
    ] {
        if let Some(v) = v {
            t.insert(key, value(v));
        }
    }
    if !doc.contains_key("sites") {
        // A file without sites yet: its comments (toml_edit keeps them as the document's
        // trailing text) stay above the first site rather than below it.
        let head = doc.trailing().as_str().unwrap_or_default().to_owned();
        if !head.trim().is_empty() {
            t.decor_mut().set_prefix(format!("{}\n", head.trim_end()));
            doc.set_trailing("");
        }
    }
    sites_mut(&mut doc, path)?.push(t);
    commit(path, &doc)
}

/// Sets `retired = at` on site `id`; the entry stays (audits of earlier periods need it).
pub fn retire(path: &Path, id: &str, at: DateTime<Utc>) -> Result<SiteRegistry, SiteError> {
    let (_, mut doc) = read(path)?;
    let sites = sites_mut(&mut doc, path)?;
    let Some(t) = sites
        .iter_mut()
        .find(|t| t.get("id").and_then(Item::as_str) == Some(id))
    else {
        return Err(SiteError::Unknown(id.to_owned()));
    };
    if let Some(r) = t.get("retired").and_then(Item::as_str) {
        return Err(SiteError::AlreadyRetired {
            id: id.to_owned(),
            at: r.to_owned(),
        });
    }
    t.insert(
        "retired",
        value(at.to_rfc3339_opts(SecondsFormat::Secs, true)),
    );
    commit(path, &doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use coverage_shared::wire::CommuneRef;

    #[test]
    fn add_and_retire_keep_comments_and_validate() {
        let dir = std::env::temp_dir().join(format!("registry-edit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("sites.toml");
        let original =
            "# Our sites.\n\n[[sites]]\nid = \"a\"   # the first\nlat = 22.1\nlon = 105.8\n";
        std::fs::write(&f, original).unwrap();
        let mut b = SiteEntry::at("b", 22.162534, 105.844234);
        b.commune = Some(CommuneRef {
            set: "bac-kan-2020".into(),
            code: "01834".into(),
        });
        b.operators = vec!["452-04".into()];
        let r = add(&f, &b).unwrap();
        assert_eq!(r.sites.len(), 2);
        assert_eq!(r.sites[1], b);
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(text.starts_with(original), "{text}");
        assert!(matches!(add(&f, &b), Err(SiteError::Exists(_))));

        let at = "2026-12-03T08:00:00Z".parse().unwrap();
        let r = retire(&f, "a", at).unwrap();
        assert_eq!(r.sites[0].retired, Some(at));
        assert!(std::fs::read_to_string(&f).unwrap().contains("# the first"));
        assert!(matches!(
            retire(&f, "a", at),
            Err(SiteError::AlreadyRetired { .. })
        ));
        assert!(matches!(retire(&f, "zz", at), Err(SiteError::Unknown(_))));
        // A registry that would not load is never written.
        let mut bad = SiteEntry::at("c", 95.0, 105.8);
        bad.operators = vec![];
        let before = std::fs::read_to_string(&f).unwrap();
        let err = add(&f, &bad).unwrap_err().to_string();
        assert!(
            err.contains("sites.toml") && err.contains("sites[2]"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&f).unwrap(), before);
        // A file with only a comment keeps it first.
        let g = dir.join("empty.toml");
        std::fs::write(&g, "# Our sites.\n").unwrap();
        add(&g, &SiteEntry::at("x", 22.1, 105.8)).unwrap();
        let text = std::fs::read_to_string(&g).unwrap();
        assert!(
            text.starts_with("# Our sites.\n[[sites]]\nid = \"x\""),
            "{text}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
