//! The words of the collector's `check-config` (what a server's config resolves to) and of its
//! `check` (the pre-flight: one line per check, `check_*` labels, with each fix), for whoever
//! runs the servers, in English and Vietnamese.
//!
//! Invariant (checked by the catalogue test): both languages have every key, with the same
//! placeholders. Config keys, URLs and paths are the same in both languages.

use super::Lang;

crate::catalogue! {
    /// The collector's `check-config` and `check` strings, one table per language.
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
        /// Summary row: the write-ahead log.
        wal,
        /// `{dir}` (at most `{max}` bytes), or none.
        wal_value,
        /// Without a write-ahead log.
        wal_none,
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
        /// Label: site provisioning (`site add`, `site retire`).
        provisioning,
        /// The broker's password file `{file}`, reloaded by `{reload}`; agents get `{url}` and
        /// the CA `{ca}`.
        provisioning_value,
        /// No reload command: the broker is to be reloaded by hand.
        provisioning_no_reload,
        /// No CA for the agents.
        provisioning_no_ca,
        /// No `[provisioning]`.
        provisioning_none,
        /// Label: the audit thresholds.
        audit,
        /// The audit: `{share}` usable share, `{samples}` samples, `{hours}` distinct hours,
        /// UTC`{offset}`.
        audit_value,
        /// Check label: the broker connection.
        check_broker,
        /// Check label: the right to subscribe.
        check_subscribe,
        /// Check label: the right to publish resend requests.
        check_resend,
        /// Check label: InfluxDB reachable.
        check_influx,
        /// Check label: the database or bucket.
        check_database,
        /// Check label: the right to write.
        check_write,
        /// Check label: the right to query.
        check_query,
        /// Check label: the archive file's directory.
        check_archive,
        /// Check label: the boundary sets.
        check_boundaries,
        /// Check label: the site registry.
        check_registry,
        /// Check label: the dead-letter file's directory.
        check_dead_letter,
        /// Check label: the write-ahead log's directory.
        check_wal,
        /// Connected to `{url}` as `{user}` (CONNACK `{code}`).
        broker_connected,
        /// `{host}` refused the connection as `{user}`: CONNACK `{code}`.
        broker_refused,
        /// Fix for refused credentials of `{user}`, password in `{place}`.
        broker_credentials_fix,
        /// Fix: the broker wants a user.
        broker_anonymous_fix,
        /// Fix for another CONNACK refusal.
        broker_refused_fix,
        /// Cannot connect to `{host}`: `{error}`.
        broker_cannot_connect,
        /// Fix: nothing listens on `{host}`.
        broker_nothing_listens_fix,
        /// TLS with `{host}` failed: `{error}`.
        broker_tls_failed,
        /// Fix for a TLS failure, CA bundle `{ca}`.
        broker_tls_fix,
        /// Fix for any other connection failure.
        broker_other_fix,
        /// No answer from `{host}` within `{after}`.
        broker_silent,
        /// Fix: check the route to `{host}` port `{port}`.
        broker_silent_fix,
        /// Fix: `{file}` (`{key}`) cannot be read.
        broker_file_fix,
        /// The broker closed the connection at step `{step}` (`{code}`).
        broker_closed,
        /// Fix: look in the broker's log.
        broker_closed_fix,
        /// `{filter}` granted (SUBACK `{code}`).
        subscribe_granted,
        /// `{filter}` granted (SUBACK `{code}`), but the check's publish on `{topic}` did not come
        /// back within `{after}`.
        subscribe_unproven,
        /// `{filter}` granted (SUBACK `{code}`), not confirmed by a delivery (`{topic}`,
        /// `{after}`: the publish was refused).
        subscribe_untested,
        /// The broker refused `{filter}`: SUBACK `{code}`.
        subscribe_refused,
        /// Fix: the ACL must let `{user}` read the readings.
        subscribe_refused_fix,
        /// The QoS 1 publish on `{topic}` was acknowledged (`{reason}`); what that proves.
        resend_acked,
        /// The publish on `{topic}` was acknowledged (`{reason}`) and came back through the
        /// subscription.
        resend_delivered,
        /// The broker closed the connection after the publish on `{topic}`.
        resend_closed,
        /// The broker refused the publish on `{topic}`: PUBACK `{reason}`.
        resend_refused,
        /// Fix: the ACL must let `{user}` write resend requests.
        resend_refused_fix,
        /// No `{packet}` within `{after}`.
        no_answer,
        /// Fix: the broker did not answer.
        no_answer_fix,
        /// Not tried: the broker connection failed.
        not_tried,
        /// `{url}` answers /ping (version `{version}`).
        influx_ping,
        /// Cannot reach `{url}`: `{error}`.
        influx_unreachable,
        /// Fix: start InfluxDB or correct influx.url (`{url}`).
        influx_unreachable_fix,
        /// Database `{database}` exists.
        database_found,
        /// Database `{database}` does not exist; the server has `{found}`.
        database_missing,
        /// Fix: create `{database}`.
        database_missing_fix,
        /// SHOW DATABASES failed: `{error}`.
        database_failed,
        /// Fix: the credentials cannot list databases.
        database_failed_fix,
        /// v2: the bucket `{bucket}` is checked by the write.
        bucket_by_write,
        /// Wrote one point to `collector_check` in `{database}`.
        write_ok,
        /// Writing one point to `{database}` failed: `{error}`.
        write_failed,
        /// Fix: grant write on `{database}`.
        write_failed_fix,
        /// SHOW MEASUREMENTS LIMIT 1 on `{database}` answered (`{n}` rows).
        query_ok,
        /// SHOW MEASUREMENTS on `{database}` failed: `{error}`.
        query_failed,
        /// Fix: grant read on `{database}`.
        query_failed_fix,
        /// `{dir}` is writable (for `{file}`).
        dir_writable,
        /// `{dir}` does not exist yet; its ancestor `{ancestor}` is writable (for `{file}`).
        dir_creatable,
        /// `{dir}` is not writable: `{error}`.
        dir_not_writable,
        /// Fix: create `{dir}`, writable by the collector's user.
        dir_fix,
        /// `{n}` boundary sets from `{from}`: `{sets}`.
        boundaries_ok,
        /// The boundary sets from `{from}` do not load: `{error}`.
        boundaries_failed,
        /// Fix: correct boundaries.dir.
        boundaries_fix,
        /// `{n}` sites in `{file}`, each inside the commune it names; `{unnamed}` name none.
        registry_ok,
        /// No [registry]: nothing to check.
        registry_absent,
        /// Site `{site}` at (`{lat}`, `{lon}`) lies in `{place}` of `{set}`, not in `{named}`.
        registry_elsewhere,
        /// Site `{site}` at (`{lat}`, `{lon}`) lies outside every commune of `{set}` (nearest `{place}`, `{distance}` m), not in `{named}`.
        registry_nowhere,
        /// Site `{site}` names commune `{named}`: `{error}`.
        registry_bad_ref,
        /// Fix: correct the site's position or commune in `{file}`; `{set}`, `{lat}`, `{lon}`.
        registry_fix,
        /// `site add`: `{id}` added to `{registry}` ({n} sites), placed in `{place}`.
        site_added,
        /// `site add`: its broker login is in `{passwd}`.
        site_login,
        /// `site add`: the technician's files in `{dir}`.
        site_agent_files,
        /// The broker was reloaded with `{command}`.
        site_reloaded,
        /// No reload command: reload the broker so it reads `{passwd}`.
        site_no_reload,
        /// `site retire`: `{id}` retired at `{at}`, kept in `{registry}`.
        site_retired,
        /// `site list` column headings, tab-separated.
        site_list_header,
        /// `site list`: no status, the collector at `{url}` did not answer (`{error}`).
        site_status_unknown,
        /// `site list`: the registry `{registry}` lists no site.
        site_none,
        /// `site`: the config `{file}` has no `[registry]` file.
        site_err_no_registry,
        /// `site`: the config `{file}` has no `[provisioning]`.
        site_err_no_provisioning,
        /// `site add`: `{id}` is in the registry already.
        site_err_exists,
        /// `site retire`: `{id}` is not in the registry.
        site_err_unknown,
        /// `site retire`: `{id}` was retired at `{at}` already.
        site_err_already_retired,
        /// The broker reload `{command}` failed: `{detail}`.
        site_err_reload,
        /// `--commune {arg}` is not `SET:CODE`.
        site_err_commune_syntax,
        /// `--commune {arg}`: set `{set}` has no commune `{code}`.
        site_err_no_such_commune,
        /// No boundary set is in force today.
        site_err_no_set,
        /// (`{lat}`, `{lon}`) lies outside every commune of `{set}`.
        site_err_outside,
        /// `--out {dir}` exists already.
        site_err_out_exists,
        /// `{passwd}` has a login for `{id}` that the registry does not list.
        site_err_login_exists,
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
    wal: "write-ahead log",
    wal_value: "{dir} (at most {max} bytes; a reading is on disk before it is acknowledged)",
    wal_none: "none: a reading is acknowledged once InfluxDB stored it",
    http: "operations endpoint",
    boundaries: "boundary sets",
    boundaries_embedded: "compiled in",
    registry: "site registry",
    registry_value: "{n} site(s) from {file} (SHA-256 {sha})",
    registry_none: "none (every site is placed by its readings' position)",
    provisioning: "site provisioning",
    provisioning_value: "password file {file}, broker reloaded by {reload}; new agents get {url}, CA {ca}",
    provisioning_no_reload: "no command (reload it by hand)",
    provisioning_no_ca: "none (the system bundle)",
    provisioning_none: "none (`site add` and `site retire` need [provisioning])",
    audit: "audit",
    audit_value: "usable share at least {share}, at least {samples} samples in {hours} distinct hours, time \
        zone UTC{offset}",
    check_broker: "broker",
    check_subscribe: "subscribe",
    check_resend: "resend requests",
    check_influx: "InfluxDB",
    check_database: "database",
    check_write: "write",
    check_query: "query",
    check_archive: "archive",
    check_boundaries: "boundary sets",
    check_registry: "site registry",
    check_dead_letter: "dead letters",
    check_wal: "write-ahead log",
    broker_connected: "connected to {url} as {user} (CONNACK {code})",
    broker_refused: "{host} refused the connection as {user}: CONNACK {code}",
    broker_credentials_fix: "the broker refused {user}'s credentials: check that {place} holds the collector's password, and that the broker's password file has user {user} (`mosquitto_passwd <password file> {user}`)",
    broker_anonymous_fix: "the broker does not accept anonymous clients: set mqtt.username and mqtt.password_file",
    broker_refused_fix: "look in the broker's log for why it refused the connection",
    broker_cannot_connect: "cannot connect to {host}: {error}",
    broker_nothing_listens_fix: "nothing accepts connections on {host}: check that the broker runs and the host and port in mqtt.url (1883 for mqtt://, 8883 for mqtts://)",
    broker_tls_failed: "TLS with {host} failed: {error}",
    broker_tls_fix: "check that mqtt.ca_file ({ca}) holds the CA that signed the broker's certificate, that mqtt.url names the host the certificate names, and that the port is the broker's TLS port",
    broker_other_fix: "check mqtt.url, the network to the broker and the broker's log",
    broker_silent: "no answer from {host} within {after}",
    broker_silent_fix: "check the route and any firewall to the broker (`nc -vz {host} {port}`), and the host and port in mqtt.url",
    broker_file_fix: "{key}: create {file}, readable by the collector's user",
    broker_closed: "the broker closed the connection at the {step} step ({code})",
    broker_closed_fix: "look in the broker's log for why it closed the connection",
    subscribe_granted: "{filter} granted (SUBACK {code}); the check's own request came back through it",
    subscribe_unproven: "{filter} granted (SUBACK {code}), but the check's own publish on {topic} did not come back within {after}: the broker may grant a filter and still not deliver what its ACL forbids (mosquitto does)",
    subscribe_untested: "{filter} granted (SUBACK {code}); not confirmed by a delivery, since the publish on {topic} failed (waited {after})",
    subscribe_refused: "the broker refused the subscription to {filter}: SUBACK {code}",
    subscribe_refused_fix: "let user {user} read the readings in the broker's ACL (`user {user}` then `topic read coverage/v1/#`, as deploy/mosquitto/acl)",
    resend_delivered: "QoS 1 publish on {topic} acknowledged (PUBACK {reason}) and delivered back: the broker's ACL allowed it",
    resend_acked: "QoS 1 publish on {topic} sent and acknowledged (PUBACK {reason}), but not delivered back: the broker does not say whether its ACL allowed it (a broker may acknowledge a publish it dropped)",
    resend_closed: "the broker closed the connection after the publish on {topic}: mosquitto 2.0 answers a publish its ACL denies with PUBACK 0x87 and closes the connection",
    resend_refused: "the broker refused the publish on {topic}: PUBACK {reason}",
    resend_refused_fix: "let user {user} write resend requests in the broker's ACL (`topic write coverage/v1/+/resend`, as deploy/mosquitto/acl)",
    no_answer: "no {packet} within {after}",
    no_answer_fix: "the broker is overloaded or ignored the request: look in its log",
    not_tried: "not tried: no connection to the broker",
    influx_ping: "{url} answers /ping (version {version})",
    influx_unreachable: "cannot reach {url}: {error}",
    influx_unreachable_fix: "start InfluxDB, or correct influx.url (`curl -i {url}/ping` must answer 204)",
    database_found: "database {database} exists",
    database_missing: "database {database} does not exist (the server has: {found})",
    database_missing_fix: "create it (`influx -execute 'CREATE DATABASE \"{database}\"'`), or correct influx.database; `coverage-collector run` creates it when its user may",
    database_failed: "SHOW DATABASES failed: {error}",
    database_failed_fix: "check influx.username and the password or token; a user without admin rights cannot list databases",
    bucket_by_write: "API v2: bucket {bucket} is checked by the write below",
    write_ok: "wrote 1 point (measurement collector_check) to database {database}, default retention policy",
    write_failed: "writing 1 point to {database} failed: {error}",
    write_failed_fix: "give the collector's InfluxDB user the right to write to {database} (`GRANT WRITE ON \"{database}\" TO <user>`, or a token with write access)",
    query_ok: "SHOW MEASUREMENTS LIMIT 1 on {database} answered ({n} row(s))",
    query_failed: "SHOW MEASUREMENTS LIMIT 1 on {database} failed: {error}",
    query_failed_fix: "give the collector's InfluxDB user the right to read {database} (`GRANT READ ON \"{database}\" TO <user>`): the coordinator and the audit query it",
    dir_writable: "{dir} is writable (for {file})",
    dir_creatable: "{dir} does not exist yet; the collector creates it in {ancestor}, which is writable (for {file})",
    dir_not_writable: "{dir} is not writable: {error}",
    dir_fix: "create {dir} and make it writable by the collector's user",
    boundaries_ok: "{n} set(s) ({from}): {sets}",
    boundaries_failed: "the boundary sets from {from} do not load: {error}",
    boundaries_fix: "correct boundaries.dir, or remove it to use the sets compiled in",
    registry_ok: "{n} site(s) in {file}, each inside the commune it names ({unnamed} name no commune)",
    registry_absent: "no [registry]: every site is placed by its readings' position",
    registry_elsewhere: "site {site} at ({lat}, {lon}) lies in {place} of {set}, not in {named} as the registry says",
    registry_nowhere: "site {site} at ({lat}, {lon}) lies outside every commune of {set} (nearest {place}, {distance} m away), not in {named} as the registry says",
    registry_bad_ref: "site {site} names commune {named}: {error}",
    registry_fix: "correct the site's lat/lon or its commune in {file} (`coverage-collector locate --set {set} {lat} {lon}`)",
    site_added: "site {id} added to {registry} ({n} sites), in {place}",
    site_login: "its broker login is in {passwd}",
    site_agent_files: "for the technician: {dir} (agent.toml, mqtt-password{ca}); copy them to the box's /etc/coverage-agent/, then run `coverage-agent check`",
    site_reloaded: "broker reloaded ({command}); the change is in force",
    site_no_reload: "no [provisioning] reload command: reload the broker yourself so it reads {passwd} again",
    site_retired: "site {id} retired at {at} (kept in {registry}, so past audits stay reproducible); its broker login is removed",
    site_list_header: "site\tcommune\tstatus\tlast seen\tretired",
    site_status_unknown: "status unknown: the collector at {url} did not answer ({error})",
    site_none: "{registry} lists no site",
    site_err_no_registry: "{file}: no [registry] file: add `[registry] file = \"sites.toml\"` (an empty file will do)",
    site_err_no_provisioning: "{file}: no [provisioning]: name the broker's password_file and agent_broker_url (deploy/collector.example.toml)",
    site_err_exists: "site {id} is already in the registry (an id names one site for ever; retired ids are not reused)",
    site_err_unknown: "site {id} is not in the registry (`coverage-collector site list`)",
    site_err_already_retired: "site {id} was already retired at {at}",
    site_err_reload: "the registry and the password file are changed, but the broker reload `{command}` failed: {detail}; reload the broker by hand",
    site_err_commune_syntax: "--commune {arg}: write it as SET:CODE (bac-kan-2020:01834)",
    site_err_no_such_commune: "--commune {arg}: {set} has no commune {code} (`coverage-collector locate --set {set} {lat} {lon}` says where the position lies)",
    site_err_no_set: "no boundary set is in force today: name the commune with --commune SET:CODE",
    site_err_outside: "({lat}, {lon}) lies outside every commune of {set}: check the position, or name the commune with --commune SET:CODE",
    site_err_out_exists: "{dir}: exists already; name another directory with --out",
    site_err_login_exists: "{passwd}: has a login for {id} already, though the registry does not list it; remove that line first",
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
    wal: "nhật ký ghi trước",
    wal_value: "{dir} (tối đa {max} byte; số đo được ghi xuống đĩa trước khi xác nhận)",
    wal_none: "không có: số đo được xác nhận khi InfluxDB đã lưu",
    http: "cổng vận hành",
    boundaries: "bộ ranh giới",
    boundaries_embedded: "có sẵn trong chương trình",
    registry: "danh sách điểm đo",
    registry_value: "{n} điểm đo từ {file} (SHA-256 {sha})",
    registry_none: "không có (mỗi điểm đo được xác định theo vị trí trong bản ghi)",
    provisioning: "cấp phát điểm đo",
    provisioning_value: "tệp mật khẩu {file}, nạp lại broker bằng {reload}; agent mới nhận {url}, CA {ca}",
    provisioning_no_reload: "không có lệnh (tự nạp lại broker)",
    provisioning_no_ca: "không có (bộ chứng chỉ của hệ thống)",
    provisioning_none: "không có (`site add` và `site retire` cần mục [provisioning])",
    audit: "đánh giá",
    audit_value: "tỷ lệ mẫu đạt ngưỡng tối thiểu {share}, tối thiểu {samples} mẫu trong {hours} giờ khác \
        nhau, múi giờ UTC{offset}",
    check_broker: "broker",
    check_subscribe: "đăng ký nhận",
    check_resend: "yêu cầu gửi lại",
    check_influx: "InfluxDB",
    check_database: "cơ sở dữ liệu",
    check_write: "quyền ghi",
    check_query: "quyền truy vấn",
    check_archive: "tệp lưu trữ",
    check_boundaries: "bộ ranh giới",
    check_registry: "danh sách điểm đo",
    check_dead_letter: "thư hỏng",
    check_wal: "nhật ký ghi trước",
    broker_connected: "đã kết nối tới {url} với {user} (CONNACK {code})",
    broker_refused: "{host} từ chối kết nối với {user}: CONNACK {code}",
    broker_credentials_fix: "broker từ chối thông tin xác thực của {user}: kiểm tra {place} chứa mật khẩu của máy chủ thu thập, và tệp mật khẩu của broker có người dùng {user} (`mosquitto_passwd <tệp mật khẩu> {user}`)",
    broker_anonymous_fix: "broker không chấp nhận kết nối ẩn danh: đặt mqtt.username và mqtt.password_file",
    broker_refused_fix: "xem nhật ký của broker để biết vì sao nó từ chối kết nối",
    broker_cannot_connect: "không kết nối được tới {host}: {error}",
    broker_nothing_listens_fix: "không có gì nhận kết nối trên {host}: kiểm tra broker đang chạy và máy chủ, cổng trong mqtt.url (1883 cho mqtt://, 8883 cho mqtts://)",
    broker_tls_failed: "TLS với {host} thất bại: {error}",
    broker_tls_fix: "kiểm tra mqtt.ca_file ({ca}) chứa CA đã ký chứng chỉ của broker, mqtt.url ghi đúng tên máy trong chứng chỉ, và cổng là cổng TLS của broker",
    broker_other_fix: "kiểm tra mqtt.url, mạng tới broker và nhật ký của broker",
    broker_silent: "{host} không trả lời trong {after}",
    broker_silent_fix: "kiểm tra tuyến và tường lửa tới broker (`nc -vz {host} {port}`), và máy chủ, cổng trong mqtt.url",
    broker_file_fix: "{key}: tạo {file}, người dùng của máy chủ thu thập phải đọc được",
    broker_closed: "broker đã đóng kết nối ở bước {step} ({code})",
    broker_closed_fix: "xem nhật ký của broker để biết vì sao nó đóng kết nối",
    subscribe_granted: "{filter} được chấp nhận (SUBACK {code}); yêu cầu thử của chính lần kiểm tra đã được nhận lại qua nó",
    subscribe_unproven: "{filter} được chấp nhận (SUBACK {code}), nhưng bản tin thử trên {topic} không được nhận lại trong {after}: broker có thể chấp nhận đăng ký mà vẫn không chuyển những gì ACL cấm (mosquitto làm vậy)",
    subscribe_untested: "{filter} được chấp nhận (SUBACK {code}); chưa xác nhận được bằng một lần nhận, vì bản tin trên {topic} thất bại (đã chờ {after})",
    subscribe_refused: "broker từ chối đăng ký nhận {filter}: SUBACK {code}",
    subscribe_refused_fix: "cho người dùng {user} quyền đọc bản ghi trong ACL của broker (`user {user}` rồi `topic read coverage/v1/#`, như deploy/mosquitto/acl)",
    resend_delivered: "bản tin QoS 1 trên {topic} được xác nhận (PUBACK {reason}) và được chuyển lại: ACL của broker đã cho phép",
    resend_acked: "đã gửi bản tin QoS 1 trên {topic} và được xác nhận (PUBACK {reason}), nhưng không được chuyển lại: broker không cho biết ACL có cho phép hay không (broker có thể xác nhận cả bản tin nó đã bỏ)",
    resend_closed: "broker đã đóng kết nối sau bản tin trên {topic}: mosquitto 2.0 trả lời bản tin bị ACL chặn bằng PUBACK 0x87 rồi đóng kết nối",
    resend_refused: "broker từ chối bản tin trên {topic}: PUBACK {reason}",
    resend_refused_fix: "cho người dùng {user} quyền gửi yêu cầu gửi lại trong ACL của broker (`topic write coverage/v1/+/resend`, như deploy/mosquitto/acl)",
    no_answer: "không nhận được {packet} trong {after}",
    no_answer_fix: "broker quá tải hoặc bỏ qua yêu cầu: xem nhật ký của nó",
    not_tried: "chưa thử: không kết nối được tới broker",
    influx_ping: "{url} trả lời /ping (phiên bản {version})",
    influx_unreachable: "không kết nối được tới {url}: {error}",
    influx_unreachable_fix: "khởi động InfluxDB, hoặc sửa influx.url (`curl -i {url}/ping` phải trả lời 204)",
    database_found: "cơ sở dữ liệu {database} đã có",
    database_missing: "cơ sở dữ liệu {database} chưa có (máy chủ có: {found})",
    database_missing_fix: "tạo nó (`influx -execute 'CREATE DATABASE \"{database}\"'`), hoặc sửa influx.database; `coverage-collector run` tự tạo nếu người dùng của nó có quyền",
    database_failed: "SHOW DATABASES thất bại: {error}",
    database_failed_fix: "kiểm tra influx.username và mật khẩu hoặc token; người dùng không có quyền quản trị không liệt kê được cơ sở dữ liệu",
    bucket_by_write: "API v2: bucket {bucket} được kiểm tra bằng lần ghi dưới đây",
    write_ok: "đã ghi 1 điểm (measurement collector_check) vào cơ sở dữ liệu {database}, chính sách lưu giữ mặc định",
    write_failed: "ghi 1 điểm vào {database} thất bại: {error}",
    write_failed_fix: "cho người dùng InfluxDB của máy chủ thu thập quyền ghi vào {database} (`GRANT WRITE ON \"{database}\" TO <user>`, hoặc token có quyền ghi)",
    query_ok: "SHOW MEASUREMENTS LIMIT 1 trên {database} đã trả lời ({n} dòng)",
    query_failed: "SHOW MEASUREMENTS LIMIT 1 trên {database} thất bại: {error}",
    query_failed_fix: "cho người dùng InfluxDB của máy chủ thu thập quyền đọc {database} (`GRANT READ ON \"{database}\" TO <user>`): bộ điều phối và phần đánh giá truy vấn nó",
    dir_writable: "{dir} ghi được (cho {file})",
    dir_creatable: "{dir} chưa có; máy chủ thu thập sẽ tạo nó trong {ancestor}, thư mục này ghi được (cho {file})",
    dir_not_writable: "{dir} không ghi được: {error}",
    dir_fix: "tạo {dir} và cho người dùng của máy chủ thu thập quyền ghi",
    boundaries_ok: "{n} bộ ({from}): {sets}",
    boundaries_failed: "không nạp được bộ ranh giới từ {from}: {error}",
    boundaries_fix: "sửa boundaries.dir, hoặc bỏ nó để dùng các bộ có sẵn trong chương trình",
    registry_ok: "{n} điểm đo trong {file}, mỗi điểm nằm trong xã đã ghi ({unnamed} điểm không ghi xã)",
    registry_absent: "không có [registry]: mỗi điểm đo được xác định theo vị trí trong bản ghi",
    registry_elsewhere: "điểm đo {site} tại ({lat}, {lon}) nằm trong {place} của {set}, không phải {named} như danh sách ghi",
    registry_nowhere: "điểm đo {site} tại ({lat}, {lon}) nằm ngoài mọi xã của {set} (gần nhất {place}, cách {distance} m), không phải {named} như danh sách ghi",
    registry_bad_ref: "điểm đo {site} ghi xã {named}: {error}",
    registry_fix: "sửa lat/lon hoặc xã của điểm đo trong {file} (`coverage-collector locate --set {set} {lat} {lon}`)",
    site_added: "đã thêm điểm đo {id} vào {registry} ({n} điểm đo), thuộc {place}",
    site_login: "tài khoản broker của điểm đo đã ghi vào {passwd}",
    site_agent_files: "cho kỹ thuật viên: {dir} (agent.toml, mqtt-password{ca}); chép vào /etc/coverage-agent/ của thiết bị, rồi chạy `coverage-agent check`",
    site_reloaded: "đã nạp lại broker ({command}); thay đổi đã có hiệu lực",
    site_no_reload: "không có lệnh reload trong [provisioning]: hãy tự nạp lại broker để đọc lại {passwd}",
    site_retired: "đã ngừng điểm đo {id} lúc {at} (vẫn giữ trong {registry} để kiểm tra các kỳ trước); đã xoá tài khoản broker của nó",
    site_list_header: "điểm đo\txã\ttrạng thái\tlần cuối\tngừng",
    site_status_unknown: "không rõ trạng thái: collector tại {url} không trả lời ({error})",
    site_none: "{registry} chưa có điểm đo nào",
    site_err_no_registry: "{file}: không có tệp [registry]: thêm `[registry] file = \"sites.toml\"` (tệp rỗng cũng được)",
    site_err_no_provisioning: "{file}: không có [provisioning]: ghi password_file của broker và agent_broker_url (xem deploy/collector.example.toml)",
    site_err_exists: "điểm đo {id} đã có trong danh sách (mỗi mã chỉ dùng cho một điểm đo; mã đã ngừng không dùng lại)",
    site_err_unknown: "điểm đo {id} không có trong danh sách (`coverage-collector site list`)",
    site_err_already_retired: "điểm đo {id} đã ngừng từ {at}",
    site_err_reload: "danh sách điểm đo và tệp mật khẩu đã được sửa, nhưng lệnh nạp lại broker `{command}` thất bại: {detail}; hãy tự nạp lại broker",
    site_err_commune_syntax: "--commune {arg}: hãy viết dạng BỘ:MÃ (bac-kan-2020:01834)",
    site_err_no_such_commune: "--commune {arg}: {set} không có xã mã {code} (`coverage-collector locate --set {set} {lat} {lon}` cho biết vị trí thuộc xã nào)",
    site_err_no_set: "hôm nay không có bộ ranh giới nào có hiệu lực: hãy ghi xã bằng --commune BỘ:MÃ",
    site_err_outside: "({lat}, {lon}) nằm ngoài mọi xã của {set}: kiểm tra lại vị trí, hoặc ghi xã bằng --commune BỘ:MÃ",
    site_err_out_exists: "{dir}: đã tồn tại; hãy chọn thư mục khác bằng --out",
    site_err_login_exists: "{passwd}: đã có tài khoản {id} dù danh sách điểm đo không có; hãy xoá dòng đó trước",
};

/// The table of `lang`.
pub fn text(lang: Lang) -> &'static ServerText {
    match lang {
        Lang::En => &EN,
        Lang::Vi => &VI,
    }
}
