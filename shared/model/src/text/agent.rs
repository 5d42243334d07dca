//! The field technician's words: the agent's `check` screen, the `init` prompts and errors, and
//! the `decode` summary, in English and Vietnamese.
//!
//! The agent links this table alone (never [`Catalogue`](super::Catalogue), which holds the
//! report's tables too), so the other languages' reports add nothing to its binary. Templates
//! name their values in braces (`{iface}`); [`fill`](super::fill) puts them in. Commands, config
//! keys (`mqtt.ca_file`), file paths and wire names (`lte`, `home`) are the same in both
//! languages: the technician types them as shown.
//!
//! Invariant (checked by the catalogue test): both languages have every key, with the same
//! placeholders; Vietnamese uses the terms of `docs/reference/glossary-vi.md` (điểm đo, thiết bị
//! đo, nhà mạng, mẫu đo, ngưỡng, mức tín hiệu thu; "bị từ chối (máy chủ có phản hồi, cổng
//! đóng)" for a refused TCP probe).

use super::Lang;

crate::catalogue! {
    /// The agent's strings (`check`, `init`, `decode`), one table per language.
    pub struct AgentText {
        /// The label before a fix on the check screen.
        fix_label,
        /// The check screen's last line: `{checks}` is `checks_one`/`checks_many`, `{warnings}` is
        /// `warnings_one`/`warnings_many`.
        summary,
        /// One check.
        checks_one,
        /// Several checks.
        checks_many,
        /// One warning.
        warnings_one,
        /// Several warnings.
        warnings_many,
        /// Check name: the config.
        name_config,
        /// Check name: the state directory.
        name_state,
        /// Check name: a modem (`modem sim0`).
        name_modem,
        /// Check name: a modem's signal.
        name_signal,
        /// Check name: a modem's registration.
        name_network,
        /// Check name: a latency probe.
        name_probe,
        /// Check name: the MQTT broker.
        name_broker,
        /// Check name: the clock.
        name_clock,
        /// Check name: the commune.
        name_commune,
        /// A duration in seconds, `{n}`.
        unit_s,
        /// A duration in minutes, `{n}`.
        unit_min,
        /// A duration in hours, `{n}`.
        unit_h,
        /// A duration in days, `{n}`.
        unit_days,
        /// `{n}` of a thing in the singular (`1 modem`): `{what}` is the word.
        count_one,
        /// Word: modem, singular.
        word_modem,
        /// Word: modems, plural.
        word_modems,
        /// Word: probe, singular.
        word_probe,
        /// Word: probes, plural.
        word_probes,
        /// The config loaded: `{file}`, `{site}`, `{modems}` (`1 modem`), `{probes}`.
        config_ok,
        /// Fix: the config file does not exist.
        config_fix_missing,
        /// Fix: the config cannot be read.
        config_fix_unreadable,
        /// Fix: the TOML does not parse or has an unknown key.
        config_fix_parse,
        /// Fix: a value is not acceptable, `{key}`.
        config_fix_invalid,
        /// Added to the parser's message for an unknown key: `{key}` written, `{known}` the nearest
        /// known key.
        config_did_you_mean,
        /// Warning: the config has no modem.
        config_no_modem,
        /// Fix: add a modem.
        config_no_modem_fix,
        /// The clock is before 2020: `{time}`.
        clock_before_2020,
        /// Fix: set the time.
        clock_before_2020_fix,
        /// Synchronised, but long ago: `{age}`.
        clock_stale,
        /// Fix: the NTP server is unreachable.
        clock_stale_fix,
        /// Synchronised, `{age}` ago.
        clock_synced_age,
        /// Synchronised.
        clock_synced,
        /// Not synchronised.
        clock_not_synced,
        /// Fix: enable NTP.
        clock_not_synced_fix,
        /// The clock's status is unknown.
        clock_unknown,
        /// Fix: enable timesyncd.
        clock_unknown_fix,
        /// Fix: the state directory `{dir}` is not writable.
        state_not_writable_fix,
        /// `{dir}` does not exist and has no existing parent.
        state_missing,
        /// `{dir}` will be created in `{parent}`.
        state_will_create,
        /// `{dir}` cannot be created in `{parent}`: `{error}`.
        state_cannot_create,
        /// `{dir}` is not a directory.
        state_not_dir,
        /// Fix: point state_dir at a directory.
        state_not_dir_fix,
        /// Writing in `{dir}` failed: `{error}`.
        state_cannot_write,
        /// `{dir}` is writable.
        state_writable,
        /// The run id, `{run}`.
        state_run,
        /// No run id yet.
        state_no_run,
        /// The spool's depth: `{depth}` readings in `{segments}` segments.
        state_spool,
        /// Damaged regions the spool skipped, `{n}`.
        state_spool_damaged,
        /// Fix: a failing SD card.
        state_spool_damaged_fix,
        /// The running agent holds the spool.
        state_spool_in_use,
        /// The spool cannot be opened: `{error}`.
        state_spool_unusable,
        /// Fix: permissions or space.
        state_spool_unusable_fix,
        /// `{dir}` did not answer within `{limit}`.
        state_hangs,
        /// Fix: the storage hangs.
        state_hangs_fix,
        /// A check failed in an unexpected way: `{error}`.
        bug,
        /// Fix: report the bug.
        bug_fix,
        /// What a probe measures: `{method}` `{target}`, `{via}` (` via eth0` or nothing),
        /// `{link}`.
        probe_what,
        /// The interface a probe is bound to, `{iface}`.
        probe_via,
        /// Replies of a round: `{received}` of `{sent}`.
        probe_replies,
        /// Every answer of a TCP round was a refusal: `{received}` of `{sent}`.
        probe_refused,
        /// Some answers of a TCP round were refusals, `{refused}`.
        probe_some_refused,
        /// Fix: the TCP probe's port is closed.
        probe_refused_fix,
        /// The median RTT, `{ms}`.
        probe_p50,
        /// No error, no answer.
        probe_no_answer,
        /// Fix: part of a round was lost.
        probe_loss_fix,
        /// Fix: ICMP sockets are not permitted.
        probe_fix_icmp,
        /// Fix: the interface `{iface}` does not exist.
        probe_fix_no_iface,
        /// Fix: the interface `{iface}` is down.
        probe_fix_iface_down,
        /// Fix: binding to an interface needs CAP_NET_RAW.
        probe_fix_bind,
        /// Fix: `{target}` is unreachable.
        probe_fix_unreachable,
        /// Fix: the target's name does not resolve.
        probe_fix_resolve,
        /// Fix: `{target}` is silent to `{method}`.
        probe_fix_silent,
        /// A round did not finish: `{method}` `{target}` within `{limit}`.
        probe_hangs,
        /// Fix: name resolution hangs.
        probe_hangs_fix,
        /// Route: the simulator with preset `{preset}`.
        modem_simulated,
        /// Route: ModemManager modem `{index}`.
        modem_mm_index,
        /// Route: ModemManager.
        modem_mm,
        /// Route: AT commands on `{port}`, vendor `{vendor}`.
        modem_at,
        /// Identity: model `{model}`.
        modem_model,
        /// Identity: the SIM's state `{state}`.
        modem_sim,
        /// Identity: the SIM's state is unknown.
        modem_sim_unknown,
        /// The modem answered: `{route}`, `{identity}`.
        modem_answering,
        /// Fix: no SIM.
        modem_fix_sim_absent,
        /// Fix: the SIM wants a PIN.
        modem_fix_sim_locked,
        /// Fix: the SIM is not usable.
        modem_fix_sim_other,
        /// A modem could not be opened or sampled: `{route}`, `{error}`.
        modem_failed,
        /// Fix: mmcli is not installed.
        modem_fix_spawn,
        /// Fix: ModemManager sees no such modem.
        modem_fix_not_found,
        /// Fix: D-Bus refuses the user.
        modem_fix_dbus,
        /// Fix: mmcli failed otherwise.
        modem_fix_mm_other,
        /// Fix: no such serial device.
        modem_fix_no_port,
        /// Fix: the port may not be opened.
        modem_fix_port_permission,
        /// Fix: the port is busy.
        modem_fix_port_busy,
        /// Fix: the port does not answer AT.
        modem_fix_timeout,
        /// Fix: the modem went away.
        modem_fix_io,
        /// Fix: the modem refused a command.
        modem_fix_at,
        /// Fix: the reply did not decode.
        modem_fix_decode,
        /// Fix: the modem's settings.
        modem_fix_config,
        /// The running agent uses this serial modem: `{route}`.
        modem_in_use,
        /// Fix: stop the agent first.
        modem_in_use_fix,
        /// No answer from `{route}` while `{what}`.
        modem_hangs,
        /// What the check was doing: opening the modem.
        modem_while_opening,
        /// What the check was doing: sampling the signal.
        modem_while_sampling,
        /// Fix: the modem hangs.
        modem_hangs_fix,
        /// Quality band: none.
        band_none,
        /// Quality band: poor.
        band_poor,
        /// Quality band: moderate.
        band_moderate,
        /// Quality band: good.
        band_good,
        /// Quality band: great.
        band_great,
        /// A deciding value with its band: `{label}` (`RSRP`), `{value}`, `{band}`.
        signal_value,
        /// The deciding value is not reported, `{label}`.
        signal_value_missing,
        /// No serving cell, with its band `{band}`.
        signal_no_cell,
        /// Usable for the audit: `{tech}`, `{value}`, `{min}` (`signal_at_or_above` or nothing).
        signal_usable,
        /// The threshold met, `{min}`.
        signal_at_or_above,
        /// Counted as unusable: `{tech}`, `{value}`, `{why}`.
        signal_unusable,
        /// Excluded from the audit: `{tech}`, `{value}`, `{why}`.
        signal_excluded,
        /// Unusable: not registered for data (`{reg}`).
        why_not_registered,
        /// Unusable: no serving cell.
        why_no_cell,
        /// Unusable: roaming does not count for `{operator}`.
        why_roaming,
        /// Unusable: `{tech}` does not count.
        why_tech,
        /// Unusable: `{label}` `{value}` below `{min}`.
        why_below,
        /// Unusable: below the threshold (no value to quote).
        why_below_threshold,
        /// Excluded: registration denied.
        why_denied,
        /// Excluded: registration unknown.
        why_reg_unknown,
        /// Excluded: the modem gives no `{label}`.
        why_no_value,
        /// Excluded: the clock is not synchronised.
        why_clock,
        /// `decode`: counts for coverage, `{why}`.
        counts_yes,
        /// `decode`: does not count, `{why}`.
        counts_no,
        /// Usable: `{label}` `{value}` at or above `{min}`.
        why_usable,
        /// Fix: see the network line.
        see_network,
        /// Fix: see the clock line.
        see_clock,
        /// Fix: no usable signal here.
        signal_fix_weak,
        /// Fix: the audit policy decides.
        signal_fix_policy,
        /// Fix: the modem reports no value.
        signal_fix_no_value,
        /// The modem does not say which SIM it has; registration `{reg}`.
        net_no_sim_operator,
        /// Fix: the SIM's operator is unknown.
        net_no_sim_operator_fix,
        /// The serving network when it differs, `{operator}`.
        net_serving,
        /// Registration `{reg}` on the SIM's operator `{operator}`, then `{serving}`.
        net_detail,
        /// Registered: `{detail}`.
        net_registered,
        /// Not registered: `{detail}`.
        net_searching,
        /// Fix: no network the modem may use.
        net_searching_fix,
        /// Refused: `{detail}`.
        net_denied,
        /// Fix: the network refused the SIM.
        net_denied_fix,
        /// Limited service: `{detail}`.
        net_limited,
        /// Fix: no data service.
        net_limited_fix,
        /// Not registered, not searching: `{detail}`.
        net_none,
        /// Fix: the radio is off.
        net_none_fix,
        /// Registration unknown: `{detail}`.
        net_unknown,
        /// Fix: the modem does not report its data registration.
        net_unknown_fix,
        /// A commune: `{name}`, `{set}`, `{code}`.
        place_in,
        /// Outside every commune of `{set}`; the nearest is `{name}` `{code}`, `{distance}` away.
        place_outside_near,
        /// Outside every commune of `{set}`.
        place_outside,
        /// No boundary set in `{dir}`.
        commune_no_set,
        /// Fix: install the boundary files.
        commune_install_fix,
        /// The position `{lat}`, `{lon}` is `{place}`.
        commune_outside,
        /// Fix: the position is wrong.
        commune_outside_fix,
        /// The position is in `{place}`; site.commune is not set.
        commune_unset,
        /// Fix: add site.commune, `{set}`, `{code}`.
        commune_unset_fix,
        /// site.commune names an unknown set: `{place}`, `{error}`.
        commune_bad_set,
        /// Fix: use a known set, `{set}`, `{code}`.
        commune_bad_set_fix,
        /// site.commune.code `{code}` is not a commune of `{set}`; the position is in `{place}`.
        commune_bad_code,
        /// Fix: correct the code; the set's list is `{list}`; the position says `{today}`
        /// `{located}`.
        commune_bad_code_fix,
        /// The configured code's commune in today's set: `{set}` `{code}` since `{since}`.
        commune_mapped,
        /// The position is in `{place}`, but site.commune is `{configured}` (`{mapped}`).
        commune_mismatch,
        /// Fix: survey again, or set `{set}` `{code}`.
        commune_mismatch_fix,
        /// The position is in `{place}` as configured, `{distance}` from the nearest edge.
        commune_ok,
        /// Within `{metres}` m of an edge.
        commune_near_edge,
        /// Fix: survey precisely.
        commune_near_edge_fix,
        /// site.commune uses `{old}`; `{today}` is in force since `{since}`.
        commune_old_set,
        /// Fix: update site.commune to `{set}` `{code}`.
        commune_old_set_fix,
        /// Boundaries came from `{found}`, none in `{configured}`.
        commune_from_elsewhere,
        /// No boundary files: `{errors}`.
        commune_no_files,
        /// Fix: install the boundary files into `{dir}`.
        commune_no_files_fix,
        /// Loading the boundaries took longer than `{limit}`.
        commune_slow,
        /// Fix: a longer timeout.
        commune_slow_fix,
        /// The lookup failed: `{error}`.
        commune_lookup_failed,
        /// The MQTT user: nobody.
        broker_anonymous,
        /// The MQTT user `{user}`.
        broker_user,
        /// Where the password is: the first line of `{file}`.
        broker_password_first_line,
        /// The broker and the user: `{url}`, `{user}`.
        broker_at,
        /// Note: no collector subscribes yet.
        broker_no_subscriber,
        /// Connected; the test heartbeat on `{topic}` was accepted `{note}`.
        broker_accepted,
        /// The password travels in clear text.
        broker_clear_text,
        /// Fix: use TLS.
        broker_clear_text_fix,
        /// The broker refused the heartbeat on `{topic}` (ACL).
        broker_acl_refused,
        /// Fix: the ACL and mqtt.username.
        broker_acl_fix,
        /// The broker refused the heartbeat for another reason, `{reason}`.
        broker_publish_refused,
        /// Fix: the quota is exhausted.
        broker_quota_fix,
        /// Fix: look in the broker's log (publish).
        broker_log_publish_fix,
        /// The broker closed the connection, `{code}`.
        broker_closed,
        /// Fix: the ACL, after a DISCONNECT.
        broker_closed_acl_fix,
        /// Fix: another client has the id.
        broker_taken_over_fix,
        /// Fix: look in the broker's log (close).
        broker_log_close_fix,
        /// Connected, no PUBACK within `{after}`.
        broker_no_ack,
        /// Fix: the broker is overloaded.
        broker_no_ack_fix,
        /// No answer from `{host}` within `{after}`.
        broker_silent,
        /// Fix: route or firewall, `{host}` `{port}`.
        broker_silent_fix,
        /// `{host}` refused the connection as `{user}`: `{code}`.
        broker_refused_conn,
        /// Fix: the broker wants a user.
        broker_anonymous_fix,
        /// Fix: bad credentials for `{user}`, password in `{place}`.
        broker_bad_password_fix,
        /// Fix: the broker refused `{user}`'s credentials; password in `{place}`.
        broker_not_authorized_fix,
        /// Fix: the client id is rejected.
        broker_client_id_fix,
        /// Fix: banned.
        broker_banned_fix,
        /// Fix: the broker is busy.
        broker_busy_fix,
        /// Fix: not MQTT 5.
        broker_protocol_fix,
        /// Fix: look in the broker's log (connection refused).
        broker_log_refused_fix,
        /// TLS with `{host}` failed: `{error}`.
        broker_tls_failed,
        /// Fix: the certificate is not signed by a CA in `{ca}`.
        broker_tls_issuer_fix,
        /// Fix: the certificate does not name `{host}`.
        broker_tls_name_fix,
        /// Fix: expired certificate or wrong clock.
        broker_tls_expired_fix,
        /// Fix: `{ca}` holds no PEM.
        broker_tls_no_ca_fix,
        /// Fix: the port does not speak TLS.
        broker_tls_plain_port_fix,
        /// Fix: the handshake failed, CA `{ca}`.
        broker_tls_other_fix,
        /// Cannot connect to `{host}`: `{error}`.
        broker_cannot_connect,
        /// Fix: nothing listens on `{host}`.
        broker_nothing_listens_fix,
        /// Fix: `{host}` does not resolve.
        broker_resolve_fix,
        /// Fix: no route to `{host}`.
        broker_no_route_fix,
        /// Fix: the broker closed a TLS connection.
        broker_closed_tls_fix,
        /// Fix: the broker closed a plain connection.
        broker_closed_plain_fix,
        /// Fix: anything else.
        broker_other_fix,
        /// Fix: the URL.
        broker_url_fix,
        /// Fix: create the password file `{file}`.
        broker_password_file_fix,
        /// Fix: put the CA at `{file}`.
        broker_ca_file_fix,
        /// Summary label: technology.
        decode_tech,
        /// Summary label: operator (the SIM's, else the one the reply names).
        decode_operator,
        /// Summary label: the network in use when it differs.
        decode_serving,
        /// Summary label: data registration.
        decode_registration,
        /// Summary label: serving cell.
        decode_cell,
        /// Summary label: the signal values.
        decode_values,
        /// Summary label: counts for coverage.
        decode_coverage,
        /// Summary label: commands the modem refused.
        decode_refused,
        /// Summary label: decoding notes.
        decode_notes,
        /// A value the reply does not give.
        decode_unknown,
        /// The reply says there is no service.
        decode_no_service,
        /// The data registration is unknown; only +CREG (calls) was given.
        decode_reg_unknown_creg,
        /// A value without a quality band, `{value}`.
        decode_no_band,
        /// A value with its band, `{value}`, `{band}`.
        decode_banded,
        /// Whether it counts cannot be said: `{missing}` is not in the reply.
        decode_counts_unknown,
        /// What is missing to decide: the technology.
        decode_missing_tech,
        /// What is missing to decide: the data registration.
        decode_missing_reg,
        /// A refused command: `{command}` and the modem's `{error}`.
        decode_refusal,
        /// A refused command whose echo is not in the capture: `{error}`.
        decode_refusal_no_echo,
        /// Nothing decoded: the modem refused every command.
        decode_refused_only,
        /// Fix: what to try after a refusal.
        decode_refused_fix,
        /// Nothing came in.
        decode_empty,
        /// No known reply: `{format}`, `{first_line}`.
        decode_not_recognised,
        /// Prompt: the site id.
        init_q_site,
        /// Prompt: the latitude.
        init_q_lat,
        /// Prompt: the longitude.
        init_q_lon,
        /// Prompt: the commune, no proposal.
        init_q_commune,
        /// Prompt: the commune, proposing the one the position lies in (`{place}`).
        init_q_commune_here,
        /// Prompt: the antenna placement.
        init_q_placement,
        /// Prompt: the antenna.
        init_q_antenna,
        /// Prompt: the broker URL.
        init_q_broker,
        /// Prompt: the password file.
        init_q_credentials,
        /// Prompt: the broker's CA.
        init_q_ca,
        /// Prompt: the modem.
        init_q_modem,
        /// Prompt: the fibre interface.
        init_q_fibre,
        /// Prompt: the fibre probes' host.
        init_q_target,
        /// Told when an answer was empty and has no default.
        init_answer_needed,
        /// The last refusal when no answer came.
        init_no_answer,
        /// A flag is required and cannot be asked for: `{flag}`.
        init_missing,
        /// --commune is required; the position lies in `{place}`, so `{proposal}`.
        init_missing_commune,
        /// A value is not acceptable: `{flag}`, `{message}`.
        init_invalid,
        /// The output exists: `{path}`.
        init_exists,
        /// Writing failed: `{path}`, `{error}`.
        init_io,
        /// The terminal could not be read: `{flag}`, `{error}`.
        init_prompt_failed,
        /// The example no longer fits the template (a bug): `{message}`.
        init_template,
        /// Not a number of degrees: `{value}`.
        init_bad_degrees,
        /// Not a latitude: `{value}`.
        init_bad_lat,
        /// Not a longitude: `{value}`.
        init_bad_lon,
        /// Not SET:CODE: `{value}`, known `{sets}`.
        init_bad_commune_form,
        /// Unknown boundary set `{set}`; known `{sets}`.
        init_bad_set,
        /// The code is not 5 digits: `{code}`.
        init_bad_code_form,
        /// The code is not a commune of the set: `{code}`, `{set}`, `{here}` (where the position
        /// lies, or nothing).
        init_code_not_in_set,
        /// Where the position lies, added to a refusal: `{place}`, `{proposal}`.
        init_position_lies_in,
        /// Warning: the position lies in another commune: `{place}`, configured `{configured}`,
        /// `{proposal}`.
        init_warn_other_commune,
        /// Warning: the position is outside every commune: `{place}`.
        init_warn_outside,
        /// Warning: the commune could not be checked: `{errors}`.
        init_warn_no_boundaries,
        /// A bad --modem value: `{value}`.
        init_bad_modem,
        /// A modem index that is not a number: `{value}`.
        init_bad_modem_index,
        /// A serial port that is not a device path: `{value}`.
        init_bad_port,
        /// A value that is not one of `{options}`: `{value}`.
        init_one_of,
        /// Not an interface name: `{value}`.
        init_bad_interface,
        /// Not a host name or IP address: `{value}`, `{hint}`.
        init_bad_target,
        /// Hint: give the host only.
        init_target_hint,
        /// Not a file path.
        init_bad_path,
        /// --ca-file with a plain mqtt:// broker.
        init_ca_plain,
        /// The summary: `{path}`, `{site}`, `{driver}`, `{target}`, `{iface}`.
        init_wrote,
        /// The commune written, `{place}`.
        init_commune_line,
        /// Heading of the next steps.
        init_next,
        /// Step 1, the password file `{file}` exists.
        init_password_exists,
        /// Step 1, put the password of `{site}` in `{file}`.
        init_password_missing,
        /// Note: the system CA bundle is used.
        init_system_ca,
        /// Step 2, run check on `{path}`.
        init_run_check,
        /// `check-config`: the file is valid, `{file}`.
        cc_valid,
        /// `check-config` label: the site.
        cc_site,
        /// `check-config` label: the position.
        cc_position,
        /// `check-config` label: the configured commune.
        cc_commune,
        /// `check-config` label: the broker.
        cc_broker,
        /// `check-config` label: where the password comes from.
        cc_password,
        /// `check-config` label: the CA bundle.
        cc_ca,
        /// `check-config` label: the state directory.
        cc_state,
        /// `check-config` label: the boundary files.
        cc_boundaries,
        /// `check-config` label: the schedule.
        cc_schedule,
        /// `check-config` label: the spool.
        cc_spool,
        /// `check-config` label: one modem.
        cc_modem,
        /// `check-config` label: one probe.
        cc_probe,
        /// `check-config` label: one throughput test.
        cc_throughput,
        /// `check-config`: nothing configured.
        cc_none,
        /// The position `{lat}`, `{lon}`, `{placement}`, `{antenna}` antenna, `{acc}`.
        cc_position_value,
        /// The position's accuracy, `{metres}`.
        cc_accuracy,
        /// The broker `{url}` as `{user}`, client id `{client_id}`, keep-alive `{keep_alive}`.
        cc_broker_value,
        /// The default client id, `{id}`.
        cc_client_id_default,
        /// The password comes from `{file}`.
        cc_password_file,
        /// The password is written in the config.
        cc_password_inline,
        /// No password.
        cc_password_none,
        /// The system CA bundle `{file}`.
        cc_system_ca,
        /// Signal every `{signal}`, heartbeat every `{heartbeat}`.
        cc_schedule_value,
        /// At most `{max}` on disk, segments of `{segment}`, sent readings kept `{keep}`.
        cc_spool_value,
        /// A probe: `{what}`, `{count}` probes every `{interval}`, timeout `{timeout}`.
        cc_probe_value,
        /// A throughput test: `{direction}` `{url}` over `{link}`, every `{interval}`, `{state}`.
        cc_throughput_value,
        /// A throughput test is enabled.
        cc_enabled,
        /// A throughput test is disabled.
        cc_disabled,
    }
}

