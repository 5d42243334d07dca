//! The words of the collector's `check-config`: what a server's config resolves to, for
//! whoever runs the servers, in English and Vietnamese.
//!
//! Invariant (checked by the catalogue test): both languages have every key, with the same
//! placeholders. Config keys, URLs and paths are the same in both languages.

use super::Lang;

crate::catalogue! {
    /// The collector's `check-config` strings, one table per language.
    pub struct ServerText {
        /// The file is valid, `{file}`.
        valid,
        /// Label: the broker.
        broker,
        /// The broker `{url}`, `{user}`, subscription `{filter}`, receive maximum `{receive}`,
        /// session expiry `{expiry}`.
        broker_value,
        /// No MQTT user.
        anonymous,
        /// The MQTT user `{user}`.
        user,
        /// Label: where points go.
        store,
        /// InfluxDB: `{url}`, API `{api}`, database `{database}`, `{auth}`.
        store_influx,
        /// A line-protocol file, `{path}`.
        store_archive,
        /// A token or password is configured.
        secret_set,
        /// No token or password.
        secret_none,
        /// Label: batching.
        sink,
        /// Batches of `{lines}` lines, flushed every `{flush}`, retries up to `{backoff}` apart.
        sink_value,
        /// Label: dead letters.
        dead_letter,
        /// Dead letters in `{path}`, at most `{max}` bytes.
        dead_letter_value,
        /// Label: the operations endpoint.
        http,
        /// Label: the boundary sets.
        boundaries,
        /// The boundary sets compiled in.
        boundaries_embedded,
        /// Label: the site registry.
        registry,
        /// `{n}` sites from `{file}` (SHA-256 `{sha}`).
        registry_value,
        /// No registry.
        registry_none,
        /// Label: the audit thresholds.
        audit,
        /// The audit: `{share}` usable share, `{samples}` samples, `{hours}` distinct hours,
        /// UTC`{offset}`.
        audit_value,
    }
}

/// English.
pub const EN: ServerText = ServerText {
    valid: "{file}: valid",
    broker: "broker",
    broker_value: "{url} as {user}, subscribed to {filter} (receive maximum {receive}, session kept {expiry})",
    anonymous: "anonymous",
    user: "user {user}",
    store: "store",
    store_influx: "InfluxDB {url} (API {api}, database {database}, {auth})",
    store_archive: "line-protocol file {path}",
    secret_set: "credentials set",
    secret_none: "no credentials",
    sink: "batches",
    sink_value: "{lines} lines, flushed every {flush}, retries at most {backoff} apart",
    dead_letter: "dead letters",
    dead_letter_value: "{path} (at most {max} bytes)",
    http: "operations endpoint",
    boundaries: "boundary sets",
    boundaries_embedded: "compiled in",
    registry: "site registry",
    registry_value: "{n} site(s) from {file} (SHA-256 {sha})",
    registry_none: "none (every site is placed by its readings' position)",
    audit: "audit",
    audit_value: "usable share at least {share}, at least {samples} samples in {hours} distinct hours, time \
        zone UTC{offset}",
};

/// Vietnamese (terms of `docs/reference/glossary-vi.md`).
pub const VI: ServerText = ServerText {
    valid: "{file}: hợp lệ",
    broker: "broker",
    broker_value: "{url} với {user}, đăng ký nhận {filter} (nhận tối đa {receive}, giữ phiên {expiry})",
    anonymous: "ẩn danh",
    user: "người dùng {user}",
    store: "nơi lưu",
    store_influx: "InfluxDB {url} (API {api}, cơ sở dữ liệu {database}, {auth})",
    store_archive: "tệp line protocol {path}",
    secret_set: "đã có thông tin xác thực",
    secret_none: "không có thông tin xác thực",
    sink: "gom lô",
    sink_value: "{lines} dòng, ghi mỗi {flush}, thử lại cách nhau tối đa {backoff}",
    dead_letter: "thư hỏng",
    dead_letter_value: "{path} (tối đa {max} byte)",
    http: "cổng vận hành",
    boundaries: "bộ ranh giới",
    boundaries_embedded: "có sẵn trong chương trình",
    registry: "danh sách điểm đo",
    registry_value: "{n} điểm đo từ {file} (SHA-256 {sha})",
    registry_none: "không có (mỗi điểm đo được xác định theo vị trí trong bản ghi)",
    audit: "đánh giá",
    audit_value: "tỷ lệ mẫu đạt ngưỡng tối thiểu {share}, tối thiểu {samples} mẫu trong {hours} giờ khác \
        nhau, múi giờ UTC{offset}",
};

/// The table of `lang`.
pub fn text(lang: Lang) -> &'static ServerText {
    match lang {
        Lang::En => &EN,
        Lang::Vi => &VI,
    }
}
