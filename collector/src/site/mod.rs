//! `coverage-collector site add | list | retire`: provisioning a site in one command. `add`
//! places the position (refusing a commune that does not exist, warning when the position
//! lies in another one), adds the site to the registry file, gives it a strong password in the
//! broker's password file, reloads the broker, and writes the technician's files (`agent.toml`,
//! `mqtt-password`, the broker's CA). `retire` sets the site's end date in the registry (never
//! deletes it: past audits stay reproducible) and removes its broker login, so mosquitto ends
//! its session at the reload. A running collector picks up the registry itself
//! ([`crate::registry`]). The broker's ACL (`deploy/mosquitto/acl`) is per user name, so a new
//! site needs no ACL change.

pub mod agent_config;
pub mod passwd;
pub mod registry_file;

use std::fmt::Display;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use coverage_shared::boundary::BoundaryRegistry;
use coverage_shared::site::{SiteEntry, SiteRegistry};
use coverage_shared::text::server::text;
use coverage_shared::text::{Lang, fill};
use coverage_shared::wire::CommuneRef;

use crate::check::report::Check;
use crate::config::{Config, ProvisioningConfig};

/// What can go wrong provisioning a site; each names the file, key or value at fault. Said in
/// the operator's language by [`SiteError::localized`]; `Display` is the English.
#[derive(Debug)]
pub enum SiteError {
    /// The config has no `[registry]`.
    NoRegistry(PathBuf),
    /// The config has no `[provisioning]`.
    NoProvisioning(PathBuf),
    /// The registry file cannot be read or would not be valid.
    Registry {
        /// The registry file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A file cannot be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The id is listed already.
    Exists(String),
    /// The id is not listed.
    Unknown(String),
    /// The site was retired already.
    AlreadyRetired {
        /// Site id.
        id: String,
        /// When.
        at: String,
    },
    /// `--commune` is not `SET:CODE`.
    CommuneSyntax(String),
    /// `--commune` names a set the collector does not know (the boundary registry's message).
    Commune(String),
    /// `--commune` names no commune of its set.
    NoSuchCommune {
        /// The argument.
        arg: String,
        /// Its set.
        set: String,
        /// Its code.
        code: String,
        /// The position.
        lat: f64,
        /// The position.
        lon: f64,
    },
    /// No `--commune`, and no set is in force today.
    NoSetInForce,
    /// No `--commune`, and the position lies in no commune.
    Outside {
        /// The position.
        lat: f64,
        /// The position.
        lon: f64,
        /// The set in force.
        set: String,
    },
    /// The technician's directory exists.
    OutExists(PathBuf),
    /// The password file has the login, the registry not the site.
    LoginExists {
        /// The password file.
        passwd: PathBuf,
        /// Site id.
        id: String,
    },
    /// Another argument is wrong (`--id`, `--operator`, `--lat/--lon`: the model's message).
    Invalid(String),
    /// The broker's reload command failed.
    Reload {
        /// The command.
        command: String,
        /// Its error or exit status and standard error.
        detail: String,
    },
}

impl SiteError {
    /// The error in `lang`, naming the file, argument or value at fault.
    pub fn localized(&self, lang: Lang) -> String {
        let t = text(lang);
        let d = |p: &PathBuf| p.display().to_string();
        match self {
            Self::NoRegistry(f) => fill(t.site_err_no_registry, &[("file", &d(f))]),
            Self::NoProvisioning(f) => fill(t.site_err_no_provisioning, &[("file", &d(f))]),
            Self::Registry { file, message } => format!("{}: {message}", file.display()),
            Self::Io { path, source } => format!("{}: {source}", path.display()),
            Self::Exists(id) => fill(t.site_err_exists, &[("id", id)]),
            Self::Unknown(id) => fill(t.site_err_unknown, &[("id", id)]),
            Self::AlreadyRetired { id, at } => {
                fill(t.site_err_already_retired, &[("id", id), ("at", at)])
            }
            Self::CommuneSyntax(arg) => fill(t.site_err_commune_syntax, &[("arg", arg)]),
            Self::Commune(message) => format!("--commune {message}"),
            Self::NoSuchCommune {
                arg,
                set,
                code,
                lat,
                lon,
            } => fill(
                t.site_err_no_such_commune,
                &[
                    ("arg", arg),
                    ("set", set),
                    ("code", code),
                    ("lat", lat),
                    ("lon", lon),
                ],
            ),
            Self::NoSetInForce => t.site_err_no_set.to_owned(),
            Self::Outside { lat, lon, set } => fill(
                t.site_err_outside,
                &[("lat", lat), ("lon", lon), ("set", set)],
            ),
            Self::OutExists(dir) => fill(t.site_err_out_exists, &[("dir", &d(dir))]),
            Self::LoginExists { passwd, id } => fill(
                t.site_err_login_exists,
                &[("passwd", &d(passwd)), ("id", id)],
            ),
            Self::Invalid(message) => message.clone(),
            Self::Reload { command, detail } => fill(
                t.site_err_reload,
                &[("command", command), ("detail", detail)],
            ),
        }
    }
}

impl std::fmt::Display for SiteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.localized(Lang::En))
    }
}

