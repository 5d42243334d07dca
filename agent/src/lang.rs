//! The language of the technician's tools (`check`, `init`, `decode`): `--lang vi|en`, else
//! the `LANG` variable (`vi*` is Vietnamese, anything else English). The words themselves are
//! in the shared catalogue's agent table, `coverage_shared::text::agent`.

use coverage_shared::text::Lang;

/// `--lang`, shared by the commands that speak to the technician.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct LangArg {
    /// Language of the output: `vi` (Tiếng Việt) or `en`; default from `LANG` (`vi_VN.UTF-8`
    /// is Vietnamese, anything else English).
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<Lang>,
}

impl LangArg {
    /// The language asked for, else the one of `LANG`.
    pub fn resolve(self) -> Lang {
        self.lang
            .unwrap_or_else(|| Lang::from_locale(std::env::var("LANG").ok().as_deref()))
    }
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("{s:?} is not a language this tool speaks: vi or en"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_language_wins() {
        let vi = LangArg {
            lang: Some(Lang::Vi),
        };
        assert_eq!(vi.resolve(), Lang::Vi);
        assert!(parse_lang("fr").unwrap_err().contains("vi or en"));
        assert_eq!(parse_lang("VI"), Ok(Lang::Vi));
    }
}
