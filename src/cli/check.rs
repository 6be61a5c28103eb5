//! `karmada-preflight check`.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};

use super::live_args::LiveArgs;
use super::output::{emit, OutputSpec};
use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::engine::suppress;
use crate::reports::{fixdir, Report};
use crate::rules::path::CatalogPlan;
use crate::rules::{run_rules_on_path, Catalog, RunOptions};
use crate::sources::live::{self, Collection, LiveOptions, Plan};
use crate::sources::safe_text::safe_text;
use crate::sources::{load_inputs, Limits};
use crate::upgrade::{path, phase, Phase, PhaseDecision, UpgradePlan};

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
    /// with karmada/, host/ and members/<name>/ is read as a snapshot bundle. Without
    /// PATH, live clusters are read (see the live flags).
    pub paths: Vec<String>,
    #[command(flatten)]
    pub live: LiveArgs,
    #[command(flatten)]
    pub etcd: super::etcd_args::EtcdArgs,
    /// pre: audit before the upgrade (steps still to do are `action`); post: verify after
    /// it. Applies to every hop on the path. Detected when omitted: from Karmada image tags,
    /// else fingerprints (the Cluster CRD without an aggregated apiserver is v0.10-like, pre);
    /// with --to, pre unless given.
    #[arg(long, value_enum)]
    pub phase: Option<Phase>,
    /// Output FORMAT or FORMAT=FILE; repeat for several (table, json, yaml, sarif,
    /// junit, markdown), e.g. `-o table -o sarif=report.sarif -o junit=report.xml`.
    #[arg(short = 'o', long = "output", default_value = "table")]
    pub output: Vec<OutputSpec>,
    /// Table: also list passes and skips, and show every finding with its evidence and
    /// remediation (default: one line per finding that needs attention).
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Exit 1 when a finding is at or above this level.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
    /// Write remediation manifests and PLAN.md for the failing rules into DIR.
    #[arg(long, value_name = "DIR")]
    pub fix_dir: Option<PathBuf>,
    /// With --fix-dir: when the front-proxy Secret or certificates need fixing, generate a
    /// fresh front-proxy CA and client certificate there (files mode 0600) with a filled
    /// Secret patch. Nothing is printed.
    #[arg(long, requires = "fix_dir")]
    pub generate_front_proxy_certs: bool,
    /// Also load rule files from DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules_dirs: Vec<PathBuf>,
    /// Target Karmada version (v0.10 ... v1.19): run the rule pack of every minor hop from
    /// the installed version (detected, or --from) to VERSION, e.g. --from v1.8 --to v1.12
    /// runs v1.8->v1.9 ... v1.11->v1.12, each finding labelled with its hop. A version
    /// past the newest known release is an error (exit 2). Without it, the v0.10 -> v1.0
    /// pack runs.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// The installed Karmada version (with --to), when detection cannot tell.
    #[arg(long, value_name = "VERSION", requires = "to")]
    pub from: Option<String>,
    /// Run only these rules (name or id; repeatable).
    #[arg(long = "rule", value_name = "RULE")]
    pub only: Vec<String>,
    /// Waiver file accepting findings until a date (default: .karmada-preflight.yaml in
    /// the current directory or the first input directory, when present).
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
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

/// Annotations and the waiver file (see `engine::suppress`); a waiver file that cannot
/// be read is an error of the run.
fn apply_suppressions(
    findings: Vec<crate::findings::Finding>,
    args: &CheckArgs,
    catalog: &Catalog,
    inv: &crate::inventory::Inventory,
    now: time::OffsetDateTime,
) -> anyhow::Result<Vec<crate::findings::Finding>> {
    let waivers = match suppress::find_waiver_file(args.waivers.as_deref(), &args.paths) {
        Some(path) => {
            let w = suppress::load_waivers(&path, catalog, &args.limits())
                .map_err(|e| anyhow::anyhow!(e))?;
            eprintln!(
                "karmada-preflight: {} waiver(s) from {}",
                w.len(),
                path.display()
            );
            w
        }
        None => Vec::new(),
    };
    Ok(suppress::apply(
        findings,
        inv,
        &waivers,
        catalog,
        now.date(),
    ))
}

