//! `karmada-preflight rules` and `explain`.

use clap::Args;
use serde_json::json;

use super::output::write_stdout;
use super::{EXIT_ERROR, EXIT_OK};
use crate::engine::load_catalog;

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// table or json
    #[arg(short = 'o', long = "output", default_value = "table")]
    pub output: String,
    #[arg(long = "rules", value_name = "DIR")]
    pub rules_dirs: Vec<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Rule name or id.
    pub rule: String,
    #[arg(long = "rules", value_name = "DIR")]
    pub rules_dirs: Vec<std::path::PathBuf>,
}

fn phase_str(c: Option<crate::findings::Consequence>) -> String {
    c.map(|c| {
        serde_json::to_value(c)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    })
    .unwrap_or_else(|| "-".into())
}

/// A rule's severity: what a violation means once the upgrade is done (the post phase),
/// which is also the level SARIF reports by default; `-` for pre-only rules.
fn severity(post: Option<crate::findings::Consequence>) -> String {
    post.map(|c| c.severity().to_string())
        .unwrap_or_else(|| "-".into())
}

pub fn list(args: RulesArgs) -> anyhow::Result<i32> {
    let cat = load_catalog(&args.rules_dirs)?;
    match args.output.as_str() {
        "json" => {
            let v: Vec<_> = cat
                .rules
                .iter()
                .map(|r| {
                    json!({
                        "id": r.spec.id, "name": r.spec.name, "pack": r.spec.pack, "title": r.spec.title,
                        "template": r.spec.template, "phases": r.spec.phases, "hop": r.spec.hop,
                        "severity": severity(r.spec.phases.post),
                    })
                })
                .collect();
            // Per hop: how many rules and which release notes they come from, so a hop
            // with no rules is visible as such (0) rather than absent.
            let known: Vec<String> = crate::upgrade::path::KNOWN_RELEASES
                .iter()
                .map(|(a, b)| format!("v{a}.{b}"))
                .collect();
            let doc = json!({
                "rules": v,
                "hops": crate::rules::path::hop_summaries(&cat),
                "knownReleases": known,
            });
            write_stdout(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
        }
        "table" => write_stdout(&rules_table(&cat, super::output::terminal_width()))?,
        other => anyhow::bail!("unknown format {other:?} (table or json)"),
    }
    Ok(EXIT_OK)
}

/// One line per rule, columns aligned; only the title is cut to the width (with `…`):
/// ids and names are what people copy into `--rule` and `explain`.
fn rules_table(cat: &crate::rules::Catalog, width: Option<usize>) -> String {
    use crate::reports::text::{fit_right, pad, width as cols};
    let header = ["ID", "NAME", "PACK", "PRE", "POST", "SEVERITY", "TITLE"].map(String::from);
    let rows: Vec<[String; 7]> = std::iter::once(header)
        .chain(cat.rules.iter().map(|r| {
            [
                r.spec.id.clone(),
                r.spec.name.clone(),
                r.spec.pack.clone(),
                phase_str(r.spec.phases.pre),
                phase_str(r.spec.phases.post),
                severity(r.spec.phases.post),
                r.spec.title.clone(),
            ]
        }))
        .collect();
    let w: Vec<usize> = (0..6)
        .map(|i| rows.iter().map(|r| cols(&r[i])).max().unwrap_or(0))
        .collect();
    let fixed: usize = w.iter().map(|c| c + 2).sum();
    let mut out = String::new();
    for r in &rows {
        let mut line = String::new();
        for (i, cell) in r.iter().take(6).enumerate() {
            line.push_str(&pad(cell, w[i] + 2));
        }
        let title = match width {
            Some(total) => fit_right(&r[6], total.saturating_sub(fixed).max(10)),
            None => r[6].clone(),
        };
        line.push_str(&title);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn explain(args: ExplainArgs) -> anyhow::Result<i32> {
    let cat = load_catalog(&args.rules_dirs)?;
    let Some(r) = cat.find(&args.rule) else {
        eprintln!(
            "karmada-preflight: unknown rule {:?} (see `karmada-preflight rules`)",
            args.rule
        );
        return Ok(EXIT_ERROR);
    };
    let s = &r.spec;
    let indent = |t: &str| t.trim().replace('\n', "\n  ");
    let mut out = format!("{} ({}) — {}\n\n", s.name, s.id, s.title);
    out += &format!(
        "pack: {}    pre: {}    post: {}\n",
        s.pack,
        phase_str(s.phases.pre),
        phase_str(s.phases.post)
    );
    if !s.checks.trim().is_empty() {
        out += &format!("\nWhat it checks\n  {}\n", indent(&s.checks));
    }
    out += &format!("\nWhy it matters\n  {}\n", indent(&s.why));
    out += &format!("\nHow to fix\n  {}\n", indent(&s.fix));
    if let Some(d) = &s.docs {
        out += &format!("\nDocs: {d}\n");
    }
    out += &format!("\nDefined in {} (template {}).\n", r.source, s.template);
    write_stdout(&out)?;
    Ok(EXIT_OK)
}
