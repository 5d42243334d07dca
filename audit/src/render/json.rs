//! The full report as JSON: keys are English identifiers (machine-readable), the sentences it
//! carries (`words`, `communes[].reasons`, `claims[].explanation`) are in the report's language.

use crate::report::Report;

/// The full report as pretty JSON, with a final newline.
pub fn json(report: &Report) -> String {
    // Serialising plain structs with string keys cannot fail; keep a readable fallback anyway.
    let mut out = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise report: {e}\"}}"));
    out.push('\n');
    out
}
