//! The live map's words (the collector's `GET /`): headings, the site table, the site
//! statuses, what the page says while it refreshes. Verdict words and map labels come from
//! [`report`](super::report) and [`html`](super::html), shared with the audit report.
//!
//! Invariant (checked by the catalogue test): both languages have every key, with the same
//! placeholders; Vietnamese uses the terms of `docs/reference/glossary-vi.md`.

crate::catalogue! {
    /// The live map's strings, one table per language.
    pub struct LiveText {
        /// Page title and heading.
        title,
        /// What the map shows (`{set}`: the boundary set).
        map_caption,
        /// When the page last fetched the data (`{time}`, local time of the browser).
        updated,
        /// How often the page refreshes (`{seconds}`).
        refresh_note,
        /// Heading of the site list.
        sites,
        /// Column: site id.
        col_site,
        /// Column: status.
        col_status,
        /// Column: commune.
        col_commune,
        /// Column: time since anything of the site was stored.
        col_last_seen,
        /// Column: agent version.
        col_agent,
        /// Column: readings waiting in the agent's spool / dropped.
        col_spool,
        /// Column: the agent's clock.
        col_clock,
        /// Status: heartbeats on time.
        status_alive,
        /// Status: heartbeats missing.
        status_stale,
        /// Status: nothing received for a long time.
        status_silent,
        /// Status: not in the site registry.
        status_unregistered,
        /// Heading of the site-status legend.
        legend_status,
        /// An age in minutes (`{minutes}`).
        minutes_ago,
        /// An age in seconds (`{seconds}`).
        seconds_ago,
        /// A site never heard from.
        never,
        /// The agent's clock is synchronised.
        clock_synced,
        /// The agent's clock is not synchronised.
        clock_not_synced,
        /// No daily rollup for the set yet.
        no_rollups,
        /// Data could not be fetched (`{what}`: an API path, `{error}`: what went wrong).
        fetch_failed,
        /// The link to the page in the other language.
        other_language,
        /// Status counts line (`{alive}`, `{stale}`, `{silent}`, `{unregistered}`).
        counts,
    }
}

/// English.
pub const EN: LiveText = LiveText {
    title: "Coverage monitor: live map",
    map_caption: "{set}: each commune coloured by the verdict of the 30-day period ending with its latest day (mobile, any operator); dots are sites, coloured by status.",
    updated: "Updated {time}",
    refresh_note: "The page refreshes every {seconds} s.",
    sites: "Sites",
    col_site: "Site",
    col_status: "Status",
    col_commune: "Commune",
    col_last_seen: "Last seen",
    col_agent: "Agent",
    col_spool: "Spool (waiting / dropped)",
    col_clock: "Clock",
    status_alive: "alive",
    status_stale: "stale (heartbeats missing)",
    status_silent: "silent",
    status_unregistered: "unregistered",
    legend_status: "Site status",
    minutes_ago: "{minutes} min ago",
    seconds_ago: "{seconds} s ago",
    never: "never",
    clock_synced: "synchronised",
    clock_not_synced: "not synchronised",
    no_rollups: "No daily rollup of this set yet: the communes are drawn without a verdict.",
    fetch_failed: "Could not fetch {what}: {error}",
    other_language: "Tiếng Việt",
    counts: "{alive} alive, {stale} stale, {silent} silent, {unregistered} unregistered",
};

/// Vietnamese.
pub const VI: LiveText = LiveText {
    title: "Giám sát vùng phủ sóng: bản đồ trực tiếp",
    map_caption: "{set}: mỗi xã được tô màu theo kết luận của giai đoạn 30 ngày kết thúc vào ngày gần nhất (di động, mọi nhà mạng); các chấm là điểm đo, tô màu theo trạng thái.",
    updated: "Cập nhật lúc {time}",
    refresh_note: "Trang tự làm mới sau mỗi {seconds} giây.",
    sites: "Điểm đo",
    col_site: "Điểm đo",
    col_status: "Trạng thái",
    col_commune: "Xã",
    col_last_seen: "Lần cuối nhận dữ liệu",
    col_agent: "Thiết bị đo",
    col_spool: "Hàng đợi (chờ gửi / bị bỏ)",
    col_clock: "Đồng hồ",
    status_alive: "Đang hoạt động",
    status_stale: "Chậm báo cáo",
    status_silent: "Mất liên lạc",
    status_unregistered: "Điểm đo chưa đăng ký",
    legend_status: "Trạng thái điểm đo",
    minutes_ago: "{minutes} phút trước",
    seconds_ago: "{seconds} giây trước",
    never: "chưa bao giờ",
    clock_synced: "đã đồng bộ",
    clock_not_synced: "chưa đồng bộ",
    no_rollups: "Chưa có số liệu tổng hợp theo ngày cho bộ ranh giới này: các xã được vẽ chưa có kết luận.",
    fetch_failed: "Không lấy được {what}: {error}",
    other_language: "English",
    counts: "{alive} đang hoạt động, {stale} chậm báo cáo, {silent} mất liên lạc, {unregistered} chưa đăng ký",
};