impl std::error::Error for SiteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// `site add`'s arguments.
#[derive(Debug, Clone)]
pub struct AddSite {
    /// Site id (its MQTT user name).
    pub id: String,
    /// `SET:CODE`; `None`: the commune the position lies in.
    pub commune: Option<String>,
    /// Surveyed latitude.
    pub lat: f64,
    /// Surveyed longitude.
    pub lon: f64,
    /// `MCC-MNC` (or names) of the site's SIMs.
    pub operators: Vec<String>,
    /// Where the technician's files go (`./<id>` by default).
    pub out: Option<PathBuf>,
}

fn needs(cfg: &Config) -> Result<(&Path, &ProvisioningConfig), SiteError> {
    let registry = cfg
        .registry
        .file
        .as_deref()
        .ok_or_else(|| SiteError::NoRegistry(cfg.file.clone()))?;
    let prov = cfg
        .provisioning
        .as_ref()
        .ok_or_else(|| SiteError::NoProvisioning(cfg.file.clone()))?;
    Ok((registry, prov))
}

/// Resolves `--commune SET:CODE` (or the commune the position lies in), refusing one that does
/// not exist; returns it with the commune's display name.
fn resolve_commune(
    add: &AddSite,
    bounds: &BoundaryRegistry,
) -> Result<(CommuneRef, String), SiteError> {
    match &add.commune {
        Some(arg) => {
            let (set_name, code) = arg
                .split_once(':')
                .ok_or_else(|| SiteError::CommuneSyntax(arg.clone()))?;
            let set = bounds
                .get(set_name)
                .map_err(|e| SiteError::Commune(format!("{arg}: {e}")))?;
            let c = set.commune(code).ok_or_else(|| SiteError::NoSuchCommune {
                arg: arg.clone(),
                set: set_name.to_owned(),
                code: code.to_owned(),
                lat: add.lat,
                lon: add.lon,
            })?;
            Ok((
                CommuneRef {
                    set: set_name.to_owned(),
                    code: code.to_owned(),
                },
                format!("{} {} ({set_name})", c.code, c.name),
            ))
        }
        None => {
            let set = bounds
                .in_force_at(Utc::now())
                .ok_or(SiteError::NoSetInForce)?;
            let c = set
                .locate(add.lat, add.lon)
                .commune
                .ok_or_else(|| SiteError::Outside {
                    lat: add.lat,
                    lon: add.lon,
                    set: set.name().to_owned(),
                })?;
            Ok((
                CommuneRef {
                    set: set.name().to_owned(),
                    code: c.code.clone(),
                },
                format!("{} {} ({})", c.code, c.name, set.name()),
            ))
        }
    }
}

