//! The audit report's words (every format: terminal summary, Markdown, HTML, CSV, JSON).
//!
//! Verdict words follow `docs/reference/glossary-vi.md`. Templates name their values in braces
//! (`{share}`); [`fill`](super::fill) puts them in, already formatted for the language by
//! [`format`](super::format).

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
};