/// English.
pub const EN: AgentText = AgentText {
    fix_label: "fix:",
    summary: "{checks}: {pass} passed, {warnings}, {fail} failed.",
    checks_one: "{n} check",
    checks_many: "{n} checks",
    warnings_one: "{n} warning",
    warnings_many: "{n} warnings",
    name_config: "config",
    name_state: "state",
    name_modem: "modem",
    name_signal: "signal",
    name_network: "network",
    name_probe: "probe",
    name_broker: "broker",
    name_clock: "clock",
    name_commune: "commune",
    unit_s: "{n} s",
    unit_min: "{n} min",
    unit_h: "{n} h",
    unit_days: "{n} days",
    count_one: "{n} {what}",
    word_modem: "modem",
    word_modems: "modems",
    word_probe: "probe",
    word_probes: "probes",
    config_ok: "{file}: site {site}, {modems}, {probes}",
    config_fix_missing: "give the config's path with --config; `coverage-agent init` writes one",
    config_fix_unreadable: "run check as a user who may read the config (root, or the agent's user)",
    config_fix_parse: "fix the key or the TOML syntax at the place shown; deploy/agent.example.toml shows every \
        key with its meaning",
    config_fix_invalid: "correct `{key}` as the message says, then run check again",
    config_did_you_mean: "unknown key `{key}`; did you mean `{known}`?",
    config_no_modem: "no [[modems]] in the config: this site measures the fibre link only and can never count for \
        mobile coverage",
    config_no_modem_fix: "add a [[modems]] table (driver = \"mmcli\", or \"at\" with the modem's serial port), as in \
        deploy/agent.example.toml; if this site is for fibre only, ignore this warning",
    clock_before_2020: "the time is {time}: before 2020, so the collector rejects every reading",
    clock_before_2020_fix: "set the time (`timedatectl set-time`) and enable NTP (`timedatectl set-ntp true`)",
    clock_stale: "synchronised, but the last sync was {age} ago",
    clock_stale_fix: "the NTP server may be unreachable: `timedatectl timesync-status`; UDP port 123 must be open",
    clock_synced_age: "synchronised (NTP), last sync {age} ago",
    clock_synced: "synchronised (NTP)",
    clock_not_synced: "not synchronised: readings carry clock_synced: false and the audit excludes their signal \
        samples",
    clock_not_synced_fix: "enable NTP (`timedatectl set-ntp true`) and check UDP port 123 to the NTP server is open \
        (`timedatectl timesync-status`)",
    clock_unknown: "unknown: no systemd-timesyncd marker and no answer from timedatectl",
    clock_unknown_fix: "enable systemd-timesyncd (or chrony) so the agent can tell; until then readings leave \
        clock_synced out",
    state_not_writable_fix: "the agent's user must be able to write {dir}: under systemd the unit's StateDirectory= \
        creates it (run check with sudo to see what the agent sees), otherwise `chown` it to the \
        agent's user",
    state_missing: "{dir} does not exist",
    state_will_create: "{dir} does not exist yet; the agent creates it ({parent} is writable)",
    state_cannot_create: "{dir} does not exist and cannot be created: {parent}: {error}",
    state_not_dir: "{dir} is not a directory",
    state_not_dir_fix: "set state_dir to a directory (default /var/lib/coverage-agent)",
    state_cannot_write: "cannot write in {dir}: {error}",
    state_writable: "{dir} writable",
    state_run: "; run {run}",
    state_no_run: "; no run id yet (the agent creates one at its first start)",
    state_spool: "; spool: {depth} unsent reading(s) in {segments} segment(s)",
    state_spool_damaged: ", {n} damaged region(s) skipped",
    state_spool_damaged_fix: "the spool skipped damaged records (power loss or a failing SD card); if it recurs, replace \
        the SD card",
    state_spool_in_use: "; spool in use by the running agent (its depth is in heartbeats)",
    state_spool_unusable: "; spool unusable: {error}",
    state_spool_unusable_fix: "the agent cannot open its spool: check permissions and free space on the state directory's \
        file system (`df -h`)",
    state_hangs: "{dir} did not answer within {limit}",
    state_hangs_fix: "the state directory's storage hangs: check the SD card or disk (`dmesg`)",
    bug: "check failed: {error}",
    bug_fix: "report this bug",
    probe_what: "{method} {target}{via} ({link})",
    probe_via: " via {iface}",
    probe_replies: "{received}/{sent} replies",
    probe_refused: "refused (host reachable, port closed), {received}/{sent}",
    probe_some_refused: ", {refused} refused (port closed)",
    probe_refused_fix: "the host answers over this link (so the fibre check still counts it as reachable), but \
        nothing listens on port {port}: point target at a port a service listens on, or use method \
        = \"http\" or \"dns\" to test a service",
    probe_p50: ", p50 {ms} ms",
    probe_no_answer: "no answer",
    probe_loss_fix: "some probes were lost; if loss persists, check the link (cable, ONT, radio) and whether the \
        target rate-limits replies",
    probe_fix_icmp: "allow ICMP: `sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"` (persist it in \
        /etc/sysctl.d), or give the agent CAP_NET_RAW (the systemd unit's \
        AmbientCapabilities=CAP_NET_RAW, or `setcap cap_net_raw+ep` on the binary)",
    probe_fix_no_iface: "there is no interface {iface}: `ip -br link` lists them; set the probe's `interface` to the \
        right one",
    probe_fix_iface_down: "{iface} is down: check the cable and the ONT/router it plugs into, then `ip link set \
        {iface} up`",
    probe_fix_bind: "binding to an interface needs CAP_NET_RAW on kernels before 5.7: run check with sudo; the \
        systemd unit grants it to the agent",
    probe_fix_unreachable: "the network says {target} is unreachable: check the link's gateway and route (`ip route get \
        {target}`), and the target address",
    probe_fix_resolve: "the target's name does not resolve: check the name, and the DNS server in /etc/resolv.conf",
    probe_fix_silent: "no answer from {target}: check the target address, the route (`ip route get {target}`), and \
        that it answers {method} (firewalls often drop ICMP)",
    probe_hangs: "{method} {target}: the round did not finish within {limit}",
    probe_hangs_fix: "name resolution or the network stack hangs: check /etc/resolv.conf and the link",
    modem_simulated: "simulated ({preset})",
    modem_mm_index: "ModemManager modem {index}",
    modem_mm: "ModemManager",
    modem_at: "AT on {port} ({vendor})",
    modem_model: "model {model}",
    modem_sim: "SIM {state}",
    modem_sim_unknown: "SIM state unknown",
    modem_answering: "{route}: answering; {identity}",
    modem_fix_sim_absent: "insert the SIM (power the box off first), contacts down; the agent cannot measure without it",
    modem_fix_sim_locked: "the SIM is locked: disable its PIN (in a phone, or `mmcli -i 0 --pin=NNNN --disable-pin`), \
        the agent never enters PINs",
    modem_fix_sim_other: "the SIM is not usable: reseat it; if it stays so, ask the operator for a new SIM",
    modem_failed: "{route}: {error}",
    modem_fix_spawn: "install ModemManager (`apt install modemmanager`), or use driver = \"at\" with the modem's \
        serial port",
    modem_fix_not_found: "`mmcli -L` lists the modems ModemManager sees: check the modem's USB cable and power \
        (`lsusb`), and modems[].index",
    modem_fix_dbus: "the user cannot talk to ModemManager over D-Bus: run check as root, and give the agent's \
        user the netdev group (the systemd unit does)",
    modem_fix_mm_other: "run the command shown by hand (`mmcli -m 0`) to see what ModemManager says; `systemctl \
        status ModemManager`",
    modem_fix_no_port: "no such serial device: `ls /dev/ttyUSB*` lists the modem's ports (AT commands are usually \
        on the 2nd or 3rd); check the USB cable",
    modem_fix_port_permission: "the user may not open the port: add it to group dialout (the systemd unit does), or run \
        check with sudo",
    modem_fix_port_busy: "the port is busy or broken: ModemManager may hold it (use driver = \"mmcli\", or stop \
        ModemManager), or unplug and replug the modem",
    modem_fix_timeout: "the port does not answer AT commands: it may be the wrong ttyUSB (try the others), the \
        wrong baud, or ModemManager is using it",
    modem_fix_io: "the modem went away while talking to it: check the USB cable and the power supply (modems \
        reset on brown-outs)",
    modem_fix_at: "the modem refused a command: `vendor` may not match this modem; try vendor = \"generic\"",
    modem_fix_decode: "the reply could not be decoded: capture it and run `coverage-agent decode` on it, and \
        report it with the modem's model",
    modem_fix_config: "correct the modem's settings in the config",
    modem_in_use: "{route}: not tested, the running agent uses this serial port",
    modem_in_use_fix: "stop the agent (`systemctl stop coverage-agent`), run check, then start it again; meanwhile \
        its heartbeats show the modem",
    modem_hangs: "{route}: no answer while {what}",
    modem_while_opening: "opening it",
    modem_while_sampling: "sampling the signal",
    modem_hangs_fix: "the modem or ModemManager hangs: unplug and replug the modem, or `systemctl restart \
        ModemManager`; check with a longer --timeout",
    band_none: "none",
    band_poor: "poor",
    band_moderate: "moderate",
    band_good: "good",
    band_great: "great",
    signal_value: "{label} {value} dBm ({band})",
    signal_value_missing: "{label} not reported",
    signal_no_cell: "no serving cell ({band})",
    signal_usable: "{tech}, {value}; usable for the audit{min}",
    signal_at_or_above: " (at or above {min} dBm)",
    signal_unusable: "{tech}, {value}; counts as unusable for the audit: {why}",
    signal_excluded: "{tech}, {value}; excluded from the audit: {why}",
    why_not_registered: "not registered for data ({reg})",
    why_no_cell: "no serving cell",
    why_roaming: "roaming, and roaming does not count for {operator}",
    why_tech: "{tech} does not count for the audit",
    why_below: "{label} {value} dBm is below {min} dBm",
    why_below_threshold: "below the threshold",
    why_denied: "registration denied",
    why_reg_unknown: "registration unknown",
    why_no_value: "the modem gives no {label}",
    why_clock: "the clock is not synchronised",
    counts_yes: "counts for coverage: yes, because {why}",
    counts_no: "counts for coverage: no, because {why}",
    why_usable: "{label} {value} dBm is at or above {min} dBm",
    see_network: "see the network line",
    see_clock: "see the clock line",
    signal_fix_weak: "the antenna gets no usable signal here: check the antenna cable and connectors, try the \
        external antenna or a higher spot; if phones nearby do no better, this is the commune's \
        real coverage and the site measures it",
    signal_fix_policy: "see the audit policy (roaming_counts_for, usable_techs)",
    signal_fix_no_value: "for ModemManager, check `mmcli -m 0 --signal-get` shows values (signal_refresh); for AT \
        modems, set `vendor` to the modem's maker",
    net_no_sim_operator: "registration {reg}; the modem does not say which SIM it has, so the agent skips every \
        signal sample",
    net_no_sim_operator_fix: "check the SIM is inserted and unlocked; for AT modems `AT+CIMI` must answer the IMSI, for \
        ModemManager `mmcli -i 0` must show the SIM's operator",
    net_serving: ", serving network {operator}",
    net_detail: "{reg} on SIM operator {operator}{serving}",
    net_registered: "registered: {detail}",
    net_searching: "not registered: {detail}",
    net_searching_fix: "the modem finds no network it may use: check the antenna connections and placement, and \
        that the SIM's operator covers this spot",
    net_denied: "refused: {detail}",
    net_denied_fix: "the network refused the SIM: it may not be activated, be barred or have no data plan; call \
        the operator with the ICCID",
    net_limited: "limited service: {detail}",
    net_limited_fix: "emergency or SMS only: the SIM has no data service here; check its data plan and APN with \
        the operator",
    net_none: "not registered, not searching: {detail}",
    net_none_fix: "the modem is not trying to register (radio off or a manual operator choice): `mmcli -m 0 \
        -e`, or `AT+CFUN=1` and `AT+COPS=0`",
    net_unknown: "registration unknown: {detail}",
    net_unknown_fix: "the modem does not report its data registration (+CGREG/+CEREG/+C5GREG); samples are \
        excluded from the audit until it does",
    place_in: "{name} ({set} {code})",
    place_outside_near: "outside every commune of {set} (nearest {name} {code}, {distance} away)",
    place_outside: "outside every commune of {set}",
    commune_no_set: "no boundary set in {dir}",
    commune_install_fix: "install the project's data/boundaries files",
    commune_outside: "position {lat}, {lon} is {place}",
    commune_outside_fix: "check site.lat and site.lon: WGS84 decimal degrees, latitude first (swapped? a sign lost?); \
        survey the antenna's position again",
    commune_unset: "position is in {place}; site.commune is not set",
    commune_unset_fix: "add commune = { set = \"{set}\", code = \"{code}\" } to [site] if that is the commune the \
        site was installed for",
    commune_bad_set: "position is in {place}; site.commune: {error}",
    commune_bad_set_fix: "use a known set: commune = { set = \"{set}\", code = \"{code}\" }",
    commune_bad_code: "position is in {place}; site.commune.code {code} is not a commune of {set}",
    commune_bad_code_fix: "correct the code (the set's communes are listed in {list}): the position says commune = { \
        set = \"{today}\", code = \"{located}\" }",
    commune_mapped: ", which is {set} {code} since {since}",
    commune_mismatch: "position is in {place}, but site.commune is {configured}{mapped}",
    commune_mismatch_fix: "survey the position again; if it is right, set commune = { set = \"{set}\", code = \
        \"{code}\" }",
    commune_ok: "position is in {place} as configured; {distance} from the nearest edge",
    commune_near_edge: " (within {metres} m: the placement is uncertain)",
    commune_near_edge_fix: "survey the position precisely (and set acc_m); reports flag sites this close to an edge",
    commune_old_set: "; site.commune uses {old}, {today} is in force since {since}",
    commune_old_set_fix: "update site.commune to { set = \"{set}\", code = \"{code}\" }",
    commune_from_elsewhere: "; boundaries from {found} (none in boundaries_dir {configured})",
    commune_no_files: "no boundary files found ({errors}); the position was not checked",
    commune_no_files_fix: "install the project's data/boundaries files into {dir} (or set boundaries_dir)",
    commune_slow: "loading the boundary files took longer than {limit}",
    commune_slow_fix: "run check again with a longer --timeout",
    commune_lookup_failed: "lookup failed: {error}",
    broker_anonymous: "anonymous",
    broker_user: "user {user}",
    broker_password_first_line: "{file} (first line)",
    broker_at: "{url} as {user}",
    broker_no_subscriber: " (no subscriber yet: no collector session on this broker)",
    broker_accepted: "connected to {at}; test heartbeat on {topic} accepted{note}",
    broker_clear_text: "; the password travels in clear text",
    broker_clear_text_fix: "use mqtts:// (port 8883) so the password and readings are encrypted",
    broker_acl_refused: "connected to {at}, but the broker refused the heartbeat on {topic} (not authorised)",
    broker_acl_fix: "broker refused: check the ACL and that mqtt.username equals site.id (the ACL needs `pattern \
        write coverage/v1/%u/#`)",
    broker_publish_refused: "connected to {at}, but the broker refused the heartbeat on {topic}: {reason}",
    broker_quota_fix: "the broker's quota for this client is exhausted: ask its operator",
    broker_log_publish_fix: "look in the broker's log for why it refused the publish",
    broker_closed: "{at}: the broker closed the connection ({code})",
    broker_closed_acl_fix: "broker refused: check the ACL and that mqtt.username equals site.id",
    broker_taken_over_fix: "another client uses the same client id: set a unique mqtt.client_id",
    broker_log_close_fix: "look in the broker's log for why it closed the connection",
    broker_no_ack: "connected to {at}, but no acknowledgement within {after}",
    broker_no_ack_fix: "the broker is overloaded or drops the publish: look in its log",
    broker_silent: "no answer from {host} within {after}",
    broker_silent_fix: "check the route and any firewall to the broker (`nc -vz {host} {port}`), and the host and \
        port in mqtt.url",
    broker_refused_conn: "{host} refused the connection as {user}: {code}",
    broker_anonymous_fix: "the broker does not accept anonymous clients: set mqtt.username = site.id and \
        mqtt.password_file",
    broker_bad_password_fix: "bad credentials: put this site's password on the first line of {place}; on the broker, \
        `mosquitto_passwd <password file> {user}` sets it",
    broker_not_authorized_fix: "the broker refused user {user}'s credentials: check that {place} holds this site's \
        password, and that the broker's password file has user {user} (`mosquitto_passwd <password \
        file> {user}`)",
    broker_client_id_fix: "the broker rejects the client id: set mqtt.client_id",
    broker_banned_fix: "the broker banned this client: ask the broker's operator",
    broker_busy_fix: "the broker is busy or unavailable: try again later; the agent keeps readings in its spool \
        meanwhile",
    broker_protocol_fix: "the broker does not speak MQTT 5: use mosquitto 2 or another MQTT 5 broker",
    broker_log_refused_fix: "look in the broker's log for why it refused the connection",
    broker_tls_failed: "TLS with {host} failed: {error}",
    broker_tls_issuer_fix: "the broker's certificate is not signed by a CA in {ca}: set mqtt.ca_file to the CA \
        certificate (PEM) that signed it",
    broker_tls_name_fix: "the certificate is not valid for {host}: put the host name the certificate names in mqtt.url",
    broker_tls_expired_fix: "the certificate is expired or not yet valid: renew it on the broker, or, if this box's \
        clock is wrong (see the clock line), fix the clock first",
    broker_tls_no_ca_fix: "{ca} holds no usable PEM certificate: point mqtt.ca_file at the CA's PEM",
    broker_tls_plain_port_fix: "this port does not speak TLS: use mqtt:// for it, or the broker's TLS port (usually 8883)",
    broker_tls_other_fix: "the TLS handshake failed: check mqtt.ca_file ({ca}) and that the port in mqtt.url is the \
        broker's TLS port",
    broker_cannot_connect: "cannot connect to {host}: {error}",
    broker_nothing_listens_fix: "nothing accepts connections on {host}: check the host and port in mqtt.url (1883 for \
        mqtt://, 8883 for mqtts://) and that the broker runs",
    broker_resolve_fix: "{host} does not resolve: check the name in mqtt.url and the DNS server in /etc/resolv.conf",
    broker_no_route_fix: "no route to the broker: check this box's network and any firewall (`ip route get {host}`)",
    broker_closed_tls_fix: "the broker closed the connection: check the port is its TLS port and whether it requires a \
        client certificate",
    broker_closed_plain_fix: "the broker closed the connection before answering: if this port expects TLS, use mqtts://; \
        otherwise look in the broker's log",
    broker_other_fix: "look in the broker's log, and check mqtt.url",
    broker_url_fix: "correct mqtt.url",
    broker_password_file_fix: "create {file} with this site's MQTT password on its first line, readable by the agent's \
        user only",
    broker_ca_file_fix: "put the CA certificate (PEM) that signed the broker's certificate at {file}, or point \
        mqtt.ca_file at it",
    decode_tech: "technology",
    decode_operator: "operator",
    decode_serving: "serving network",
    decode_registration: "registration",
    decode_cell: "cell",
    decode_values: "values",
    decode_coverage: "coverage",
    decode_refused: "refused",
    decode_notes: "notes",
    decode_unknown: "not in the reply",
    decode_no_service: "no service",
    decode_reg_unknown_creg: "unknown (only +CREG, the registration for calls, is in the reply; +CGREG/+CEREG/+C5GREG \
        decide)",
    decode_no_band: "{value}",
    decode_banded: "{value} ({band})",
    decode_counts_unknown: "counts for coverage: cannot tell, the reply does not give the {missing}",
    decode_missing_tech: "technology",
    decode_missing_reg: "data registration (+CGREG/+CEREG/+C5GREG)",
    decode_refusal: "the modem refused {command}: {error}",
    decode_refusal_no_echo: "the modem refused a command (its echo is not in the capture): {error}",
    decode_refused_only: "nothing to decode: the modem refused the command",
    decode_refused_fix: "the command may not exist on this modem or need another mode: check the modem's AT manual, \
        the SIM (+CME ERROR: 10 = SIM not inserted, 11 = SIM PIN required, 13 = SIM failure), and \
        that the radio is on (AT+CFUN=1)",
    decode_empty: "empty input: paste a modem reply (AT or mmcli -J) on standard input",
    decode_not_recognised: "no known {format} reply in the input (first line: {first_line})",
    init_q_site: "Site id (also the MQTT user name), e.g. tn-01840-a",
    init_q_lat: "Latitude of the antenna (WGS84 decimal degrees)",
    init_q_lon: "Longitude of the antenna (WGS84 decimal degrees)",
    init_q_commune: "Commune, SET:CODE (e.g. thai-nguyen-2025:01840)",
    init_q_commune_here: "Commune, SET:CODE (the position lies in {place})",
    init_q_placement: "Antenna placement (indoor, outdoor, vehicle)",
    init_q_antenna: "Antenna (internal, external)",
    init_q_broker: "Broker URL (mqtts://host:8883)",
    init_q_credentials: "File holding the MQTT password (first line; relative to the config's directory)",
    init_q_ca: "CA certificate of the broker (PEM; \"system\" for the system CA bundle)",
    init_q_modem: "Modem: mmcli[:INDEX], at:PORT[:VENDOR] or simulated[:PRESET]",
    init_q_fibre: "Interface of the fibre link",
    init_q_target: "Host the fibre probes reach (the provincial data centre)",
    init_answer_needed: "an answer is needed",
    init_no_answer: "no answer",
    init_missing: "{flag} is required (standard input is not a terminal, so it cannot be asked for)",
    init_missing_commune: "--commune is required (standard input is not a terminal, so it cannot be asked for); the \
        position lies in {place}: --commune {proposal}",
    init_invalid: "{flag}: {message}",
    init_exists: "{path} exists; give --force to replace it",
    init_io: "writing {path}: {error}",
    init_prompt_failed: "reading the answer for {flag}: {error}",
    init_template: "the config template does not fit deploy/agent.example.toml: {message}",
    init_bad_degrees: "{value} is not a number of degrees (WGS84 decimal, e.g. 22.1625)",
    init_bad_lat: "{value} is not a latitude (-90..90)",
    init_bad_lon: "{value} is not a longitude (-180..180)",
    init_bad_commune_form: "{value} is not SET:CODE (e.g. thai-nguyen-2025:01840; sets: {sets})",
    init_bad_set: "unknown boundary set {set}; known sets: {sets}",
    init_bad_code_form: "commune code {code} is not 5 digits (GSO code, e.g. 01840)",
    init_code_not_in_set: "{code} is not a commune of {set} (its communes are listed in {list}){here}",
    init_position_lies_in: "; the position lies in {place}: --commune {proposal}",
    init_warn_other_commune: "warning: the position lies in {place}, not in {configured}; survey the position again, or \
        give --commune {proposal}",
    init_warn_outside: "warning: the position is {place}; check --lat and --lon (latitude first, WGS84 decimal \
        degrees)",
    init_warn_no_boundaries: "warning: no boundary files found ({errors}); the commune was not checked against the \
        position (give --boundaries-dir)",
    init_bad_modem: "{value}: expected mmcli[:INDEX], at:PORT[:VENDOR] or simulated[:PRESET]",
    init_bad_modem_index: "modem index {value} is not a number; expected mmcli[:INDEX], at:PORT[:VENDOR] or \
        simulated[:PRESET]",
    init_bad_port: "serial port {value} is not a device path like /dev/ttyUSB2; expected mmcli[:INDEX], \
        at:PORT[:VENDOR] or simulated[:PRESET]",
    init_one_of: "{value} is not one of {options}",
    init_bad_interface: "{value} is not an interface name (`ip -br link` lists them)",
    init_bad_target: "{value} is not a host name or IP address{hint}",
    init_target_hint: " (give the host only: the probes add their own port and path)",
    init_bad_path: "must be a file path",
    init_ca_plain: "only used with an mqtts:// broker",
    init_wrote: "Wrote {path} for site {site} ({driver} modem, fibre probes to {target} over {iface}).",
    init_commune_line: "Commune: {place}.",
    init_next: "Next:",
    init_password_exists: "  1. The MQTT password is read from {file} (first line); it exists.",
    init_password_missing: "  1. Put the MQTT password of user {site} on the first line of {file} (init never writes \
        passwords), readable by the agent's user only.",
    init_system_ca: "     The broker's certificate is checked against the system CA bundle; set mqtt.ca_file if \
        it uses a private CA.",
    init_run_check: "  2. Run: coverage-agent check --config {path}",
    cc_valid: "{file}: valid",
    cc_site: "site",
    cc_position: "position",
    cc_commune: "commune",
    cc_broker: "broker",
    cc_password: "password",
    cc_ca: "CA",
    cc_state: "state directory",
    cc_boundaries: "boundary files",
    cc_schedule: "schedule",
    cc_spool: "spool",
    cc_modem: "modem",
    cc_probe: "probe",
    cc_throughput: "throughput",
    cc_none: "none",
    cc_position_value: "{lat}, {lon} ({placement}, {antenna} antenna{acc})",
    cc_accuracy: ", ±{metres} m",
    cc_broker_value: "{url} as {user}, client id {client_id}, keep-alive {keep_alive}",
    cc_client_id_default: "{id} (default)",
    cc_password_file: "first line of {file}",
    cc_password_inline: "in the config (mqtt.password; prefer mqtt.password_file)",
    cc_password_none: "none",
    cc_system_ca: "{file} (system bundle)",
    cc_schedule_value: "signal every {signal}, heartbeat every {heartbeat}",
    cc_spool_value: "at most {max} on disk, segments of {segment}, sent readings kept {keep}",
    cc_probe_value: "{what}: {count} probes every {interval}, timeout {timeout}",
    cc_throughput_value: "{direction} {url} ({link}), every {interval}, {state}",
    cc_enabled: "enabled",
    cc_disabled: "disabled",
};

