//! `karmada-preflight check`.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};

use super::output::{emit, OutputSpec};
use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::reports::{fixdir, Report};
use crate::rules::{
    phase, run_rules_on_path, Catalog, Phase, PhaseDecision, RunOptions, UpgradePlan,
};
use crate::sources::{load_inputs, Limits};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// fail (error) and blocker
    Error,
    /// also fail (warning)
    Warning,
    /// also action (upgrade steps still to do)
    Action,
    /// also unknown
    Unknown,
    /// never exit 1
    Never,
}

impl FailOn {
    fn rank(self) -> u8 {
        match self {
            FailOn::Error => 4,
            FailOn::Warning => 3,
            FailOn::Action => 2,
            FailOn::Unknown => 1,
            FailOn::Never => u8::MAX,
        }
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories (recursive: .yaml, .yml, .json) or `-` for stdin. A directory
    /// with karmada/, host/ and members/<name>/ is read as a snapshot bundle.
    #[arg(required = true)]
    pub paths: Vec<String>,
    /// pre: audit before the upgrade; post: verify after it. Detected when omitted.
    #[arg(long, value_enum)]
    pub phase: Option<Phase>,
    /// Output FORMAT or FORMAT=FILE; repeat for several (table, json, yaml).
    #[arg(short = 'o', long = "output", default_value = "table")]
    pub output: Vec<OutputSpec>,
    /// Exit 1 when a finding is at or above this level.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
    /// Write remediation manifests and PLAN.md for the failing rules into DIR.
    #[arg(long, value_name = "DIR")]
    pub fix_dir: Option<PathBuf>,
    /// Also load rule files from DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules_dirs: Vec<PathBuf>,
    /// Target Karmada version: run the rule pack of every minor hop from the installed
    /// version (detected, or --from) to VERSION, each finding labelled with its hop. Without
    /// it, the v0.10 -> v1.0 pack runs.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// The installed Karmada version (with --to), when detection cannot tell.
    #[arg(long, value_name = "VERSION", requires = "to")]
    pub from: Option<String>,
    /// Run only these rules (name or id; repeatable).
    #[arg(long = "rule", value_name = "RULE")]
    pub only: Vec<String>,
    /// Largest single document, bytes.
    #[arg(long, default_value_t = Limits::default().max_document_bytes)]
    pub max_document_bytes: usize,
    /// Largest file, bytes.
    #[arg(long, default_value_t = Limits::default().max_file_bytes)]
    pub max_file_bytes: u64,
    /// Deepest nesting of a document.
    #[arg(long, default_value_t = Limits::default().max_depth)]
    pub max_depth: usize,
    /// Most nodes alias expansion may add to one document.
    #[arg(long, default_value_t = Limits::default().max_alias_nodes)]
    pub max_alias_nodes: usize,
}

pub fn load_catalog(dirs: &[PathBuf]) -> anyhow::Result<Catalog> {
    let mut cat = Catalog::embedded().map_err(|errs| {
        anyhow::anyhow!(
            "bundled rules are invalid:\n{}",
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    let mut errors = Vec::new();
    for d in dirs {
        errors.extend(cat.add_dir(d));
    }
    if !errors.is_empty() {
        bail!(
            "invalid rules:\n{}",
            errors
                .iter()
                .map(|e| format!("  {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    Ok(cat)
}

pub fn run(args: CheckArgs) -> anyhow::Result<i32> {
    let stdout_outputs = args.output.iter().filter(|o| o.path.is_none()).count();
    if stdout_outputs > 1 {
        bail!(
            "at most one -o format can go to stdout; give the others a file: -o sarif=report.sarif"
        );
    }
    let catalog = load_catalog(&args.rules_dirs)?;
    for o in &args.only {
        if catalog.find(o).is_none() {
            bail!("unknown rule {o:?} (see `karmada-preflight rules`)");
        }
    }
    let limits = Limits {
        max_document_bytes: args.max_document_bytes,
        max_file_bytes: args.max_file_bytes,
        max_depth: args.max_depth,
        max_alias_nodes: args.max_alias_nodes,
    };
    let filter = catalog.kind_filter();
    let inv = load_inputs(&args.paths, &limits, &filter);
    if inv.inputs.is_empty() {
        for p in &inv.problems {
            eprintln!("karmada-preflight: {}: {}", p.location, p.message);
        }
        eprintln!("karmada-preflight: error: no readable input");
        return Ok(EXIT_ERROR);
    }
    let mut decision = match args.phase {
        Some(p) => PhaseDecision {
            phase: p,
            reason: "chosen with --phase".into(),
            detected: false,
            karmada_version: phase::detect(&inv).karmada_version,
        },
        None => phase::detect(&inv),
    };
    let plan = match &args.to {
        None => UpgradePlan::default(),
        Some(to) => {
            let Some(from) = args.from.clone().or(decision.karmada_version.clone()) else {
                bail!("cannot detect the installed Karmada version; pass --from VERSION with --to");
            };
            let plan = UpgradePlan::between(&from, to)?;
            // With a target, the installation is at the start of the path unless --phase
            // says otherwise: every hop is still ahead of it.
            if args.phase.is_none() {
                decision.phase = Phase::Pre;
                decision.reason = format!(
                    "upgrade path {from} -> {to} ({}); pass --phase post to verify after it",
                    plan.labels().join(", ")
                );
            }
            plan
        }
    };
    eprintln!(
        "karmada-preflight: phase {}: {}",
        decision.phase, decision.reason
    );
    let now = time::OffsetDateTime::now_utc();
    let opts = RunOptions {
        phase: decision.phase,
        now,
        only: args.only.clone(),
    };
    let findings = run_rules_on_path(&catalog, &inv, &opts, &plan);
    let report = Report::new(&decision, inv.inputs.clone(), findings, now);
    emit(&args.output, &report)?;
    if let Some(dir) = &args.fix_dir {
        let written = fixdir::write(&report, dir)
            .with_context(|| format!("writing fixes to {}", dir.display()))?;
        eprintln!(
            "karmada-preflight: wrote {} file(s) to {}",
            written.len(),
            dir.display()
        );
    }
    Ok(if report.worst_rank() >= args.fail_on.rank() {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}
