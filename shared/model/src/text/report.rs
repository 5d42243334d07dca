//! The audit report's words (every format: terminal summary, Markdown, HTML, CSV, JSON).
//!
//! Verdict words follow `docs/reference/glossary-vi.md`. Templates name their values in braces
//! (`{share}`); [`fill`](super::fill) puts them in, already formatted for the language by
//! [`format`](super::format). Sentences that explain a verdict (`reason_*`, `claim_*_sentence`)
//! are filled by `coverage_audit::report::explain`, one template per rule.
//!
//! Invariant: a template's placeholders are the same in both languages (checked by the
//! catalogue test); names of communes, districts, sites and operators are never in a template.

crate::catalogue! {
    /// The report's strings, one table per language.
    pub struct ReportText {
        /// Title of the report.
        title,
        /// Mobile verdict: coverage shown.
        verdict_covered,
        /// Mobile verdict: evidence enough, coverage below the threshold.
        verdict_not_covered,
        /// Verdict: not enough evidence either way.
        verdict_insufficient_data,
        /// Verdict: no site measures there.
        verdict_no_site,
        /// Fibre verdict: connected.
        verdict_connected,
        /// Fibre verdict: not connected.
        verdict_not_connected,
        /// Claim verdict: verified.
        claim_verified,
        /// Claim verdict: refuted.
        claim_refuted,
        /// Claim verdict: unproven.
        claim_unproven,

        /// Marker in the title block of a report made with default signal thresholds.
        provisional_thresholds,
        /// A period: `{from}` and `{to}` are local times.
        period_range,
        /// A local time zone, `{offset}` such as `+07:00`.
        time_zone,
        /// The time zone of Vietnam, `{offset}` is `+07:00`.
        time_zone_vietnam,

        /// Heading: claims.
        heading_claims,
        /// Heading: province summary.
        heading_province,
        /// Heading: districts.
        heading_districts,
        /// Heading: communes.
        heading_communes,
        /// Heading: why each commune has its verdict.
        heading_reasons,
        /// Heading: flagged sites.
        heading_flagged,
        /// Heading: thresholds and their sources.
        heading_thresholds,
        /// Heading: confidence.
        heading_confidence,
        /// Heading: definitions.
        heading_definitions,
        /// Heading: provenance.
        heading_provenance,

        /// Label: boundary set.
        label_set,
        /// Label: audit period.
        label_period,
        /// Label: time zone.
        label_time_zone,
        /// Label: claim.
        label_claim,
        /// Label: verdict.
        label_verdict,
        /// Label: lower bound.
        label_lower,
        /// Label: upper bound.
        label_upper,
        /// Label: areas shown (covered / connected).
        label_shown,
        /// Label: areas not shown.
        label_not_shown,
        /// Label: unknown areas.
        label_unknown,
        /// Label: unknown areas without a site.
        label_unknown_no_site,
        /// Label: unknown areas with too little data.
        label_unknown_insufficient,
        /// Label: areas in scope.
        label_areas,
        /// Label: code.
        label_code,
        /// Label: commune.
        label_commune,
        /// Label: district.
        label_district,
        /// Label: province.
        label_province,
        /// Label: sites.
        label_sites,
        /// Label: site.
        label_site,
        /// Label: signal samples.
        label_samples,
        /// Label: counted samples.
        label_counted,
        /// Label: usable share.
        label_usable_share,
        /// Label: mobile coverage.
        label_mobile,
        /// Label: fibre connection.
        label_fibre,
        /// Label: operator.
        label_operator,
        /// The `any` operator.
        label_any_operator,
        /// Label: reason.
        label_reason,
        /// Label: excluded samples.
        label_excluded,
        /// Label: flags.
        label_flags,
        /// Label: fibre windows up / known / total.
        label_fibre_windows,
        /// Label: communes covered.
        label_communes_covered,
        /// Label: software.
        label_software,
        /// Label: source.
        label_source,
        /// Label: threshold sources.
        label_threshold_sources,
        /// Label: usable-sample policy.
        label_policy,
        /// Label: communes.
        label_communes,
        /// Label: districts.
        label_districts,
        /// Label: districts, mobile (every commune covered).
        label_districts_mobile,
        /// Sites, with `{sites}`, `{placed}`, `{flagged}`.
        sites_line,
        /// Samples, with `{samples}`, `{counted}`.
        samples_line,
        /// Nothing to list.
        none,
        /// No claim was given.
        no_claim,

        /// Word for communes in a sentence (plural).
        areas_communes,
        /// Word for districts in a sentence (plural).
        areas_districts,
        /// Word for one commune in a sentence.
        area_commune,
        /// Word for one district in a sentence.
        area_district,
        /// A not-shown count's verb, one area.
        was_measured_one,
        /// A not-shown count's verb, several areas.
        was_measured_many,
        /// Mobile: what a shown area is.
        shown_mobile,
        /// Fibre: what a shown area is.
        shown_fibre,
        /// Mobile: how a not-shown area was measured.
        not_shown_mobile,
        /// Fibre: how a not-shown area was measured.
        not_shown_fibre,
        /// Claim sentence, verified: `{shown}`, `{total}`, `{areas}`, `{shown_word}`, `{lower}`,
        /// `{target}`.
        claim_verified_sentence,
        /// Claim sentence, refuted: `{not_shown}`, `{areas}`, `{not_shown_word}`, `{upper}`,
        /// `{shown_word}`, `{target}`.
        claim_refuted_sentence,
        /// Claim sentence, unproven.
        claim_unproven_sentence,
        /// Added to every fibre claim's explanation.
        fibre_latency_note,
        /// Fibre speed: what a shown area is.
        shown_speed,
        /// Fibre speed: how a not-shown area was measured.
        not_shown_speed,
        /// Added to every fibre speed claim's explanation: `{share}` of the contracted speed,
        /// `{samples}` transfers per direction.
        fibre_speed_note,
        /// Fibre speed verdict: fast.
        verdict_fast,
        /// Fibre speed verdict: slow.
        verdict_slow,

        /// 95 % interval `{lo}`–`{hi}` (`{hi}` carries the per cent sign).
        interval,
        /// A share without an interval (no hourly block).
        interval_none,
        /// A site covers: `{site}`, `{share}`, `{counted}`, `{interval}`, `{min}`.
        reason_covered,
        /// A site's share is below the threshold.
        reason_below_threshold,
        /// A site has too few counted samples: `{site}`, `{counted}`, `{min}`.
        reason_too_few_samples,
        /// A site has samples in too few distinct hours: `{site}`, `{hours}`, `{min}`.
        reason_too_few_hours,
        /// None of a site's samples could be counted: `{site}`, `{samples}`.
        reason_nothing_counted,
        /// A registry site named for the operator sent no sample of it: `{site}`.
        reason_not_measured,
        /// No site in the commune at all.
        reason_no_site,
        /// No site of the commune carries the operator's SIM.
        reason_no_site_operator,
        /// A registry site sent nothing in the period: `{site}`.
        reason_site_silent,
        /// Flag: near the commune's edge: `{site}`, `{distance}`.
        reason_flag_near_edge,
        /// Flag: outside every commune: `{site}`.
        reason_flag_outside,
        /// Flag: installed for another commune: `{site}`, `{configured}`.
        reason_flag_configured_elsewhere,
        /// Flag: no position: `{site}`.
        reason_flag_no_position,
        /// Excluded samples: `{n}` and the `{list}` by reason.
        excluded_samples,
        /// Excluded: registration denied, `{n}`.
        excluded_reg_denied,
        /// Excluded: registration state unknown, `{n}`.
        excluded_reg_unknown,
        /// Excluded: no value, `{n}`.
        excluded_no_value,
        /// Excluded: clock not synchronised, `{n}`.
        excluded_clock_not_synced,
        /// Excluded: unrecognised technology or registration tag, `{n}`.
        excluded_unrecognised,

        /// The sentence of a report made with default signal thresholds.
        thresholds_default_note,
        /// The sentence of a report made with configured signal thresholds.
        thresholds_configured_note,
        /// A threshold and where it comes from: `{what}`, `{source}`.
        threshold_with_source,
        /// What: usable share `{share}`.
        what_share,
        /// What: counted samples `{n}`.
        what_samples,
        /// What: distinct local hours `{n}`.
        what_hours,
        /// Source of the 95 % share.
        source_qcvn_share,
        /// Source of the 300 samples.
        source_vnnic_samples,
        /// Source of the 12 hours.
        source_project_hours,
        /// A value changed in the configuration.
        source_configured,
        /// Where the operator names come from: `{source}`.
        operators_source,
        /// Thresholds used, in one line: `{share}`, `{samples}`, `{hours}`, `{offset}`.
        thresholds_line,
        /// Fibre thresholds: `{loss}`, `{rtt}`, `{rounds}`, `{up}`, `{known}`, `{target}`,
        /// `{edge}`.
        thresholds_fibre_line,
        /// Thresholds: the fibre speed line, `{share}`, `{samples}`.
        thresholds_speed_line,
        /// Label: fibre speed.
        label_fibre_speed,
        /// Any fibre target.
        any_target,

        /// The confidence note.
        confidence_note,
        /// Periods: `{from}`, `{to}`, `{windows}` of 1 h.
        provenance_period,
        /// Software: `{software}`, `{version}`, `{commit}`.
        provenance_software,
        /// InfluxDB source: `{url}`, `{database}`.
        provenance_influx,
        /// Archive source.
        provenance_archive,
        /// An archive file: `{path}`, `{sha}`, `{lines}`, `{unparsed}`, `{duplicates}`.
        provenance_archive_file,
        /// Statements equivalent to the archive's aggregates.
        provenance_equivalent,

        /// Summary first line: `{set}`, `{period}`.
        summary_title,

        /// Definition: sample classes.
        definition_classes,
        /// Definition: site and operator verdict.
        definition_site,
        /// Definition: commune per operator.
        definition_commune_operator,
        /// Definition: commune, any operator.
        definition_commune_any,
        /// Definition: district mobile verdict.
        definition_district,
        /// Definition: fibre window.
        definition_fibre_window,
        /// Definition: fibre area.
        definition_fibre_area,
        /// Definition: claims.
        definition_claims,
        /// Definition: site placement.
        definition_placement,
    }
}

