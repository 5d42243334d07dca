//! The technician's files for a new site: `agent.toml` (the site, the broker, one
//! ModemManager modem, the fibre probe to fill in), `mqtt-password` (mode 0600) and the
//! broker's CA as `ca.crt`, in a directory of their own, ready for `/etc/coverage-agent/`.

use std::path::Path;

use coverage_shared::site::SiteEntry;

use super::SiteError;
use super::passwd::write_atomically;
use crate::config::ProvisioningConfig;

/// The `agent.toml` of `site` reaching the broker at `broker_url`.
pub fn text(site: &SiteEntry, broker_url: &str, with_ca: bool) -> String {
    let commune = site.commune.as_ref().map_or_else(String::new, |c| {
        format!(
            "commune = {{ set = \"{}\", code = \"{}\" }}   # checked by `coverage-agent check`\n",
            c.set, c.code
        )
    });
    let ca = if with_ca {
        "ca_file = \"ca.crt\"                 # the broker's CA (beside this file)\n"
    } else {
        ""
    };
    format!(
        "# coverage-agent config for site {id}, written by `coverage-collector site add`.\n\
         # Check it on the box: `coverage-agent check --config /etc/coverage-agent/agent.toml`.\n\
         # Every key: /usr/share/doc/coverage-agent/agent.example.toml.\n\
         \n\
         [site]\n\
         id = \"{id}\"\n\
         lat = {lat}\n\
         lon = {lon}\n\
         {commune}\
         placement = \"indoor\"                # indoor | outdoor | vehicle\n\
         \n\
         [mqtt]\n\
         url = \"{broker_url}\"\n\
         username = \"{id}\"\n\
         password_file = \"mqtt-password\"     # beside this file (0600, or 0640 group coverage-agent)\n\
         {ca}\
         \n\
         [[modems]]\n\
         driver = \"mmcli\"                    # ModemManager; AT drivers: see the example config\n\
         name = \"wwan0\"\n\
         \n\
         # The fibre probe: set the provincial data centre's address and the fibre interface.\n\
         # [[probes]]\n\
         # name = \"dc-ping\"\n\
         # method = \"icmp\"\n\
         # target = \"10.6.0.1\"\n\
         # link = \"fibre\"\n\
         # interface = \"eth0\"\n",
        id = site.id,
        lat = site.lat,
        lon = site.lon,
    )
}

/// Writes the files into `dir` (created; it must not exist); returns whether a CA was copied.
pub fn write(
    dir: &Path,
    site: &SiteEntry,
    prov: &ProvisioningConfig,
    password: &str,
) -> Result<bool, SiteError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| SiteError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let ca = match &prov.agent_ca_file {
        Some(src) => {
            let bytes = std::fs::read(src).map_err(io(src))?;
            let dst = dir.join("ca.crt");
            write_atomically(&dst, &bytes, 0o644).map_err(io(&dst))?;
            true
        }
        None => false,
    };
    let pw = dir.join("mqtt-password");
    write_atomically(&pw, format!("{password}\n").as_bytes(), 0o600).map_err(io(&pw))?;
    let cfg = dir.join("agent.toml");
    write_atomically(
        &cfg,
        text(site, &prov.agent_broker_url, ca).as_bytes(),
        0o644,
    )
    .map_err(io(&cfg))?;
    Ok(ca)
}