/// Vietnamese (terms of `docs/reference/glossary-vi.md`).
pub const VI: AgentText = AgentText {
    fix_label: "cách sửa:",
    summary: "{checks}: {pass} đạt, {warnings}, {fail} lỗi.",
    checks_one: "{n} mục kiểm tra",
    checks_many: "{n} mục kiểm tra",
    warnings_one: "{n} cảnh báo",
    warnings_many: "{n} cảnh báo",
    name_config: "cấu hình",
    name_state: "thư mục trạng thái",
    name_modem: "modem",
    name_signal: "tín hiệu",
    name_network: "mạng",
    name_probe: "đo trễ",
    name_broker: "broker",
    name_clock: "đồng hồ",
    name_commune: "xã",
    unit_s: "{n} giây",
    unit_min: "{n} phút",
    unit_h: "{n} giờ",
    unit_days: "{n} ngày",
    count_one: "{n} {what}",
    word_modem: "modem",
    word_modems: "modem",
    word_probe: "phép đo trễ",
    word_probes: "phép đo trễ",
    config_ok: "{file}: điểm đo {site}, {modems}, {probes}",
    config_fix_missing: "chỉ đường dẫn tệp cấu hình bằng --config; lệnh `coverage-agent init` sẽ tạo một tệp",
    config_fix_unreadable: "chạy check bằng người dùng có quyền đọc tệp cấu hình (root, hoặc người dùng của thiết bị đo)",
    config_fix_parse: "sửa khóa hoặc cú pháp TOML tại chỗ được chỉ ra; deploy/agent.example.toml liệt kê mọi khóa \
        kèm ý nghĩa",
    config_fix_invalid: "sửa `{key}` theo thông báo, rồi chạy lại check",
    config_did_you_mean: "khóa `{key}` không tồn tại; có phải ý bạn là `{known}`?",
    config_no_modem: "cấu hình không có [[modems]]: điểm đo này chỉ đo kết nối cáp quang và không bao giờ được \
        tính cho phủ sóng di động",
    config_no_modem_fix: "thêm bảng [[modems]] (driver = \"mmcli\", hoặc \"at\" với cổng serial của modem) như trong \
        deploy/agent.example.toml; nếu điểm đo này chỉ đo cáp quang, bỏ qua cảnh báo này",
    clock_before_2020: "giờ hệ thống là {time}: trước năm 2020, nên máy chủ thu thập từ chối mọi bản ghi",
    clock_before_2020_fix: "đặt lại giờ (`timedatectl set-time`) và bật NTP (`timedatectl set-ntp true`)",
    clock_stale: "đã đồng bộ, nhưng lần đồng bộ cuối cách đây {age}",
    clock_stale_fix: "có thể không tới được máy chủ NTP: xem `timedatectl timesync-status`; cổng UDP 123 phải mở",
    clock_synced_age: "đã đồng bộ (NTP), lần đồng bộ cuối cách đây {age}",
    clock_synced: "đã đồng bộ (NTP)",
    clock_not_synced: "chưa đồng bộ: bản ghi mang clock_synced: false và việc đánh giá loại các mẫu đo tín hiệu \
        của chúng",
    clock_not_synced_fix: "bật NTP (`timedatectl set-ntp true`) và kiểm tra cổng UDP 123 tới máy chủ NTP đang mở \
        (`timedatectl timesync-status`)",
    clock_unknown: "không rõ: không có dấu hiệu của systemd-timesyncd và timedatectl không trả lời",
    clock_unknown_fix: "bật systemd-timesyncd (hoặc chrony) để thiết bị đo biết được; trong lúc chờ, bản ghi bỏ \
        trống clock_synced",
    state_not_writable_fix: "người dùng của thiết bị đo phải ghi được vào {dir}: khi chạy bằng systemd, StateDirectory= \
        của unit sẽ tạo thư mục này (chạy check bằng sudo để thấy đúng như thiết bị đo), nếu không \
        thì `chown` nó cho người dùng của thiết bị đo",
    state_missing: "{dir} không tồn tại",
    state_will_create: "{dir} chưa có; thiết bị đo sẽ tạo nó ({parent} ghi được)",
    state_cannot_create: "{dir} không tồn tại và không tạo được: {parent}: {error}",
    state_not_dir: "{dir} không phải là thư mục",
    state_not_dir_fix: "đặt state_dir là một thư mục (mặc định /var/lib/coverage-agent)",
    state_cannot_write: "không ghi được vào {dir}: {error}",
    state_writable: "{dir} ghi được",
    state_run: "; phiên chạy {run}",
    state_no_run: "; chưa có mã phiên chạy (thiết bị đo tạo mã này khi khởi động lần đầu)",
    state_spool: "; hàng đợi: {depth} bản ghi chưa gửi trong {segments} phân đoạn",
    state_spool_damaged: ", bỏ qua {n} vùng hỏng",
    state_spool_damaged_fix: "hàng đợi đã bỏ qua các bản ghi hỏng (mất điện hoặc thẻ SD sắp hỏng); nếu lặp lại, hãy thay \
        thẻ SD",
    state_spool_in_use: "; hàng đợi đang được thiết bị đo đang chạy sử dụng (độ sâu có trong heartbeat)",
    state_spool_unusable: "; không dùng được hàng đợi: {error}",
    state_spool_unusable_fix: "thiết bị đo không mở được hàng đợi: kiểm tra quyền và dung lượng trống của hệ thống tệp \
        chứa thư mục trạng thái (`df -h`)",
    state_hangs: "{dir} không phản hồi trong {limit}",
    state_hangs_fix: "bộ lưu trữ của thư mục trạng thái bị treo: kiểm tra thẻ SD hoặc ổ đĩa (`dmesg`)",
    bug: "kiểm tra thất bại: {error}",
    bug_fix: "hãy báo lỗi này cho nhóm phát triển",
    probe_what: "{method} {target}{via} ({link})",
    probe_via: " qua {iface}",
    probe_replies: "{received}/{sent} phản hồi",
    probe_refused: "bị từ chối (máy chủ có phản hồi, cổng đóng), {received}/{sent}",
    probe_some_refused: ", {refused} bị từ chối (cổng đóng)",
    probe_refused_fix: "máy chủ có phản hồi qua đường truyền này (nên vẫn được tính là tới được), nhưng không có \
        dịch vụ nào nghe ở cổng {port}: đặt target tới cổng có dịch vụ, hoặc dùng method = \"http\" \
        hay \"dns\" để kiểm tra dịch vụ",
    probe_p50: ", trung vị {ms} ms",
    probe_no_answer: "không có phản hồi",
    probe_loss_fix: "một số gói đo bị mất; nếu mất gói kéo dài, kiểm tra đường truyền (cáp, ONT, sóng) và xem \
        đích có giới hạn tốc độ phản hồi không",
    probe_fix_icmp: "cho phép ICMP: `sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"` (lưu lại trong \
        /etc/sysctl.d), hoặc cấp CAP_NET_RAW cho thiết bị đo (AmbientCapabilities=CAP_NET_RAW trong \
        unit systemd, hoặc `setcap cap_net_raw+ep` cho tệp chạy)",
    probe_fix_no_iface: "không có giao diện mạng {iface}: `ip -br link` liệt kê các giao diện; đặt `interface` của \
        phép đo cho đúng",
    probe_fix_iface_down: "{iface} đang tắt: kiểm tra cáp và ONT/router nối với nó, rồi chạy `ip link set {iface} up`",
    probe_fix_bind: "gắn phép đo vào một giao diện cần CAP_NET_RAW trên nhân Linux trước 5.7: chạy check bằng \
        sudo; unit systemd đã cấp quyền này cho thiết bị đo",
    probe_fix_unreachable: "mạng báo không tới được {target}: kiểm tra gateway và tuyến của đường truyền (`ip route get \
        {target}`) và địa chỉ đích",
    probe_fix_resolve: "không phân giải được tên của đích: kiểm tra tên, và máy chủ DNS trong /etc/resolv.conf",
    probe_fix_silent: "{target} không trả lời: kiểm tra địa chỉ đích, tuyến (`ip route get {target}`), và đích có \
        trả lời {method} không (tường lửa thường chặn ICMP)",
    probe_hangs: "{method} {target}: lượt đo không xong trong {limit}",
    probe_hangs_fix: "việc phân giải tên hoặc ngăn xếp mạng bị treo: kiểm tra /etc/resolv.conf và đường truyền",
    modem_simulated: "mô phỏng ({preset})",
    modem_mm_index: "ModemManager modem {index}",
    modem_mm: "ModemManager",
    modem_at: "lệnh AT trên {port} ({vendor})",
    modem_model: "kiểu {model}",
    modem_sim: "SIM {state}",
    modem_sim_unknown: "không rõ trạng thái SIM",
    modem_answering: "{route}: đang trả lời; {identity}",
    modem_fix_sim_absent: "lắp SIM (tắt nguồn thiết bị trước), mặt tiếp xúc úp xuống; không có SIM thì thiết bị đo \
        không đo được",
    modem_fix_sim_locked: "SIM đang bị khóa: tắt mã PIN (trên điện thoại, hoặc `mmcli -i 0 --pin=NNNN --disable-pin`); \
        thiết bị đo không bao giờ nhập mã PIN",
    modem_fix_sim_other: "SIM không dùng được: tháo ra lắp lại; nếu vẫn vậy, đề nghị nhà mạng cấp SIM mới",
    modem_failed: "{route}: {error}",
    modem_fix_spawn: "cài ModemManager (`apt install modemmanager`), hoặc dùng driver = \"at\" với cổng serial \
        của modem",
    modem_fix_not_found: "`mmcli -L` liệt kê các modem mà ModemManager thấy: kiểm tra cáp USB và nguồn của modem \
        (`lsusb`), và modems[].index",
    modem_fix_dbus: "người dùng không được nói chuyện với ModemManager qua D-Bus: chạy check bằng root, và cho \
        người dùng của thiết bị đo vào nhóm netdev (unit systemd đã làm việc này)",
    modem_fix_mm_other: "chạy tay lệnh được hiển thị (`mmcli -m 0`) để xem ModemManager báo gì; `systemctl status \
        ModemManager`",
    modem_fix_no_port: "không có thiết bị serial này: `ls /dev/ttyUSB*` liệt kê các cổng của modem (lệnh AT thường \
        ở cổng thứ 2 hoặc 3); kiểm tra cáp USB",
    modem_fix_port_permission: "người dùng không được mở cổng: thêm vào nhóm dialout (unit systemd đã làm việc này), hoặc \
        chạy check bằng sudo",
    modem_fix_port_busy: "cổng đang bận hoặc hỏng: có thể ModemManager đang giữ nó (dùng driver = \"mmcli\", hoặc \
        dừng ModemManager), hoặc rút modem ra cắm lại",
    modem_fix_timeout: "cổng không trả lời lệnh AT: có thể sai ttyUSB (thử các cổng khác), sai tốc độ baud, hoặc \
        ModemManager đang dùng nó",
    modem_fix_io: "modem biến mất giữa chừng: kiểm tra cáp USB và nguồn điện (modem tự khởi động lại khi sụt \
        áp)",
    modem_fix_at: "modem từ chối một lệnh: `vendor` có thể không khớp với modem này; thử vendor = \"generic\"",
    modem_fix_decode: "không giải mã được phản hồi: ghi lại phản hồi, chạy `coverage-agent decode` trên nó, và báo \
        lại kèm kiểu modem",
    modem_fix_config: "sửa thiết lập của modem trong tệp cấu hình",
    modem_in_use: "{route}: không kiểm tra, thiết bị đo đang chạy dùng cổng serial này",
    modem_in_use_fix: "dừng thiết bị đo (`systemctl stop coverage-agent`), chạy check, rồi khởi động lại; trong \
        lúc đó heartbeat của nó vẫn cho biết modem",
    modem_hangs: "{route}: không có phản hồi khi {what}",
    modem_while_opening: "mở modem",
    modem_while_sampling: "đọc tín hiệu",
    modem_hangs_fix: "modem hoặc ModemManager bị treo: rút modem ra cắm lại, hoặc `systemctl restart \
        ModemManager`; chạy check với --timeout dài hơn",
    band_none: "không có sóng",
    band_poor: "yếu",
    band_moderate: "trung bình",
    band_good: "tốt",
    band_great: "rất tốt",
    signal_value: "{label} {value} dBm ({band})",
    signal_value_missing: "không có {label}",
    signal_no_cell: "không có ô phục vụ ({band})",
    signal_usable: "{tech}, {value}; được tính cho đánh giá phủ sóng{min}",
    signal_at_or_above: " (đạt ngưỡng {min} dBm)",
    signal_unusable: "{tech}, {value}; được tính là không đạt khi đánh giá: {why}",
    signal_excluded: "{tech}, {value}; bị loại khỏi đánh giá: {why}",
    why_not_registered: "chưa đăng ký mạng dữ liệu ({reg})",
    why_no_cell: "không có ô phục vụ",
    why_roaming: "đang chuyển vùng, và chuyển vùng không được tính cho {operator}",
    why_tech: "{tech} không được tính khi đánh giá",
    why_below: "{label} {value} dBm thấp hơn ngưỡng {min} dBm",
    why_below_threshold: "dưới ngưỡng",
    why_denied: "bị từ chối đăng ký mạng",
    why_reg_unknown: "không rõ trạng thái đăng ký mạng",
    why_no_value: "modem không cung cấp {label}",
    why_clock: "đồng hồ chưa đồng bộ",
    counts_yes: "được tính cho phủ sóng: có, vì {why}",
    counts_no: "được tính cho phủ sóng: không, vì {why}",
    why_usable: "{label} {value} dBm đạt ngưỡng {min} dBm",
    see_network: "xem dòng mạng",
    see_clock: "xem dòng đồng hồ",
    signal_fix_weak: "ăng-ten không thu được tín hiệu đạt ngưỡng ở đây: kiểm tra cáp và đầu nối ăng-ten, thử \
        ăng-ten ngoài hoặc đặt ở chỗ cao hơn; nếu điện thoại gần đó cũng không khá hơn, đây là vùng \
        phủ thật của xã và điểm đo đang đo đúng nó",
    signal_fix_policy: "xem chính sách đánh giá (roaming_counts_for, usable_techs)",
    signal_fix_no_value: "với ModemManager, kiểm tra `mmcli -m 0 --signal-get` có hiện giá trị (signal_refresh); với \
        modem AT, đặt `vendor` là hãng sản xuất modem",
    net_no_sim_operator: "đăng ký mạng {reg}; modem không cho biết SIM của nhà mạng nào, nên thiết bị đo bỏ qua mọi \
        mẫu đo tín hiệu",
    net_no_sim_operator_fix: "kiểm tra SIM đã lắp và đã mở khóa; với modem AT, `AT+CIMI` phải trả về IMSI, với \
        ModemManager, `mmcli -i 0` phải hiện nhà mạng của SIM",
    net_serving: ", mạng đang phục vụ {operator}",
    net_detail: "{reg} trên nhà mạng của SIM {operator}{serving}",
    net_registered: "đã đăng ký: {detail}",
    net_searching: "chưa đăng ký: {detail}",
    net_searching_fix: "modem không tìm thấy mạng được phép dùng: kiểm tra đầu nối và vị trí ăng-ten, và nhà mạng \
        của SIM có phủ sóng chỗ này không",
    net_denied: "bị từ chối: {detail}",
    net_denied_fix: "mạng từ chối SIM: có thể SIM chưa kích hoạt, bị chặn hoặc không có gói dữ liệu; gọi nhà \
        mạng và đọc số ICCID",
    net_limited: "dịch vụ hạn chế: {detail}",
    net_limited_fix: "chỉ gọi khẩn cấp hoặc SMS: SIM không có dịch vụ dữ liệu ở đây; kiểm tra gói dữ liệu và APN \
        với nhà mạng",
    net_none: "chưa đăng ký, không tìm mạng: {detail}",
    net_none_fix: "modem không cố đăng ký mạng (tắt sóng hoặc chọn nhà mạng thủ công): `mmcli -m 0 -e`, hoặc \
        `AT+CFUN=1` và `AT+COPS=0`",
    net_unknown: "không rõ đăng ký mạng: {detail}",
    net_unknown_fix: "modem không báo trạng thái đăng ký dữ liệu (+CGREG/+CEREG/+C5GREG); mẫu đo bị loại khỏi \
        đánh giá cho đến khi có",
    place_in: "{name} ({set} {code})",
    place_outside_near: "nằm ngoài mọi xã của {set} (gần nhất là {name} {code}, cách {distance})",
    place_outside: "nằm ngoài mọi xã của {set}",
    commune_no_set: "không có bộ ranh giới hành chính nào trong {dir}",
    commune_install_fix: "cài các tệp data/boundaries của dự án",
    commune_outside: "vị trí {lat}, {lon} {place}",
    commune_outside_fix: "kiểm tra site.lat và site.lon: độ thập phân WGS84, vĩ độ trước (bị đảo? mất dấu?); đo lại \
        vị trí ăng-ten",
    commune_unset: "vị trí thuộc {place}; chưa đặt site.commune",
    commune_unset_fix: "thêm commune = { set = \"{set}\", code = \"{code}\" } vào [site] nếu đó là xã mà điểm đo \
        được lắp đặt cho",
    commune_bad_set: "vị trí thuộc {place}; site.commune: {error}",
    commune_bad_set_fix: "dùng một bộ ranh giới đã biết: commune = { set = \"{set}\", code = \"{code}\" }",
    commune_bad_code: "vị trí thuộc {place}; site.commune.code {code} không phải là mã xã của {set}",
    commune_bad_code_fix: "sửa mã xã (danh sách xã của bộ này ở {list}): theo vị trí thì commune = { set = \
        \"{today}\", code = \"{located}\" }",
    commune_mapped: ", tức là {set} {code} từ {since}",
    commune_mismatch: "vị trí thuộc {place}, nhưng site.commune là {configured}{mapped}",
    commune_mismatch_fix: "đo lại vị trí; nếu vị trí đúng, đặt commune = { set = \"{set}\", code = \"{code}\" }",
    commune_ok: "vị trí thuộc {place} đúng như cấu hình; cách ranh giới gần nhất {distance}",
    commune_near_edge: " (trong vòng {metres} m: việc xác định xã chưa chắc chắn)",
    commune_near_edge_fix: "đo vị trí thật chính xác (và đặt acc_m); báo cáo đánh dấu các điểm đo gần ranh giới như vậy",
    commune_old_set: "; site.commune dùng {old}, còn {today} có hiệu lực từ {since}",
    commune_old_set_fix: "cập nhật site.commune thành { set = \"{set}\", code = \"{code}\" }",
    commune_from_elsewhere: "; ranh giới lấy từ {found} (không có trong boundaries_dir {configured})",
    commune_no_files: "không tìm thấy tệp ranh giới ({errors}); chưa kiểm tra được vị trí",
    commune_no_files_fix: "cài các tệp data/boundaries của dự án vào {dir} (hoặc đặt boundaries_dir)",
    commune_slow: "nạp tệp ranh giới mất lâu hơn {limit}",
    commune_slow_fix: "chạy lại check với --timeout dài hơn",
    commune_lookup_failed: "tra cứu thất bại: {error}",
    broker_anonymous: "ẩn danh",
    broker_user: "người dùng {user}",
    broker_password_first_line: "{file} (dòng đầu)",
    broker_at: "{url} với {user}",
    broker_no_subscriber: " (chưa có bên nhận: máy chủ thu thập chưa có phiên trên broker này)",
    broker_accepted: "đã kết nối tới {at}; heartbeat thử trên {topic} được chấp nhận{note}",
    broker_clear_text: "; mật khẩu được gửi dạng không mã hóa",
    broker_clear_text_fix: "dùng mqtts:// (cổng 8883) để mật khẩu và bản ghi được mã hóa",
    broker_acl_refused: "đã kết nối tới {at}, nhưng broker từ chối heartbeat trên {topic} (không được phép)",
    broker_acl_fix: "broker từ chối: kiểm tra ACL và mqtt.username phải trùng site.id (ACL cần `pattern write \
        coverage/v1/%u/#`)",
    broker_publish_refused: "đã kết nối tới {at}, nhưng broker từ chối heartbeat trên {topic}: {reason}",
    broker_quota_fix: "hạn mức của broker cho thiết bị này đã hết: hỏi người vận hành broker",
    broker_log_publish_fix: "xem nhật ký của broker để biết vì sao nó từ chối bản ghi",
    broker_closed: "{at}: broker đã đóng kết nối ({code})",
    broker_closed_acl_fix: "broker từ chối: kiểm tra ACL và mqtt.username phải trùng site.id",
    broker_taken_over_fix: "một thiết bị khác đang dùng cùng client id: đặt mqtt.client_id riêng",
    broker_log_close_fix: "xem nhật ký của broker để biết vì sao nó đóng kết nối",
    broker_no_ack: "đã kết nối tới {at}, nhưng không nhận được xác nhận trong {after}",
    broker_no_ack_fix: "broker quá tải hoặc bỏ bản ghi: xem nhật ký của nó",
    broker_silent: "{host} không trả lời trong {after}",
    broker_silent_fix: "kiểm tra tuyến và tường lửa tới broker (`nc -vz {host} {port}`), và máy chủ, cổng trong \
        mqtt.url",
    broker_refused_conn: "{host} từ chối kết nối với {user}: {code}",
    broker_anonymous_fix: "broker không nhận kết nối ẩn danh: đặt mqtt.username = site.id và mqtt.password_file",
    broker_bad_password_fix: "sai thông tin đăng nhập: ghi mật khẩu của điểm đo này vào dòng đầu của {place}; trên \
        broker, `mosquitto_passwd <password file> {user}` đặt mật khẩu đó",
    broker_not_authorized_fix: "broker từ chối thông tin đăng nhập của người dùng {user}: kiểm tra {place} chứa đúng mật \
        khẩu của điểm đo này, và tệp mật khẩu của broker có người dùng {user} (`mosquitto_passwd \
        <password file> {user}`)",
    broker_client_id_fix: "broker không nhận client id: đặt mqtt.client_id",
    broker_banned_fix: "broker đã cấm thiết bị này: hỏi người vận hành broker",
    broker_busy_fix: "broker đang bận hoặc không sẵn sàng: thử lại sau; trong lúc đó thiết bị đo giữ bản ghi \
        trong hàng đợi",
    broker_protocol_fix: "broker không hỗ trợ MQTT 5: dùng mosquitto 2 hoặc broker MQTT 5 khác",
    broker_log_refused_fix: "xem nhật ký của broker để biết vì sao nó từ chối kết nối",
    broker_tls_failed: "TLS với {host} thất bại: {error}",
    broker_tls_issuer_fix: "chứng chỉ của broker không được ký bởi CA nào trong {ca}: đặt mqtt.ca_file là chứng chỉ CA \
        (PEM) đã ký nó",
    broker_tls_name_fix: "chứng chỉ không hợp lệ cho {host}: ghi vào mqtt.url đúng tên máy chủ có trong chứng chỉ",
    broker_tls_expired_fix: "chứng chỉ đã hết hạn hoặc chưa có hiệu lực: gia hạn trên broker, hoặc nếu đồng hồ của thiết \
        bị sai (xem dòng đồng hồ), sửa đồng hồ trước",
    broker_tls_no_ca_fix: "{ca} không chứa chứng chỉ PEM dùng được: trỏ mqtt.ca_file tới tệp PEM của CA",
    broker_tls_plain_port_fix: "cổng này không dùng TLS: dùng mqtt:// cho nó, hoặc cổng TLS của broker (thường là 8883)",
    broker_tls_other_fix: "bắt tay TLS thất bại: kiểm tra mqtt.ca_file ({ca}) và cổng trong mqtt.url có đúng là cổng \
        TLS của broker",
    broker_cannot_connect: "không kết nối được tới {host}: {error}",
    broker_nothing_listens_fix: "không có gì nhận kết nối ở {host}: kiểm tra máy chủ và cổng trong mqtt.url (1883 cho \
        mqtt://, 8883 cho mqtts://) và broker có đang chạy",
    broker_resolve_fix: "không phân giải được {host}: kiểm tra tên trong mqtt.url và máy chủ DNS trong \
        /etc/resolv.conf",
    broker_no_route_fix: "không có tuyến tới broker: kiểm tra mạng của thiết bị này và tường lửa (`ip route get \
        {host}`)",
    broker_closed_tls_fix: "broker đã đóng kết nối: kiểm tra cổng có đúng là cổng TLS và broker có đòi chứng chỉ phía \
        máy khách không",
    broker_closed_plain_fix: "broker đóng kết nối trước khi trả lời: nếu cổng này dùng TLS, hãy dùng mqtts://; nếu không, \
        xem nhật ký của broker",
    broker_other_fix: "xem nhật ký của broker, và kiểm tra mqtt.url",
    broker_url_fix: "sửa mqtt.url",
    broker_password_file_fix: "tạo {file} với mật khẩu MQTT của điểm đo này ở dòng đầu, chỉ người dùng của thiết bị đo \
        được đọc",
    broker_ca_file_fix: "đặt chứng chỉ CA (PEM) đã ký chứng chỉ của broker tại {file}, hoặc trỏ mqtt.ca_file tới nó",
    decode_tech: "công nghệ",
    decode_operator: "nhà mạng",
    decode_serving: "mạng đang phục vụ",
    decode_registration: "đăng ký mạng",
    decode_cell: "ô phục vụ",
    decode_values: "giá trị",
    decode_coverage: "phủ sóng",
    decode_refused: "bị từ chối",
    decode_notes: "ghi chú",
    decode_unknown: "không có trong phản hồi",
    decode_no_service: "không có dịch vụ",
    decode_reg_unknown_creg: "không rõ (phản hồi chỉ có +CREG, đăng ký cho cuộc gọi; +CGREG/+CEREG/+C5GREG mới quyết định)",
    decode_no_band: "{value}",
    decode_banded: "{value} ({band})",
    decode_counts_unknown: "được tính cho phủ sóng: chưa xác định được, phản hồi không có {missing}",
    decode_missing_tech: "công nghệ",
    decode_missing_reg: "trạng thái đăng ký dữ liệu (+CGREG/+CEREG/+C5GREG)",
    decode_refusal: "modem từ chối lệnh {command}: {error}",
    decode_refusal_no_echo: "modem từ chối một lệnh (bản ghi không có dòng lệnh): {error}",
    decode_refused_only: "không có gì để giải mã: modem đã từ chối lệnh",
    decode_refused_fix: "lệnh có thể không có trên modem này hoặc cần chế độ khác: xem tài liệu lệnh AT của modem, \
        SIM (+CME ERROR: 10 = chưa lắp SIM, 11 = cần mã PIN, 13 = SIM hỏng), và sóng đã bật chưa \
        (AT+CFUN=1)",
    decode_empty: "không có dữ liệu vào: dán phản hồi của modem (AT hoặc mmcli -J) vào đầu vào chuẩn",
    decode_not_recognised: "không nhận ra phản hồi {format} nào (dòng đầu: {first_line})",
    init_q_site: "Mã điểm đo (cũng là tên người dùng MQTT), ví dụ tn-01840-a",
    init_q_lat: "Vĩ độ của ăng-ten (độ thập phân WGS84)",
    init_q_lon: "Kinh độ của ăng-ten (độ thập phân WGS84)",
    init_q_commune: "Xã, dạng SET:CODE (ví dụ thai-nguyen-2025:01840)",
    init_q_commune_here: "Xã, dạng SET:CODE (vị trí thuộc {place})",
    init_q_placement: "Vị trí đặt ăng-ten (indoor = trong nhà, outdoor = ngoài trời, vehicle = trên xe)",
    init_q_antenna: "Ăng-ten (internal = trong, external = ngoài)",
    init_q_broker: "Địa chỉ broker (mqtts://host:8883)",
    init_q_credentials: "Tệp chứa mật khẩu MQTT (dòng đầu; đường dẫn tương đối tính từ thư mục của tệp cấu hình)",
    init_q_ca: "Chứng chỉ CA của broker (PEM; \"system\" để dùng bộ CA của hệ thống)",
    init_q_modem: "Modem: mmcli[:INDEX], at:PORT[:VENDOR] hoặc simulated[:PRESET]",
    init_q_fibre: "Giao diện mạng của đường cáp quang",
    init_q_target: "Máy chủ mà phép đo cáp quang hướng tới (trung tâm dữ liệu của tỉnh)",
    init_answer_needed: "cần có câu trả lời",
    init_no_answer: "không có câu trả lời",
    init_missing: "cần có {flag} (đầu vào chuẩn không phải terminal nên không hỏi được)",
    init_missing_commune: "cần có --commune (đầu vào chuẩn không phải terminal nên không hỏi được); vị trí thuộc \
        {place}: --commune {proposal}",
    init_invalid: "{flag}: {message}",
    init_exists: "{path} đã tồn tại; thêm --force để ghi đè",
    init_io: "ghi {path}: {error}",
    init_prompt_failed: "đọc câu trả lời cho {flag}: {error}",
    init_template: "mẫu cấu hình không khớp với deploy/agent.example.toml (lỗi phần mềm): {message}",
    init_bad_degrees: "{value} không phải là số độ (độ thập phân WGS84, ví dụ 22.1625)",
    init_bad_lat: "{value} không phải là vĩ độ (-90..90)",
    init_bad_lon: "{value} không phải là kinh độ (-180..180)",
    init_bad_commune_form: "{value} không có dạng SET:CODE (ví dụ thai-nguyen-2025:01840; các bộ: {sets})",
    init_bad_set: "không có bộ ranh giới {set}; các bộ đã biết: {sets}",
    init_bad_code_form: "mã xã {code} không phải 5 chữ số (mã của Tổng cục Thống kê, ví dụ 01840)",
    init_code_not_in_set: "{code} không phải là mã xã của {set} (danh sách xã ở {list}){here}",
    init_position_lies_in: "; vị trí thuộc {place}: --commune {proposal}",
    init_warn_other_commune: "cảnh báo: vị trí thuộc {place}, không thuộc {configured}; đo lại vị trí, hoặc dùng \
        --commune {proposal}",
    init_warn_outside: "cảnh báo: vị trí {place}; kiểm tra --lat và --lon (vĩ độ trước, độ thập phân WGS84)",
    init_warn_no_boundaries: "cảnh báo: không tìm thấy tệp ranh giới ({errors}); chưa đối chiếu xã với vị trí (dùng \
        --boundaries-dir)",
    init_bad_modem: "{value}: cần có dạng mmcli[:INDEX], at:PORT[:VENDOR] hoặc simulated[:PRESET]",
    init_bad_modem_index: "chỉ số modem {value} không phải là số; cần có dạng mmcli[:INDEX], at:PORT[:VENDOR] hoặc \
        simulated[:PRESET]",
    init_bad_port: "cổng serial {value} không phải đường dẫn thiết bị như /dev/ttyUSB2; cần có dạng \
        mmcli[:INDEX], at:PORT[:VENDOR] hoặc simulated[:PRESET]",
    init_one_of: "{value} không thuộc {options}",
    init_bad_interface: "{value} không phải tên giao diện mạng (`ip -br link` liệt kê các giao diện)",
    init_bad_target: "{value} không phải tên máy chủ hay địa chỉ IP{hint}",
    init_target_hint: " (chỉ ghi máy chủ: phép đo tự thêm cổng và đường dẫn)",
    init_bad_path: "phải là đường dẫn tệp",
    init_ca_plain: "chỉ dùng với broker mqtts://",
    init_wrote: "Đã ghi {path} cho điểm đo {site} (modem {driver}, đo cáp quang tới {target} qua {iface}).",
    init_commune_line: "Xã: {place}.",
    init_next: "Bước tiếp theo:",
    init_password_exists: "  1. Mật khẩu MQTT được đọc từ {file} (dòng đầu); tệp đã có.",
    init_password_missing: "  1. Ghi mật khẩu MQTT của người dùng {site} vào dòng đầu của {file} (init không bao giờ \
        ghi mật khẩu), chỉ người dùng của thiết bị đo được đọc.",
    init_system_ca: "     Chứng chỉ của broker được kiểm tra bằng bộ CA của hệ thống; đặt mqtt.ca_file nếu \
        broker dùng CA riêng.",
    init_run_check: "  2. Chạy: coverage-agent check --config {path}",
    cc_valid: "{file}: hợp lệ",
    cc_site: "điểm đo",
    cc_position: "vị trí",
    cc_commune: "xã",
    cc_broker: "broker",
    cc_password: "mật khẩu",
    cc_ca: "CA",
    cc_state: "thư mục trạng thái",
    cc_boundaries: "tệp ranh giới",
    cc_schedule: "lịch đo",
    cc_spool: "hàng đợi",
    cc_modem: "modem",
    cc_probe: "đo trễ",
    cc_throughput: "đo tốc độ",
    cc_none: "không có",
    cc_position_value: "{lat}, {lon} ({placement}, ăng-ten {antenna}{acc})",
    cc_accuracy: ", ±{metres} m",
    cc_broker_value: "{url} với {user}, client id {client_id}, keep-alive {keep_alive}",
    cc_client_id_default: "{id} (mặc định)",
    cc_password_file: "dòng đầu của {file}",
    cc_password_inline: "ghi trong tệp cấu hình (mqtt.password; nên dùng mqtt.password_file)",
    cc_password_none: "không có",
    cc_system_ca: "{file} (bộ CA của hệ thống)",
    cc_schedule_value: "tín hiệu mỗi {signal}, heartbeat mỗi {heartbeat}",
    cc_spool_value: "tối đa {max} trên đĩa, mỗi phân đoạn {segment}, giữ bản ghi đã gửi {keep}",
    cc_probe_value: "{what}: {count} gói mỗi {interval}, chờ tối đa {timeout}",
    cc_throughput_value: "{direction} {url} ({link}), mỗi {interval}, {state}",
    cc_enabled: "đang bật",
    cc_disabled: "đang tắt",
};

/// The table of `lang`.
pub fn text(lang: Lang) -> &'static AgentText {
    match lang {
        Lang::En => &EN,
        Lang::Vi => &VI,
    }
}
