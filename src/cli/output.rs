//! `-o FORMAT[=FILE]`: which renderings to produce and where.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::Context;

use crate::reports::{self, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Yaml,
    Sarif,
    Junit,
    Markdown,
}

impl Format {
    pub const NAMES: &'static [&'static str] =
        &["table", "json", "yaml", "sarif", "junit", "markdown"];
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    pub format: Format,
    /// None: stdout.
    pub path: Option<PathBuf>,
}

impl FromStr for OutputSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, path) = match s.split_once('=') {
            Some((n, p)) if !p.is_empty() => (n, Some(PathBuf::from(p))),
            Some((n, _)) => (n, None),
            None => (s, None),
        };
        let format = match name {
            "table" => Format::Table,
            "json" => Format::Json,
            "yaml" => Format::Yaml,
            "sarif" => Format::Sarif,
            "junit" => Format::Junit,
            "markdown" | "md" => Format::Markdown,
            other => {
                return Err(format!(
                    "unknown output format {other:?} (expected one of: {})",
                    Format::NAMES.join(", ")
                ))
            }
        };
        Ok(OutputSpec { format, path })
    }
}

fn color_wanted() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

pub fn render(spec: &OutputSpec, report: &Report) -> String {
    match spec.format {
        Format::Table => {
            let to_tty = spec.path.is_none() && std::io::stdout().is_terminal();
            reports::table::render(
                report,
                spec.path.is_none() && color_wanted(),
                (!to_tty).then_some(160),
            )
        }
        Format::Json => reports::json::render(report),
        Format::Yaml => reports::yaml::render(report),
        Format::Sarif => reports::sarif::render(report),
        Format::Junit => reports::junit::render(report),
        Format::Markdown => reports::markdown::render(report),
    }
}

/// Write every requested output. At most one may go to stdout; stdout carries only
/// the report.
pub fn emit(specs: &[OutputSpec], report: &Report) -> anyhow::Result<()> {
    for spec in specs {
        let text = render(spec, report);
        match &spec.path {
            Some(p) => {
                std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?
            }
            None => {
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes())?;
                out.flush()?;
            }
        }
    }
    Ok(())
}
