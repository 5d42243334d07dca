//! Render and verify for `coverage-agent init`: [`render`] puts the [`Settings`] into the
//! example config with the line editor (the chosen modem table uncommented, the others
//! commented out, fibre probes on the fibre interface and target, mobile probes on the mobile
//! interface); [`verify`] loads the text with the agent's own config loader and compares the
//! values read back with those given.

use super::args::{ModemChoice, Settings};
use super::template::{Template, retarget, toml_float, toml_string, unquote, url_with_host};
use super::{EXAMPLE_CONFIG, InitError};
use crate::config::AgentConfig;
use coverage_shared::wire::Method;
use std::path::Path;

/// The config text for `s`: the example with the site's values in place, and a first line
/// saying where it came from.
pub fn render(s: &Settings) -> Result<String, InitError> {
    let mut t = Template::new(EXAMPLE_CONFIG);

    let site = t.block("site")?;
    t.set(&site, "id", &toml_string(&s.site))?;
    t.set(&site, "lat", &toml_float(s.lat))?;
    t.set(&site, "lon", &toml_float(s.lon))?;
    t.set(&site, "placement", &toml_string(&s.placement))?;
    t.set(&site, "antenna", &toml_string(&s.antenna))?;
    t.set(
        &site,
        "commune",
        &format!(
            "{{ set = {}, code = {} }}",
            toml_string(&s.commune.0),
            toml_string(&s.commune.1)
        ),
    )?;

    let mqtt = t.block("mqtt")?;
    t.set(&mqtt, "url", &toml_string(&s.broker))?;
    t.set(&mqtt, "username", &toml_string(&s.site))?;
    t.set(
        &mqtt,
        "password_file",
        &toml_string(&s.credentials_file.to_string_lossy()),
    )?;
    t.set_commented(
        &mqtt,
        "client_id",
        &toml_string(&format!("agent-{}", s.site)),
    );
    match &s.ca_file {
        Some(ca) => t.set(&mqtt, "ca_file", &toml_string(&ca.to_string_lossy()))?,
        None => t.comment_key(&mqtt, "ca_file"),
    }

    // Modems: the chosen driver's table on, the others off.
    let driver = s.modem.driver();
    let mut chosen = None;
    for b in t.blocks().into_iter().filter(|b| b.table == "modems") {
        let d = t.get(&b, "driver").map(|v| unquote(&v));
        if d.as_deref() == Some(driver) && chosen.is_none() {
            if t.is_commented(&b) {
                t.uncomment_block(&b);
            }
            chosen = Some(b);
        } else if !t.is_commented(&b) {
            t.comment_block(&b);
        }
    }
    let modem = chosen.ok_or_else(|| {
        InitError::Template(format!("no [[modems]] table with driver = \"{driver}\""))
    })?;
    match &s.modem {
        ModemChoice::Mmcli { index } => {
            if let Some(i) = index {
                t.set(&modem, "index", &i.to_string())?;
            }
        }
        ModemChoice::At { port, vendor } => {
            let vendor = vendor.as_deref().unwrap_or("generic");
            t.set(&modem, "name", &toml_string("modem0"))?;
            t.set(&modem, "port", &toml_string(port))?;
            t.set(&modem, "vendor", &toml_string(vendor))?;
        }
        ModemChoice::Simulated { preset } => {
            if let Some(p) = preset {
                t.set(&modem, "preset", &toml_string(p))?;
            }
        }
    }

    // Probes and throughput tests: fibre ones to the target over the fibre interface, mobile
    // ones over the mobile interface (or off).
    let mut fibre_probes = 0;
    for b in t.blocks() {
        if t.is_commented(&b) || !(b.table == "probes" || b.table == "throughput") {
            continue;
        }
        let link = t.get(&b, "link").map(|v| unquote(&v));
        match link.as_deref() {
            Some("fibre") => {
                t.set(&b, "interface", &toml_string(&s.fibre_interface))?;
                if b.table == "probes" {
                    let method = t.get(&b, "method").map(|v| unquote(&v)).unwrap_or_default();
                    let old = t.get(&b, "target").map(|v| unquote(&v)).unwrap_or_default();
                    t.set(
                        &b,
                        "target",
                        &toml_string(&retarget(&method, &old, &s.target)?),
                    )?;
                    fibre_probes += 1;
                } else {
                    let old = t.get(&b, "url").map(|v| unquote(&v)).unwrap_or_default();
                    t.set(&b, "url", &toml_string(&url_with_host(&old, &s.target)?))?;
                }
            }
            Some("mobile") => match &s.mobile_interface {
                Some(i) => t.set(&b, "interface", &toml_string(i))?,
                None => t.comment_block(&b),
            },
            _ => {}
        }
    }
    if fibre_probes == 0 {
        return Err(InitError::Template(
            "no fibre probe to point at the target".into(),
        ));
    }

    Ok(format!(
        "# Written by `coverage-agent init` (agent {}) from the commented example config.\n{}",
        crate::run::AGENT_VERSION,
        t.text()
    ))
}

