//! The HTML report's own words: the map, its legend and tooltips, the commune table's filter and
//! sort controls. Everything the other formats share comes from [`report`](super::report).

crate::catalogue! {
    /// The HTML report's strings, one table per language.
    pub struct HtmlText {
        /// Heading of the map.
        map,
        /// Heading of the map's legend.
        legend,
        /// A site's dot on the map.
        site,
    }
}

/// English.
pub const EN: HtmlText = HtmlText {
    map: "Map",
    legend: "Legend",
    site: "Site",
};

/// Vietnamese.
pub const VI: HtmlText = HtmlText {
    map: "Bản đồ",
    legend: "Chú giải",
    site: "Điểm đo",
};