pub fn run(args: CheckArgs) -> anyhow::Result<i32> {
    let stdout_outputs = args.output.iter().filter(|o| o.path.is_none()).count();
    if stdout_outputs > 1 {
        bail!(
            "at most one -o format can go to stdout; give the others a file: -o sarif=report.sarif"
        );
    }
    let report = match build_report(&args)? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    // A fix dir that cannot be used is refused before any report is printed.
    if let Some(dir) = &args.fix_dir {
        fixdir::prepare_dir(dir).with_context(|| format!("--fix-dir {}", dir.display()))?;
    }
    emit(&args.output, &report, args.verbose)?;
    if let Some(dir) = &args.fix_dir {
        let written = fixdir::write(&report, dir, args.generate_front_proxy_certs)
            .with_context(|| format!("writing fixes to {}", dir.display()))?;
        eprintln!(
            "karmada-preflight: wrote {} file(s) to {}",
            written.files.len(),
            dir.display()
        );
        if !written.generated.is_empty() {
            eprintln!(
                "karmada-preflight: generated a front-proxy CA and client certificate: {} (mode 0600; \
                 keep front-proxy/front-proxy-ca.key offline)",
                written.generated.join(", ")
            );
        }
    }
    Ok(if report.worst_rank() >= args.fail_on.rank() {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

impl CheckArgs {
    /// The input limits, which bound every file the run reads (manifests, a bundle's
    /// manifest and etcd keys, the waiver file, `--baseline`).
    pub fn limits(&self) -> Limits {
        Limits {
            max_document_bytes: self.max_document_bytes,
            max_file_bytes: self.max_file_bytes,
            max_depth: self.max_depth,
            max_alias_nodes: self.max_alias_nodes,
        }
    }
}

/// Load, run the rules and apply suppressions: the report `check` renders, also used by
/// `compare` on directories. `Ok(Err(code))`: the run ended early with that exit code
/// (the reason is already on stderr).
pub fn build_report(args: &CheckArgs) -> anyhow::Result<Result<Report, i32>> {
    let catalog = load_catalog(&args.rules_dirs)?;
    let rule_filter = crate::rules::RuleFilter::new(&args.only);
    if let Some(o) = rule_filter.unknown(&catalog).first() {
        bail!("unknown rule {o:?} (see `karmada-preflight rules`)");
    }
    let limits = args.limits();
    let live_mode = args.live.requested() || args.paths.is_empty();
    if live_mode && !args.paths.is_empty() {
        bail!("give either PATHs (offline) or live flags, not both; to check a live snapshot, `collect --out DIR` then `check DIR`");
    }
    let mut inv = if live_mode {
        let plan = rule_filter.live_plan(&catalog);
        let col = run_live(&plan, &args.live.options())?;
        if let Some(why) = col.nothing_read() {
            eprintln!("karmada-preflight: error: {}", safe_text(&why));
            return Ok(Err(EXIT_ERROR));
        }
        col.inv
    } else {
        let mut filter = catalog.kind_filter();
        // Cluster objects are listed in the report's inventory for `compare`, whatever rules read.
        if let Some(kinds) = filter.as_mut() {
            kinds.insert("Cluster".to_string());
            // Operator CRs and init configs are installations: the component model reads them.
            kinds.extend(
                crate::inventory::components::DECLARATION_KINDS
                    .iter()
                    .map(|k| k.to_string()),
            );
        }
        load_inputs(&args.paths, &limits, &filter)
    };
    if let Err(code) = refuse_nothing_to_check(&inv) {
        return Ok(Err(code));
    }
    let live_opts = live_mode.then(|| args.live.options());
    super::etcd_args::attach(
        &args.etcd,
        live_opts.as_ref(),
        limits.max_file_bytes,
        &mut inv,
    )?;
    let mut decision = match args.phase {
        Some(p) => PhaseDecision {
            phase: p,
            reason: "chosen with --phase".into(),
            detected: false,
            karmada_version: None,
            version: None,
        },
        None => phase::detect(&inv),
    };
    if args.phase.is_some() {
        let d = phase::detect(&inv);
        decision.karmada_version = d.karmada_version;
        decision.version = d.version;
    }
    // Without --to, an install detected at an exact release is verified as that release,
    // and the next hop's needs are shown (issue 12 item 5); `next` is run in the pre phase.
    let mut next: Option<UpgradePlan> = None;
    let plan = match &args.to {
        None => match path::detected_default(decision.karmada_version.as_deref()) {
            // --phase post asks for the verification alone, --phase pre for the audit of
            // the next hop alone; without --phase both are shown.
            Some(d) => match (args.phase, d.next) {
                (None, n) => {
                    decision.phase = Phase::Post;
                    decision.reason = format!("{}: {}", decision.reason, d.reason);
                    next = n;
                    d.verify
                }
                (Some(Phase::Pre), Some(n)) => {
                    decision.reason = format!(
                        "{}; installed {}: auditing {} (pass --to for a longer path)",
                        decision.reason,
                        d.verify.to.as_deref().unwrap_or("?"),
                        n.labels().join(", ")
                    );
                    n
                }
                (Some(_), _) => {
                    if !d.verify_reason.is_empty() {
                        decision.reason = format!("{}; {}", decision.reason, d.verify_reason);
                    }
                    d.verify
                }
            },
            None => UpgradePlan::default(),
        },
        Some(to) => {
            // A range is no starting point: never guess one of its releases.
            if let (None, Some(v)) = (&args.from, decision.version.as_ref().filter(|v| v.is_range())) {
                bail!(
                    "the installed Karmada version is somewhere in {} ({}); pass --from VERSION with --to",
                    v.label(),
                    v.evidence
                );
            }
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
    }
    .with_catalog(&catalog);
    // A table on stdout starts with the phase line; saying it on stderr too would show
    // it twice in the terminal.
    let table_on_stdout = args
        .output
        .iter()
        .any(|o| o.path.is_none() && o.format == super::output::Format::Table);
    if !table_on_stdout {
        eprintln!(
            "karmada-preflight: phase {}: {}",
            decision.phase, decision.reason
        );
    }
    let now = time::OffsetDateTime::now_utc();
    let opts = RunOptions {
        phase: decision.phase,
        now,
        only: args.only.clone(),
    };
    let annotation_problems = suppress::annotation_problems(&inv, &catalog);
    inv.problems.extend(annotation_problems);
    let mut findings = run_rules_on_path(&catalog, &inv, &opts, &plan);
    if let Some(next) = next {
        // What the next hop needs is a to-do of the next upgrade, not a defect of this
        // install (`--to` gives the full audit with blockers and errors).
        findings.extend(
            next_hop_findings(&catalog, &inv, &opts, next, &args.only)
                .into_iter()
                .map(as_next_step),
        );
    }
    let findings = apply_suppressions(findings, args, &catalog, &inv, now)?;
    Ok(Ok(Report::new(
        &decision,
        inv.inputs.clone(),
        findings,
        now,
    )
    .with_rules(&catalog)
    .with_objects(&inv)))
}

/// The one place a run stops because there is nothing to check (exit 2), offline and
/// live alike: no input could be read at all, or what was read holds no Karmada object
/// (empty stdin, only `---`, a text file, a cluster that is not Karmada's). A report of
/// `unknown` rows with exit 0 would read as an all-clear.
pub fn refuse_nothing_to_check(inv: &crate::inventory::Inventory) -> Result<(), i32> {
    let why = if inv.inputs.is_empty() {
        "no readable input".to_string()
    } else {
        match crate::inventory::karmada::nothing_to_check(inv) {
            Some(why) => why,
            None => return Ok(()),
        }
    };
    for p in inv.problems.iter().take(10) {
        eprintln!(
            "karmada-preflight: {}: {}",
            p.location,
            safe_text(&p.message)
        );
    }
    if inv.problems.len() > 10 {
        eprintln!(
            "karmada-preflight: ... and {} more input problem(s)",
            inv.problems.len() - 10
        );
    }
    eprintln!("karmada-preflight: error: {why}");
    Err(EXIT_ERROR)
}

/// A violation of the next hop's rules, as a step of the next upgrade.
fn as_next_step(mut f: crate::findings::Finding) -> crate::findings::Finding {
    use crate::findings::Status;
    if matches!(f.status, Status::Fail | Status::Blocker) {
        f.status = Status::Action;
        f.severity = None;
    }
    f
}

/// The rules of the hop after the installed release, in the pre phase: what that upgrade
/// needs. Only that hop's own rules run (the core rules already ran with the verification).
fn next_hop_findings(
    catalog: &Catalog,
    inv: &crate::inventory::Inventory,
    opts: &RunOptions,
    next: UpgradePlan,
    only: &[String],
) -> Vec<crate::findings::Finding> {
    let next = next.with_catalog(catalog);
    let labels = next.labels();
    let names: Vec<String> = catalog
        .rules
        .iter()
        .filter(|r| {
            r.spec
                .hop
                .as_deref()
                .is_some_and(|h| labels.iter().any(|l| *l == h.replace(' ', "")))
        })
        .filter(|r| only.is_empty() || only.iter().any(|o| *o == r.spec.name || *o == r.spec.id))
        .map(|r| r.spec.name.clone())
        .collect();
    if names.is_empty() {
        return Vec::new();
    }
    let opts = RunOptions {
        phase: Phase::Pre,
        now: opts.now,
        only: names,
    };
    run_rules_on_path(catalog, inv, &opts, &next)
}

/// Collect from live clusters on a runtime of our own, reporting on stderr one line per
/// kind of problem (see `live_summary`). Errors only for what must be fixed before any request
/// (kubeconfig, contexts).
pub fn run_live(plan: &Plan, opts: &LiveOptions) -> anyhow::Result<Collection> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let col = rt.block_on(live::collect(plan, opts))?;
    for line in super::live_summary::lines(&col) {
        // Server text (error messages, gitVersion) is made safe for the terminal.
        eprintln!("karmada-preflight: {}", safe_text(&line));
    }
    Ok(col)
}
