//! The words people read, in Vietnamese and English: one typed, compile-time catalogue per
//! language, with no runtime localisation engine.
//!
//! Each area of the user interface has its own table of strings in its own file, declared with
//! [`catalogue!`](crate::catalogue): a struct of `&'static str` fields plus an `EN` and a `VI`
//! constant of it. A missing key in one language does not compile; a template whose
//! placeholders (`{share}`) differ between the languages fails the key test below. The audit
//! report uses [`report`] and [`html`]; the agent's `check`, `init` and `decode` use [`agent`]
//! (directly, never through [`Catalogue`]: the agent links only what it uses, so it stays
//! small).
//!
//! Invariants: every string is non-empty in both languages; a template's placeholders are the
//! same set in both; commune, district and operator names are never translated (they are data,
//! not catalogue strings).

pub mod agent;
pub mod format;
pub mod html;
pub mod live;
pub mod operators;
pub mod report;
pub mod server;

use std::collections::BTreeSet;
use std::fmt::Display;

use serde::{Deserialize, Serialize};

/// Declares a catalogue table: a struct whose every field is a `&'static str`, with
/// `entries()` listing `(key, text)` pairs for the key-completeness test.
#[macro_export]
macro_rules! catalogue {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug)]
        $vis struct $name {
            $( $(#[$fmeta])* pub $field: &'static str, )*
        }

        impl $name {
            /// Every `(key, text)` of this table, in declaration order.
            pub fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![ $( (stringify!($field), self.$field), )* ]
            }
        }
    };
}

/// A language of the user interface.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// Vietnamese.
    Vi,
}

impl Lang {
    /// Every language, in a fixed order.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Vi];

    /// The ISO 639-1 code (`en`, `vi`), as `--lang` takes it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Vi => "vi",
        }
    }

    /// `en` or `vi` (ASCII case-insensitive); `None` otherwise.
    pub fn parse(text: &str) -> Option<Lang> {
        match text.to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "vi" => Some(Lang::Vi),
            _ => None,
        }
    }

    /// The default from a locale such as the `LANG` variable: `vi*` (`vi`, `vi_VN.UTF-8`) is
    /// Vietnamese, anything else (or nothing) English.
    pub fn from_locale(locale: Option<&str>) -> Lang {
        match locale {
            Some(l) if l.to_ascii_lowercase().starts_with("vi") => Lang::Vi,
            _ => Lang::En,
        }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Every table of one language.
#[derive(Debug)]
pub struct Catalogue {
    /// The language.
    pub lang: Lang,
    /// The audit report (every format).
    pub report: &'static report::ReportText,
    /// The HTML report and its map.
    pub html: &'static html::HtmlText,
    /// The collector's live map.
    pub live: &'static live::LiveText,
    /// The agent's field tools (`check`, `init`, `decode`).
    pub agent: &'static agent::AgentText,
    /// The collector's `check-config`.
    pub server: &'static server::ServerText,
}

impl Catalogue {
    /// Every `(table.key, text)` of this language.
    pub fn entries(&self) -> Vec<(String, &'static str)> {
        let tables: [(&str, Vec<(&'static str, &'static str)>); 5] = [
            ("report", self.report.entries()),
            ("html", self.html.entries()),
            ("live", self.live.entries()),
            ("agent", self.agent.entries()),
            ("server", self.server.entries()),
        ];
        tables
            .into_iter()
            .flat_map(|(t, e)| e.into_iter().map(move |(k, v)| (format!("{t}.{k}"), v)))
            .collect()
    }
}

/// The English catalogue.
pub static EN: Catalogue = Catalogue {
    lang: Lang::En,
    report: &report::EN,
    html: &html::EN,
    live: &live::EN,
    agent: &agent::EN,
    server: &server::EN,
};

/// The Vietnamese catalogue.
pub static VI: Catalogue = Catalogue {
    lang: Lang::Vi,
    report: &report::VI,
    html: &html::VI,
    live: &live::VI,
    agent: &agent::VI,
    server: &server::VI,
};

/// The catalogue of `lang`.
pub fn catalogue(lang: Lang) -> &'static Catalogue {
    match lang {
        Lang::En => &EN,
        Lang::Vi => &VI,
    }
}

/// The placeholders of a template: the names between `{` and `}`.
pub fn placeholders(template: &str) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                out.insert(&after[..end]);
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

/// Fills a template's `{name}` placeholders; a placeholder without an argument stays as it is
/// (the key test makes sure none is left in a catalogue).
pub fn fill(template: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        match args.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => out.push_str(&value.to_string()),
            None => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_have_every_key_with_the_same_placeholders() {
        let en = EN.entries();
        let vi = VI.entries();
        let en_keys: Vec<&str> = en.iter().map(|(k, _)| k.as_str()).collect();
        let vi_keys: Vec<&str> = vi.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            en_keys, vi_keys,
            "the tables list the same keys in the same order"
        );
        assert!(en.len() > 10, "{} keys", en.len());
        for ((key, e), (_, v)) in en.iter().zip(&vi) {
            assert!(!e.trim().is_empty(), "en {key} is empty");
            assert!(!v.trim().is_empty(), "vi {key} is empty");
            assert_eq!(
                placeholders(e),
                placeholders(v),
                "{key}: en {e:?} and vi {v:?} use different placeholders"
            );
        }
    }

    #[test]
    fn languages_parse_and_default_from_the_locale() {
        assert_eq!(Lang::parse("vi"), Some(Lang::Vi));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::from_locale(Some("vi_VN.UTF-8")), Lang::Vi);
        assert_eq!(Lang::from_locale(Some("en_US.UTF-8")), Lang::En);
        assert_eq!(Lang::from_locale(Some("C")), Lang::En);
        assert_eq!(Lang::from_locale(None), Lang::En);
        for l in Lang::ALL {
            assert_eq!(catalogue(l).lang, l);
            assert_eq!(Lang::parse(l.code()), Some(l));
        }
    }

    #[test]
    fn templates_fill() {
        assert_eq!(placeholders("a {x} b {y}{x}").len(), 2);
        assert_eq!(fill("{n} of {m}", &[("n", &3), ("m", &"ten")]), "3 of ten");
        assert_eq!(fill("{n} {unknown}", &[("n", &1)]), "1 {unknown}");
        assert_eq!(fill("open { brace", &[]), "open { brace");
    }
}
