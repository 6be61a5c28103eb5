//! `-o json`: the report schema documented in README.md.

use super::Report;

/// Write the report to `out` as it is serialised, the same bytes as [`render`]: a fleet's
/// report runs to tens of megabytes, and holding its text next to the report doubled it.
pub fn write(report: &Report, out: &mut impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}

pub fn render(report: &Report) -> String {
    let mut s =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