/// Parses `text` as the agent will and checks it says what `s` says.
pub fn verify(text: &str, path: &Path, s: &Settings) -> Result<AgentConfig, InitError> {
    let cfg = AgentConfig::parse(text, path)
        .map_err(|e| InitError::Template(format!("the written config does not load: {e}")))?;
    let mut wrong = Vec::new();
    if cfg.site.id != s.site || cfg.mqtt.username.as_deref() != Some(s.site.as_str()) {
        wrong.push("site id");
    }
    if cfg.site.lat != s.lat || cfg.site.lon != s.lon {
        wrong.push("position");
    }
    if cfg.site.commune.as_ref().is_none_or(|c| {
        (c.set.as_str(), c.code.as_str()) != (s.commune.0.as_str(), s.commune.1.as_str())
    }) {
        wrong.push("commune");
    }
    if cfg.mqtt.url != s.broker
        || cfg.mqtt.password_file.as_deref() != Some(s.credentials_file.as_path())
        || cfg.mqtt.ca_file != s.ca_file
    {
        wrong.push("mqtt");
    }
    let driver_ok = cfg.modems.len() == 1
        && matches!(
            (&cfg.modems[0], &s.modem),
            (
                crate::modem::ModemConfig::Mmcli(_),
                ModemChoice::Mmcli { .. }
            ) | (crate::modem::ModemConfig::At(_), ModemChoice::At { .. })
                | (
                    crate::modem::ModemConfig::Simulated(_),
                    ModemChoice::Simulated { .. }
                )
        );
    if !driver_ok {
        wrong.push("modem");
    }
    for p in &cfg.probes {
        let link = p.link().as_str();
        let ok = match link {
            "fibre" => {
                p.interface() == Some(s.fibre_interface.as_str()) && p.target().host() == s.target
            }
            "mobile" => p.interface() == s.mobile_interface.as_deref(),
            _ => true,
        };
        if !ok {
            wrong.push("probes");
        }
    }
    if !cfg
        .probes
        .iter()
        .any(|p| p.method() == Method::Icmp || p.method() == Method::Tcp)
    {
        wrong.push("probes");
    }
    wrong.dedup();
    if !wrong.is_empty() {
        return Err(InitError::Template(format!(
            "the written config has other values than given for: {}",
            wrong.join(", ")
        )));
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example_settings() -> Settings {
        Settings {
            site: "tn-01840-a".into(),
            lat: 22.162534,
            lon: 105.844234,
            commune: ("thai-nguyen-2025".into(), "01840".into()),
            broker: "mqtts://broker.example.invalid:8883".into(),
            credentials_file: "mqtt-password".into(),
            ca_file: Some("ca.crt".into()),
            modem: ModemChoice::Mmcli { index: None },
            fibre_interface: "eth0".into(),
            target: "10.6.0.1".into(),
            mobile_interface: Some("wwan0".into()),
            placement: "indoor".into(),
            antenna: "external".into(),
            place: None,
            notes: vec![],
        }
    }

    #[test]
    fn the_example_values_give_the_example_back() {
        let text = render(&example_settings()).unwrap();
        let (first, rest) = text.split_once('\n').unwrap();
        assert!(first.starts_with("# Written by `coverage-agent init`"));
        assert_eq!(
            rest, EXAMPLE_CONFIG,
            "init must write the example's structure and comments"
        );
    }
}