/// Runs the broker's reload command, if any; returns the line to print.
fn reload(prov: &ProvisioningConfig, lang: Lang) -> Result<String, SiteError> {
    let t = text(lang);
    let Some((program, args)) = prov.reload.split_first() else {
        return Ok(fill(
            t.site_no_reload,
            &[("passwd", &prov.password_file.display() as &dyn Display)],
        ));
    };
    let command = prov.reload.join(" ");
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .map_err(|e| SiteError::Reload {
            command: command.clone(),
            detail: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(SiteError::Reload {
            command,
            detail: format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    Ok(fill(
        t.site_reloaded,
        &[("command", &command as &dyn Display)],
    ))
}

/// `site add`: returns the lines to print (warnings about the position first).
pub fn add(
    cfg: &Config,
    bounds: &BoundaryRegistry,
    add: &AddSite,
    lang: Lang,
) -> Result<Vec<String>, SiteError> {
    let t = text(lang);
    let (registry_file, prov) = needs(cfg)?;
    coverage_shared::topic::validate_site(&add.id)
        .map_err(|e| SiteError::Invalid(format!("--id {:?}: {e}", add.id)))?;
    let (commune, place) = resolve_commune(add, bounds)?;
    let mut entry = SiteEntry::at(&add.id, add.lat, add.lon);
    entry.commune = Some(commune);
    entry.operators = add.operators.clone();
    // Validated (and operator names made codes) as the registry will be read.
    let entry = SiteRegistry::from_sites(vec![entry])
        .map_err(|(key, problem)| {
            let arg = key
                .replace("sites[0].operators", "--operator")
                .replace("sites[0].id", "--id")
                .replace("sites[0]", "--lat/--lon");
            SiteError::Invalid(format!("{arg}: {problem}"))
        })?
        .sites
        .remove(0);
    // The same placement check as `check`: a warning naming the commune it lies in.
    let mut lines: Vec<String> = crate::check::files::registry_checks(
        &SiteRegistry {
            sites: vec![entry.clone()],
            file: Some(registry_file.to_owned()),
            sha256: String::new(),
        },
        bounds,
        lang,
    )
    .into_iter()
    .filter(|c| c.status != crate::check::report::Status::Pass)
    .map(|c: Check| match c.fix {
        Some(fix) => format!("! {}\n  -> {fix}", c.detail),
        None => format!("! {}", c.detail),
    })
    .collect();
    let out = add.out.clone().unwrap_or_else(|| PathBuf::from(&add.id));
    if out.exists() {
        return Err(SiteError::OutExists(out));
    }
    if passwd::has_user(&prov.password_file, &add.id).map_err(|source| SiteError::Io {
        path: prov.password_file.clone(),
        source,
    })? {
        return Err(SiteError::LoginExists {
            passwd: prov.password_file.clone(),
            id: add.id.clone(),
        });
    }
    let registry = registry_file::add(registry_file, &entry)?;
    let password = passwd::generate();
    passwd::set(&prov.password_file, &add.id, Some(&passwd::hash(&password))).map_err(
        |source| SiteError::Io {
            path: prov.password_file.clone(),
            source,
        },
    )?;
    let ca = agent_config::write(&out, &entry, prov, &password)?;
    lines.push(fill(
        t.site_added,
        &[
            ("id", &add.id as &dyn Display),
            ("registry", &registry_file.display()),
            ("n", &registry.sites.len()),
            ("place", &place),
        ],
    ));
    lines.push(fill(
        t.site_login,
        &[("passwd", &prov.password_file.display() as &dyn Display)],
    ));
    lines.push(fill(
        t.site_agent_files,
        &[
            ("dir", &out.display() as &dyn Display),
            ("ca", &if ca { ", ca.crt" } else { "" }),
        ],
    ));
    lines.push(reload(prov, lang)?);
    Ok(lines)
}

/// `site retire`: returns the lines to print.
pub fn retire(
    cfg: &Config,
    id: &str,
    at: DateTime<Utc>,
    lang: Lang,
) -> Result<Vec<String>, SiteError> {
    let t = text(lang);
    let (registry_file, prov) = needs(cfg)?;
    registry_file::retire(registry_file, id, at)?;
    passwd::set(&prov.password_file, id, None).map_err(|source| SiteError::Io {
        path: prov.password_file.clone(),
        source,
    })?;
    Ok(vec![
        fill(
            t.site_retired,
            &[
                ("id", &id as &dyn Display),
                ("at", &at.to_rfc3339_opts(SecondsFormat::Secs, true)),
                ("registry", &registry_file.display()),
            ],
        ),
        reload(prov, lang)?,
    ])
}

/// One site's status as `GET /api/v1/sites` gives it.
#[derive(Debug, serde::Deserialize)]
struct ApiSite {
    site: String,
    status: String,
    #[serde(default)]
    last_reading: Option<String>,
}

/// `site list`: the registry with each site's status from the running collector
/// (`GET /api/v1/sites` on `[http] listen`, with its token), or why there is none.
pub async fn list(cfg: &Config, lang: Lang) -> Result<String, SiteError> {
    let t = text(lang);
    // The registry as `Config::load` read and validated it a moment ago.
    let registry = &cfg.registry;
    let file = registry
        .file
        .as_deref()
        .ok_or_else(|| SiteError::NoRegistry(cfg.file.clone()))?;
    if registry.sites.is_empty() {
        return Ok(fill(
            t.site_none,
            &[("registry", &file.display() as &dyn Display)],
        ) + "\n");
    }
    let url = format!("http://{}/api/v1/sites", cfg.http.listen);
    coverage_net::tls::ensure_crypto_provider();
    let statuses: Result<Vec<ApiSite>, String> = async {
        let mut req = reqwest::Client::new()
            .get(&url)
            .timeout(std::time::Duration::from_secs(5));
        if let Some(token) = &cfg.http_token {
            req = req.bearer_auth(token.expose());
        }
        let resp = req.send().await.map_err(|e| e.to_string())?;
        let resp = resp.error_for_status().map_err(|e| e.to_string())?;
        let body: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
        let sites = body.get("sites").cloned().unwrap_or(body);
        serde_json::from_value(sites).map_err(|e| e.to_string())
    }
    .await;
    let statuses = statuses.map(|list| {
        list.into_iter()
            .map(|a| (a.site.clone(), a))
            .collect::<std::collections::HashMap<_, _>>()
    });
    let mut out = String::new();
    out.push_str(t.site_list_header);
    out.push('\n');
    for s in &registry.sites {
        let commune = s
            .commune
            .as_ref()
            .map_or_else(|| "-".to_owned(), |c| format!("{}:{}", c.set, c.code));
        let (status, seen) = match &statuses {
            Ok(by_site) => match by_site.get(s.id.as_str()) {
                Some(a) => (
                    a.status.clone(),
                    a.last_reading.clone().unwrap_or("-".into()),
                ),
                None => ("-".to_owned(), "-".to_owned()),
            },
            Err(_) => ("?".to_owned(), "?".to_owned()),
        };
        let retired = s.retired.map_or_else(
            || "-".to_owned(),
            |r| r.to_rfc3339_opts(SecondsFormat::Secs, true),
        );
        out.push_str(&format!(
            "{}\t{commune}\t{status}\t{seen}\t{retired}\n",
            s.id
        ));
    }
    if let Err(error) = &statuses {
        out.push_str(&fill(
            t.site_status_unknown,
            &[("url", &url as &dyn Display), ("error", error)],
        ));
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_is_said_in_both_languages_naming_what_is_wrong() {
        let errors = [
            SiteError::NoRegistry("c.toml".into()),
            SiteError::NoProvisioning("c.toml".into()),
            SiteError::Exists("bk-1".into()),
            SiteError::Unknown("bk-1".into()),
            SiteError::AlreadyRetired {
                id: "bk-1".into(),
                at: "2026-12-03T08:00:00Z".into(),
            },
            SiteError::CommuneSyntax("01834".into()),
            SiteError::NoSuchCommune {
                arg: "bac-kan-2020:99999".into(),
                set: "bac-kan-2020".into(),
                code: "99999".into(),
                lat: 22.1625,
                lon: 105.8442,
            },
            SiteError::NoSetInForce,
            SiteError::Outside {
                lat: 10.0,
                lon: 100.0,
                set: "thai-nguyen-2025".into(),
            },
            SiteError::OutExists("bk-1".into()),
            SiteError::LoginExists {
                passwd: "passwd".into(),
                id: "bk-1".into(),
            },
            SiteError::Reload {
                command: "systemctl reload mosquitto".into(),
                detail: "exit status: 1".into(),
            },
        ];
        for e in &errors {
            let (en, vi) = (e.localized(Lang::En), e.localized(Lang::Vi));
            assert_eq!(e.to_string(), en);
            assert_ne!(en, vi, "{e:?} has no Vietnamese");
            assert!(!en.contains('{') && !vi.contains('{'), "{en} / {vi}");
        }
        let e = &errors[6];
        for lang in [Lang::En, Lang::Vi] {
            let said = e.localized(lang);
            assert!(said.contains("99999") && said.contains("22.1625"), "{said}");
        }
    }
}