/// English.
pub const EN: ReportText = ReportText {
    title: "Coverage audit report",
    verdict_covered: "covered",
    verdict_not_covered: "not covered",
    verdict_insufficient_data: "insufficient data",
    verdict_no_site: "no site",
    verdict_connected: "connected",
    verdict_not_connected: "not connected",
    claim_verified: "verified",
    claim_refuted: "refuted",
    claim_unproven: "unproven",

    provisional_thresholds: "Provisional thresholds (defaults)",
    period_range: "{from} to {to}",
    time_zone: "UTC{offset}",
    time_zone_vietnam: "Vietnam time (UTC{offset}, Asia/Ho_Chi_Minh)",

    heading_claims: "Claims",
    heading_province: "Province",
    heading_districts: "Districts",
    heading_communes: "Communes",
    heading_reasons: "Why each commune has its verdict",
    heading_flagged: "Flagged sites",
    heading_thresholds: "Thresholds and their sources",
    heading_confidence: "Confidence",
    heading_definitions: "Definitions",
    heading_provenance: "Provenance",

    label_set: "Boundary set",
    label_period: "Audit period",
    label_time_zone: "Time zone",
    label_claim: "Claim",
    label_verdict: "Verdict",
    label_lower: "Lower bound",
    label_upper: "Upper bound",
    label_shown: "Shown",
    label_not_shown: "Not shown",
    label_unknown: "Unknown",
    label_unknown_no_site: "Unknown, no site",
    label_unknown_insufficient: "Unknown, too little data",
    label_areas: "Areas",
    label_code: "Code",
    label_commune: "Commune",
    label_district: "District",
    label_province: "Province",
    label_sites: "Sites",
    label_site: "Site",
    label_samples: "Signal samples",
    label_counted: "Counted samples",
    label_usable_share: "Usable share",
    label_mobile: "Mobile coverage",
    label_fibre: "Fibre connection",
    label_fibre_speed: "Fibre speed",
    label_operator: "Operator",
    label_any_operator: "any operator",
    label_reason: "Reason",
    label_excluded: "Excluded samples",
    label_flags: "Flags",
    label_fibre_windows: "Fibre windows up / known / total",
    label_communes_covered: "Communes covered",
    label_software: "Software",
    label_source: "Source",
    label_threshold_sources: "Threshold sources",
    label_policy: "Usable-sample policy",
    label_communes: "Communes",
    label_districts: "Districts",
    label_districts_mobile: "Districts, mobile (every commune covered)",
    sites_line: "{sites} sites ({placed} placed in a commune, {flagged} flagged)",
    samples_line: "{samples} signal samples, {counted} counted",
    none: "None.",
    no_claim: "No claim was given.",

    areas_communes: "communes",
    areas_districts: "districts",
    area_commune: "commune",
    area_district: "district",
    was_measured_one: "was measured",
    was_measured_many: "were measured",
    shown_mobile: "covered",
    shown_fibre: "connected",
    not_shown_mobile: "without coverage",
    not_shown_fibre: "without a fibre connection",
    claim_verified_sentence: "Verified: {shown} of {total} {areas} are shown {shown_word} ({lower}), at least the claimed {target}.",
    claim_refuted_sentence: "Refuted: {not_shown} {areas} {measured} {not_shown_word}, so at most {upper} can be {shown_word}, below the claimed {target}.",
    claim_unproven_sentence: "Unproven: {shown} of {total} {areas} are shown {shown_word} ({lower}) and {unknown} lack evidence ({no_site} without a site, {insufficient} with too little data), so between {lower} and {upper} may be {shown_word}: the claimed {target} is neither shown nor ruled out.",
    fibre_latency_note: "Latency shows that a place is reachable, not how fast its connection is.",
    shown_speed: "fast (at the contracted speed)",
    not_shown_speed: "below the contracted speed",
    fibre_speed_note: "Speed is the mean of the fibre throughput tests against the contracted speed in the site registry ({share} of it, QCVN 34:2022), judged from {samples} tests per direction where QCVN 34:2022's own method takes 1,000.",
    verdict_fast: "fast",
    verdict_slow: "slow",

    interval: "95\u{a0}% interval {lo}–{hi}",
    interval_none: "no interval",
    reason_covered: "site {site}: {share} of {counted} samples usable ({interval}), at least {min}",
    reason_below_threshold: "site {site}: {share} of {counted} samples usable ({interval}), below {min}",
    reason_too_few_samples: "site {site}: only {counted} counted samples ({min} needed)",
    reason_too_few_hours: "site {site}: samples in {hours} distinct hours ({min} needed)",
    reason_nothing_counted: "site {site}: none of its {samples} samples could be counted",
    reason_not_measured: "site {site} is in the registry for this operator and sent no sample of it in the period",
    reason_no_site: "no site",
    reason_no_site_operator: "no site with this operator's SIM",
    reason_site_silent: "site {site} is in the registry and sent nothing in the period",
    reason_flag_near_edge: "site {site} flagged: {distance} from the commune's edge",
    reason_flag_outside: "site {site} flagged: outside every commune of the set",
    reason_flag_configured_elsewhere: "site {site} flagged: installed for another commune ({configured})",
    reason_flag_no_position: "site {site} flagged: no position in the registry or in its readings",
    excluded_samples: "{n} samples excluded: {list}",
    excluded_reg_denied: "registration denied {n}",
    excluded_reg_unknown: "registration unknown {n}",
    excluded_no_value: "no value {n}",
    excluded_clock_not_synced: "clock not synchronised {n}",
    excluded_unrecognised: "unrecognised technology or registration {n}",

    thresholds_default_note: "Signal thresholds are this installation's defaults, not the levels of QCVN 81:2019 §1.4.5; set them in `audit.policy.thresholds` and `audit.policy.by_placement`.",
    thresholds_configured_note: "Signal thresholds are set in this installation's configuration (`audit.policy`).",
    threshold_with_source: "{what}: {source}",
    what_share: "usable share at least {share}",
    what_samples: "at least {n} counted samples",
    what_hours: "samples in at least {n} distinct local hours of the day",
    source_qcvn_share: "QCVN 81:2019 §2.1.1 (radio network availability)",
    source_vnnic_samples: "VNNIC (i-Speed)",
    source_project_hours: "this project's rule (docs/design.md)",
    source_configured: "set in this installation's configuration",
    operators_source: "Operator names: {source}",
    thresholds_line: "usable share at least {share}, at least {samples} samples in at least {hours} local hours (UTC{offset})",
    thresholds_fibre_line: "fibre: loss at most {loss}, RTT at most {rtt} ms, at least {rounds} rounds per window, up at least {up} of known windows, known at least {known} of windows, target {target}; edge flag {edge} m",
    thresholds_speed_line: "fibre speed: mean of the throughput tests at least {share} of the contracted speed (QCVN 34:2022), from at least {samples} tests per direction (QCVN 34:2022's method takes 1,000)",
    any_target: "any",

    confidence_note: "Samples a minute apart are not independent, so intervals are computed on hourly blocks: each site and operator's usable share gets a 95 % Wilson score interval with n = the number of hours (UTC hour buckets) with counted samples, not the number of samples. A commune's share is that of the site and operator that decided its verdict.",
    provenance_period: "{from} to {to} ({windows} windows of 1 h)",
    provenance_software: "{software} {version} (commit {commit})",
    provenance_influx: "InfluxDB {url}, database `{database}`; queries run:",
    provenance_archive: "line-protocol archive",
    provenance_archive_file: "`{path}` SHA-256 `{sha}`: {lines} lines, {unparsed} unparsed, {duplicates} duplicate points",
    provenance_equivalent: "Aggregates equal to these InfluxQL statements:",

    summary_title: "Audit of {set}, {period}",

    definition_classes: "A sample is usable, unusable or excluded as DESIGN.md 'Mobile sample classes' defines; counted = usable + unusable.",
    definition_site: "Site and operator: covered when usable/counted >= min_usable_share_pct with >= min_samples counted samples in >= min_distinct_hours distinct local hours of the day; not_covered when that evidence exists and the share is below; insufficient_data otherwise.",
    definition_commune_operator: "Commune, per operator: covered if any of its sites with that operator's SIM is covered; else insufficient_data if any such site has insufficient data (a registry site without samples of that operator counts as insufficient); else not_covered; no_site without such a site.",
    definition_commune_any: "Commune, any operator: covered if any operator covers it; not_covered if every operator measured there is not_covered; no_site without mobile sites; else insufficient_data. usable_share is that of the operator and site that decided it.",
    definition_district: "District, mobile (used by mobile:districts claims): covered when every commune of it is covered; not_covered when any commune is not_covered; no_site when no commune has a site; else insufficient_data.",
    definition_fibre_window: "Fibre window (1 h, per site): unknown with fewer than min_rounds rounds; up when loss <= max_loss_pct and the median of the rounds' rtt_p50_ms <= max_rtt_ms. An area's window is up if any of its sites is up, down if none is up and one is known.",
    definition_fibre_area: "Fibre area: connected when up/known >= min_up_pct and known >= min_known_pct of the period's windows; not_connected when enough are known and fewer are up; insufficient_data when too few are known; no_site without fibre sites. Districts are the fibre level of bac-kan-2020, communes of thai-nguyen-2025; commune fibre in bac-kan-2020 is informative.",
    definition_claims: "Claims: lower = areas shown / all areas in scope, upper = (shown + insufficient_data + no_site) / all, both in percent; verified when lower >= the claimed percent, refuted when upper < it, else unproven (compared in integers).",
    definition_placement: "Sites are placed on the audited set by the audit itself (registry position first, else the last reported position); flagged sites are not moved.",
};

