//! The HTML report's own words: the map, its legend and tooltips, the commune table's filter and
//! sort controls, the page's headings and labels. Everything the other formats share comes from
//! [`report`](super::report).
//!
//! Invariant (checked by the catalogue test): both languages have every key, with the same
//! placeholders; Vietnamese uses the terms of `docs/reference/glossary-vi.md`.

crate::catalogue! {
    /// The HTML report's strings, one table per language.
    pub struct HtmlText {
        /// Heading of the map.
        map,
        /// Heading of the map's legend.
        legend,
        /// A flagged site's dot on the map.
        site_flagged,
        /// The heavier line between districts.
        district_border,
        /// Label of the selector of what colours the map.
        colour_by,
        /// Colouring choice: mobile verdict of the `any` operator.
        colour_any,
        /// Colouring choice: mobile verdict of one operator (`{operator}`: `Viettel (452-04)`).
        colour_operator,
        /// Colouring choice: fibre verdict.
        colour_fibre,
        /// Sentence under the map.
        map_note,
        /// Label of the commune table's filter box.
        filter,
        /// Placeholder text of the filter box.
        filter_placeholder,
        /// How many rows the filter leaves (`{shown}` of `{total}`).
        rows_shown,
        /// How to sort the table.
        sort_hint,
        /// Summary line: communes covered by the `any` operator.
        summary_mobile,
        /// Summary line: fibre, at the fibre level of the set (`{level}`: districts or communes).
        summary_fibre,
        /// Summary line: sites.
        summary_sites,
        /// Software and version line.
        software,
        /// Boundary file and its hash.
        boundary_file,
        /// Data source: an InfluxDB database.
        source_influx,
        /// Data source: line-protocol archive files.
        source_archive,
        /// Column: explanation of a claim's verdict.
        col_explanation,
        /// Column: province before the 2025 merger.
        col_former_province,
        /// Column: mobile verdict of the `any` operator.
        col_mobile,
        /// Column: what was found.
        col_detail,
        /// Level word for `summary_fibre`: districts.
        level_districts,
        /// Level word for `summary_fibre`: communes.
        level_communes,
        /// Site flag: outside every commune.
        flag_outside,
        /// Site flag: near a commune edge.
        flag_near_edge,
        /// Site flag: in another commune than configured.
        flag_configured_elsewhere,
        /// Site flag: no position.
        flag_no_position,
        /// Site flag: listed but silent.
        flag_no_data,
    }
}

/// English.
pub const EN: HtmlText = HtmlText {
    map: "Map",
    legend: "Legend",
    site_flagged: "Flagged site",
    district_border: "District border",
    colour_by: "Colour by",
    colour_any: "Mobile, any operator",
    colour_operator: "Mobile, {operator}",
    colour_fibre: "Fibre connection",
    map_note: "Each commune is coloured by its verdict; hover over a commune or a site for details.",
    filter: "Filter communes",
    filter_placeholder: "name, code, district or verdict",
    rows_shown: "{shown} of {total} communes shown",
    sort_hint: "Click a column heading to sort.",
    summary_mobile: "Communes covered by mobile (any operator): {covered} of {total}",
    summary_fibre: "Fibre connection, {level}: {connected} of {total} connected",
    summary_sites: "Sites: {sites} ({placed} placed in a commune, {flagged} flagged)",
    software: "Software: {software} {version} (commit {commit})",
    boundary_file: "Boundary file: {file}, SHA-256 {sha256}",
    source_influx: "Source: InfluxDB {url}, database {database}",
    source_archive: "Source: line-protocol archive {files}",
    col_explanation: "Explanation",
    col_former_province: "Former province",
    col_mobile: "Mobile (any operator)",
    col_detail: "Detail",
    level_districts: "districts",
    level_communes: "communes",
    flag_outside: "outside every commune",
    flag_near_edge: "near a commune border",
    flag_configured_elsewhere: "in another commune than configured",
    flag_no_position: "no position",
    flag_no_data: "no data in the period",
};

/// Vietnamese.
pub const VI: HtmlText = HtmlText {
    map: "Bản đồ",
    legend: "Chú giải",
    site_flagged: "Điểm đo cần kiểm tra",
    district_border: "Ranh giới huyện",
    colour_by: "Tô màu theo",
    colour_any: "Phủ sóng di động, mọi nhà mạng",
    colour_operator: "Phủ sóng di động, {operator}",
    colour_fibre: "Kết nối cáp quang",
    map_note: "Mỗi xã được tô màu theo kết luận; di chuột lên xã hoặc điểm đo để xem chi tiết.",
    filter: "Lọc danh sách xã",
    filter_placeholder: "tên, mã, huyện hoặc kết luận",
    rows_shown: "Hiển thị {shown}/{total} xã",
    sort_hint: "Bấm vào tiêu đề cột để sắp xếp.",
    summary_mobile: "Số xã có phủ sóng di động (mọi nhà mạng): {covered}/{total}",
    summary_fibre: "Kết nối cáp quang, cấp {level}: {connected}/{total} có kết nối",
    summary_sites: "Điểm đo: {sites} ({placed} nằm trong một xã, {flagged} cần kiểm tra)",
    software: "Phần mềm: {software} {version} (commit {commit})",
    boundary_file: "Tệp ranh giới: {file}, SHA-256 {sha256}",
    source_influx: "Nguồn: InfluxDB {url}, cơ sở dữ liệu {database}",
    source_archive: "Nguồn: tệp lưu trữ line protocol {files}",
    col_explanation: "Giải thích",
    col_former_province: "Tỉnh cũ",
    col_mobile: "Phủ sóng di động (mọi nhà mạng)",
    col_detail: "Chi tiết",
    level_districts: "huyện",
    level_communes: "xã",
    flag_outside: "nằm ngoài mọi xã",
    flag_near_edge: "gần ranh giới xã",
    flag_configured_elsewhere: "nằm ở xã khác với xã đã khai báo",
    flag_no_position: "không có vị trí",
    flag_no_data: "không có dữ liệu trong kỳ đánh giá",
};
