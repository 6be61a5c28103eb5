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

/// Columns the table may use: `COLUMNS` when set, else the width of the terminal stdout
/// is (or, when stdout is piped into `less` or a file, the terminal stderr still shows);
/// None when there is no terminal at all (CI logs): lines are then as long as they are.
pub fn terminal_width() -> Option<usize> {
    if let Some(c) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
    {
        return Some(c);
    }
    let of = |size: Option<(terminal_size::Width, terminal_size::Height)>| {
        size.map(|(w, _)| usize::from(w.0)).filter(|w| *w > 0)
    };
    of(terminal_size::terminal_size_of(std::io::stdout()))
        .or_else(|| of(terminal_size::terminal_size_of(std::io::stderr())))
}

pub fn render(spec: &OutputSpec, report: &Report, verbose: bool) -> String {
    match spec.format {
        Format::Table => reports::table::render(
            report,
            reports::table::Layout {
                color: spec.path.is_none() && color_wanted(),
                // A table written to a file is not laid out for any terminal.
                width: if spec.path.is_none() {
                    terminal_width()
                } else {
                    None
                },
                verbose,
            },
        ),
        Format::Json => reports::json::render(report),
        Format::Yaml => reports::yaml::render(report),
        Format::Sarif => reports::sarif::render(report),
        Format::Junit => reports::junit::render(report),
        Format::Markdown => reports::markdown::render(report),
    }
}

/// `-o json` streamed to its file or stdout (see [`reports::json::write`]); stdout is
/// treated as [`write_stdout`] treats it.
fn emit_json(spec: &OutputSpec, report: &Report) -> anyhow::Result<()> {
    match &spec.path {
        Some(p) => {
            let file =
                std::fs::File::create(p).with_context(|| format!("writing {}", p.display()))?;
            let mut out = std::io::BufWriter::new(file);
            reports::json::write(report, &mut out)
                .and_then(|()| out.flush())
                .with_context(|| format!("writing {}", p.display()))
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            match reports::json::write(report, &mut out).and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(anyhow::Error::new(e).context("writing to stdout"))
                }
                _ => Ok(()),
            }
        }
    }
}

/// Write `text` to stdout, the only way any command does (`print!` panics on a write
/// error). A reader that stopped reading (`| head`) is not an error of the run: the rest
/// is dropped quietly and the command keeps its exit code. Any other failure (`>
/// /dev/full`) is an error, exit 2.
pub fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("writing to stdout"))
        }
        _ => Ok(()),
    }
}

/// Write every requested output. At most one may go to stdout; stdout carries only
/// the report.
pub fn emit(specs: &[OutputSpec], report: &Report, verbose: bool) -> anyhow::Result<()> {
    for spec in specs {
        if spec.format == Format::Json {
            emit_json(spec, report)?;
            continue;
        }
        let text = render(spec, report, verbose);
        match &spec.path {
            Some(p) => {
                std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?
            }
            None => write_stdout(&text)?,
        }
    }
    Ok(())
}