/// Vietnamese.
pub const VI: ReportText = ReportText {
    title: "Báo cáo đánh giá vùng phủ sóng",
    verdict_covered: "Đạt (có phủ sóng)",
    verdict_not_covered: "Không đạt",
    verdict_insufficient_data: "Chưa đủ dữ liệu",
    verdict_no_site: "Chưa có điểm đo",
    verdict_connected: "Có kết nối",
    verdict_not_connected: "Không đạt",
    claim_verified: "Được xác nhận",
    claim_refuted: "Bị bác bỏ",
    claim_unproven: "Chưa đủ căn cứ",

    provisional_thresholds: "Ngưỡng tạm thời (mặc định)",
    period_range: "từ {from} đến {to}",
    time_zone: "UTC{offset}",
    time_zone_vietnam: "giờ Việt Nam (UTC{offset}, Asia/Ho_Chi_Minh)",

    heading_claims: "Chỉ tiêu công bố",
    heading_province: "Tỉnh",
    heading_districts: "Huyện",
    heading_communes: "Xã",
    heading_reasons: "Lý do kết luận của từng xã",
    heading_flagged: "Điểm đo cần kiểm tra",
    heading_thresholds: "Ngưỡng áp dụng và nguồn",
    heading_confidence: "Khoảng tin cậy",
    heading_definitions: "Định nghĩa",
    heading_provenance: "Thông tin truy xuất nguồn gốc",

    label_set: "Bộ ranh giới hành chính",
    label_period: "Kỳ đánh giá",
    label_time_zone: "Múi giờ",
    label_claim: "Chỉ tiêu công bố",
    label_verdict: "Kết luận",
    label_lower: "Cận dưới",
    label_upper: "Cận trên",
    label_shown: "Đạt",
    label_not_shown: "Không đạt",
    label_unknown: "Chưa xác định",
    label_unknown_no_site: "Chưa xác định, chưa có điểm đo",
    label_unknown_insufficient: "Chưa xác định, chưa đủ dữ liệu",
    label_areas: "Số đơn vị",
    label_code: "Mã",
    label_commune: "Xã",
    label_district: "Huyện",
    label_province: "Tỉnh",
    label_sites: "Điểm đo",
    label_site: "Điểm đo",
    label_samples: "Mẫu đo tín hiệu",
    label_counted: "Mẫu đo được tính",
    label_usable_share: "Tỷ lệ mẫu đạt ngưỡng",
    label_mobile: "Phủ sóng di động",
    label_fibre: "Kết nối cáp quang",
    label_fibre_speed: "Tốc độ cáp quang",
    label_operator: "Nhà mạng",
    label_any_operator: "mọi nhà mạng",
    label_reason: "Lý do",
    label_excluded: "Mẫu đo bị loại",
    label_flags: "Cờ cảnh báo",
    label_fibre_windows: "Khung giờ cáp quang hoạt động / xác định / tổng",
    label_communes_covered: "Số xã đạt",
    label_software: "Phần mềm",
    label_source: "Nguồn",
    label_threshold_sources: "Nguồn của ngưỡng",
    label_policy: "Quy tắc mẫu đo đạt ngưỡng",
    label_communes: "Xã",
    label_districts: "Huyện",
    label_districts_mobile: "Huyện, phủ sóng di động (mọi xã đạt)",
    sites_line: "{sites} điểm đo ({placed} điểm nằm trong một xã, {flagged} điểm cần kiểm tra)",
    samples_line: "{samples} mẫu đo tín hiệu, {counted} mẫu được tính",
    none: "Không có.",
    no_claim: "Không có chỉ tiêu công bố nào được đưa vào.",

    areas_communes: "xã",
    areas_districts: "huyện",
    area_commune: "xã",
    area_district: "huyện",
    was_measured_one: "được đo là",
    was_measured_many: "được đo là",
    shown_mobile: "được phủ sóng",
    shown_fibre: "có kết nối cáp quang",
    not_shown_mobile: "không có phủ sóng",
    not_shown_fibre: "không có kết nối cáp quang",
    claim_verified_sentence: "Được xác nhận: {shown}/{total} {areas} {shown_word} ({lower}), không thấp hơn mức công bố {target}.",
    claim_refuted_sentence: "Bị bác bỏ: {not_shown} {areas} {measured} {not_shown_word}, nên tối đa {upper} có thể {shown_word}, thấp hơn mức công bố {target}.",
    claim_unproven_sentence: "Chưa đủ căn cứ: {shown}/{total} {areas} {shown_word} ({lower}) và {unknown} đơn vị chưa xác định ({no_site} chưa có điểm đo, {insufficient} chưa đủ dữ liệu), nên tỷ lệ {shown_word} nằm trong khoảng {lower} đến {upper}: mức công bố {target} chưa được xác nhận cũng chưa bị bác bỏ.",
    fibre_latency_note: "Độ trễ cho thấy điểm đo kết nối được, không cho biết tốc độ tải dữ liệu.",
    shown_speed: "đạt tốc độ theo hợp đồng",
    not_shown_speed: "không đạt tốc độ theo hợp đồng",
    fibre_speed_note: "Tốc độ là trung bình các lần đo tốc độ tải dữ liệu qua cáp quang so với tốc độ theo hợp đồng trong danh sách điểm đo ({share} tốc độ hợp đồng, QCVN 34:2022), đánh giá từ {samples} lần đo mỗi chiều trong khi phương pháp của QCVN 34:2022 dùng 1.000 lần đo.",
    verdict_fast: "Đạt tốc độ",
    verdict_slow: "Không đạt tốc độ",

    interval: "khoảng tin cậy 95% {lo}–{hi}",
    interval_none: "không có khoảng tin cậy",
    reason_covered: "điểm đo {site}: {share} của {counted} mẫu đo đạt ngưỡng ({interval}), không thấp hơn {min}",
    reason_below_threshold: "điểm đo {site}: {share} của {counted} mẫu đo đạt ngưỡng ({interval}), thấp hơn {min}",
    reason_too_few_samples: "điểm đo {site}: chưa đủ số mẫu, chỉ {counted} mẫu được tính (cần {min})",
    reason_too_few_hours: "điểm đo {site}: chưa đủ số giờ đo khác nhau, mẫu đo trong {hours} giờ (cần {min})",
    reason_nothing_counted: "điểm đo {site}: không mẫu nào trong {samples} mẫu đo được tính",
    reason_not_measured: "điểm đo {site} đã đăng ký cho nhà mạng này nhưng không gửi mẫu đo nào của nhà mạng trong kỳ đánh giá",
    reason_no_site: "chưa có điểm đo",
    reason_no_site_operator: "chưa có điểm đo dùng SIM của nhà mạng này",
    reason_site_silent: "điểm đo {site} đã đăng ký nhưng không gửi dữ liệu nào trong kỳ đánh giá",
    reason_flag_near_edge: "điểm đo {site} cần kiểm tra: cách ranh giới xã {distance}",
    reason_flag_outside: "điểm đo {site} cần kiểm tra: nằm ngoài mọi xã của bộ ranh giới",
    reason_flag_configured_elsewhere: "điểm đo {site} cần kiểm tra: được lắp cho xã khác ({configured})",
    reason_flag_no_position: "điểm đo {site} cần kiểm tra: không có vị trí trong danh sách đăng ký hay trong dữ liệu gửi về",
    excluded_samples: "{n} mẫu đo bị loại: {list}",
    excluded_reg_denied: "bị từ chối đăng ký mạng {n}",
    excluded_reg_unknown: "chưa rõ trạng thái đăng ký mạng {n}",
    excluded_no_value: "không có giá trị đo {n}",
    excluded_clock_not_synced: "đồng hồ chưa đồng bộ {n}",
    excluded_unrecognised: "công nghệ hoặc trạng thái đăng ký không nhận biết được {n}",

    thresholds_default_note: "Ngưỡng mức tín hiệu thu là giá trị mặc định của hệ thống này, không phải mức tối thiểu tại mục 1.4.5 QCVN 81:2019; đặt lại trong `audit.policy.thresholds` và `audit.policy.by_placement`.",
    thresholds_configured_note: "Ngưỡng mức tín hiệu thu được đặt trong cấu hình của hệ thống này (`audit.policy`).",
    threshold_with_source: "{what}: {source}",
    what_share: "tỷ lệ mẫu đạt ngưỡng từ {share}",
    what_samples: "ít nhất {n} mẫu đo được tính",
    what_hours: "mẫu đo trong ít nhất {n} giờ khác nhau trong ngày (giờ địa phương)",
    source_qcvn_share: "QCVN 81:2019 mục 2.1.1 (độ sẵn sàng của mạng vô tuyến)",
    source_vnnic_samples: "VNNIC (i-Speed)",
    source_project_hours: "quy tắc của dự án (docs/design.md)",
    source_configured: "đặt trong cấu hình của hệ thống này",
    operators_source: "Tên nhà mạng: {source}",
    thresholds_line: "tỷ lệ mẫu đạt ngưỡng từ {share}, ít nhất {samples} mẫu đo trong ít nhất {hours} giờ địa phương (UTC{offset})",
    thresholds_fibre_line: "cáp quang: tỷ lệ mất gói tối đa {loss}, độ trễ tối đa {rtt} ms, ít nhất {rounds} lượt đo mỗi khung giờ, hoạt động từ {up} số khung giờ xác định, xác định từ {known} số khung giờ, đích {target}; cờ ranh giới {edge} m",
    thresholds_speed_line: "tốc độ cáp quang: trung bình các lần đo tốc độ tải dữ liệu đạt ít nhất {share} tốc độ theo hợp đồng (QCVN 34:2022), từ ít nhất {samples} lần đo mỗi chiều (phương pháp của QCVN 34:2022 dùng 1.000 lần đo)",
    any_target: "bất kỳ",

    confidence_note: "Các mẫu đo cách nhau một phút không độc lập với nhau, nên khoảng tin cậy được tính theo khối giờ: tỷ lệ mẫu đạt ngưỡng của mỗi điểm đo và nhà mạng có khoảng tin cậy 95% Wilson với n = số giờ (khung giờ UTC) có mẫu đo được tính, không phải số mẫu đo. Tỷ lệ của một xã là tỷ lệ của điểm đo và nhà mạng là căn cứ kết luận.",
    provenance_period: "từ {from} đến {to} ({windows} khung giờ 1 giờ)",
    provenance_software: "{software} {version} (commit {commit})",
    provenance_influx: "InfluxDB {url}, cơ sở dữ liệu `{database}`; các truy vấn đã chạy:",
    provenance_archive: "tệp lưu trữ line-protocol",
    provenance_archive_file: "`{path}` SHA-256 `{sha}`: {lines} dòng, {unparsed} dòng không đọc được, {duplicates} điểm trùng lặp",
    provenance_equivalent: "Số liệu tổng hợp trùng với kết quả của các câu lệnh InfluxQL sau:",

    summary_title: "Đánh giá {set}, {period}",

    definition_classes: "Mẫu đo được phân loại là đạt ngưỡng, không đạt ngưỡng hoặc bị loại theo DESIGN.md 'Mobile sample classes'; mẫu được tính = đạt ngưỡng + không đạt ngưỡng.",
    definition_site: "Điểm đo và nhà mạng: Đạt khi số mẫu đạt ngưỡng / số mẫu được tính >= min_usable_share_pct, với >= min_samples mẫu được tính trong >= min_distinct_hours giờ khác nhau trong ngày (giờ địa phương); Không đạt khi đủ các điều kiện đó mà tỷ lệ thấp hơn; còn lại là Chưa đủ dữ liệu.",
    definition_commune_operator: "Xã, theo từng nhà mạng: Đạt nếu một điểm đo dùng SIM của nhà mạng đó trong xã đạt; nếu không, Chưa đủ dữ liệu nếu một điểm đo như vậy chưa đủ dữ liệu (điểm đo đã đăng ký mà không có mẫu đo của nhà mạng được tính là chưa đủ dữ liệu); nếu không, Không đạt; Chưa có điểm đo khi không có điểm đo như vậy.",
    definition_commune_any: "Xã, mọi nhà mạng: Đạt nếu một nhà mạng đạt; Không đạt nếu mọi nhà mạng được đo ở đó đều không đạt; Chưa có điểm đo khi không có điểm đo di động; còn lại là Chưa đủ dữ liệu. usable_share là tỷ lệ của nhà mạng và điểm đo là căn cứ kết luận.",
    definition_district: "Huyện, phủ sóng di động (dùng cho chỉ tiêu mobile:districts): Đạt khi mọi xã của huyện đạt; Không đạt khi có xã không đạt; Chưa có điểm đo khi không xã nào có điểm đo; còn lại là Chưa đủ dữ liệu.",
    definition_fibre_window: "Khung giờ cáp quang (1 giờ, mỗi điểm đo): chưa xác định khi có ít hơn min_rounds lượt đo; hoạt động khi tỷ lệ mất gói <= max_loss_pct và trung vị rtt_p50_ms của các lượt <= max_rtt_ms. Khung giờ của một đơn vị hoạt động nếu một điểm đo của nó hoạt động, không hoạt động nếu không điểm nào hoạt động và có điểm đã xác định.",
    definition_fibre_area: "Cáp quang của một đơn vị: Có kết nối khi số khung hoạt động / số khung xác định >= min_up_pct và số khung xác định >= min_known_pct số khung của kỳ đánh giá; Không đạt khi đủ khung xác định mà ít khung hoạt động hơn; Chưa đủ dữ liệu khi quá ít khung xác định; Chưa có điểm đo khi không có điểm đo cáp quang. Huyện là cấp đánh giá cáp quang của bac-kan-2020, xã là cấp của thai-nguyen-2025; cáp quang cấp xã trong bac-kan-2020 chỉ để tham khảo.",
    definition_claims: "Chỉ tiêu công bố: cận dưới = số đơn vị đạt / tổng số đơn vị trong phạm vi, cận trên = (đạt + chưa đủ dữ liệu + chưa có điểm đo) / tổng, đều tính theo phần trăm; Được xác nhận khi cận dưới >= mức công bố, Bị bác bỏ khi cận trên < mức công bố, còn lại là Chưa đủ căn cứ (so sánh bằng số nguyên).",
    definition_placement: "Điểm đo được đặt vào bộ ranh giới đang đánh giá bởi chính quá trình đánh giá (ưu tiên vị trí trong danh sách đăng ký, nếu không có thì vị trí gửi về gần nhất); điểm đo cần kiểm tra không bị dời đi.",
};
