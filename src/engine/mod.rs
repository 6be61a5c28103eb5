//! The engine: a configuration in, a report out. It loads the catalog, reads the input
//! (files, bundles or live clusters), detects the phase and the upgrade path, runs the
//! rules, adds what the next hop needs, and applies suppressions. The CLI only turns
//! arguments into a [`Config`] and prints the [`Report`]; `compare` runs the same engine
//! on each side that is not a report already.
//!
//! Progress a person watching the run needs (the phase chosen, waivers read, one line per
//! kind of live problem) is told to the [`Config::progress`] observer as it happens; the
//! engine itself prints nothing (the CLI's observer writes it to stderr).

pub mod etcd;
pub mod live_summary;
pub mod suppress;

use std::path::{Path, PathBuf};

use crate::findings::{Finding, Status};
use crate::inventory::etcd::{EtcdKeys, EtcdRead};
use crate::inventory::{InputProblem, Inventory};
use crate::reports::Report;
use crate::rules::path::CatalogPlan;
use crate::rules::{run_rules_on_path, Catalog, RuleFilter, RunOptions};
use crate::sources::live::{self, Collection, LiveOptions, Plan};
use crate::sources::safe_text::safe_text;
use crate::sources::{load_inputs, Limits};
use crate::upgrade::{path, phase, Phase, PhaseDecision, UpgradePlan};

/// What to read.
#[derive(Debug, Clone)]
pub enum Input {
    /// Files, directories (snapshot bundles included) or `-` for stdin.
    Paths(Vec<String>),
    /// Live clusters, GET only.
    Live(LiveOptions),
}

/// What a run tells a person watching it, as it happens.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// The phase chosen and why.
    Phase(&'a PhaseDecision),
    /// `count` waivers were read from `path`.
    Waivers { count: usize, path: &'a Path },
    /// One line per kind of live problem (see [`live_summary`]). Server text: make it safe
    /// before showing it on a terminal.
    Live(&'a str),
    /// etcd was not read (no endpoint, certificates not found): the etcd rules are unknown.
    EtcdNotRead(&'a str),
    /// etcd was read (key names only), or the read failed.
    Etcd(&'a EtcdRead),
    /// A bundle's recorded etcd keys are used.
    EtcdRecorded(&'a EtcdKeys),
}

/// Called with each [`Progress`] of a run.
pub type Observer<'a> = &'a dyn Fn(Progress<'_>);

fn tell(observer: Option<Observer<'_>>, p: Progress<'_>) {
    if let Some(o) = observer {
        o(p);
    }
}

/// Everything a check run needs.
pub struct Config<'a> {
    pub input: Input,
    /// `None`: detected from the installed version.
    pub phase: Option<Phase>,
    /// Target release: every hop from the installed version (or `from`) to it.
    pub to: Option<String>,
    pub from: Option<String>,
    /// Rule names or ids (any case); empty = every rule.
    pub only: Vec<String>,
    /// Rule folders loaded after the bundled rules.
    pub rules_dirs: Vec<PathBuf>,
    /// Waiver file; `None`: `.karmada-preflight.yaml` in the current directory or the
    /// first input directory, when present.
    pub waivers: Option<PathBuf>,
    pub limits: Limits,
    /// Read etcd for the etcd rules; `None`: only a bundle's recorded keys, if any.
    pub etcd: Option<etcd::EtcdOptions>,
    /// A report or bundle made before the upgrade whose Cluster keys etcd must still hold.
    pub baseline: Option<PathBuf>,
    /// Told the run's progress; `None`: silent.
    pub progress: Option<Observer<'a>>,
    /// Build and keep every object read, not only the kinds rules read: the reference the
    /// kind filter is tested against (`tests/same_findings.rs`); findings never differ.
    pub keep_every_object: bool,
    /// The process ends right after this report (the CLI): the inventory's memory is left
    /// to the OS instead of being freed object by object, which took 1.6 s of a
    /// 100k-object check. Library callers running many checks leave it false.
    pub exit_after: bool,
}

impl Config<'_> {
    /// Offline input with every default: the phase detected, every rule, no waivers
    /// beyond the default file.
    pub fn paths(paths: Vec<String>) -> Config<'static> {
        Config {
            input: Input::Paths(paths),
            phase: None,
            to: None,
            from: None,
            only: Vec::new(),
            rules_dirs: Vec::new(),
            waivers: None,
            limits: Limits::default(),
            etcd: None,
            baseline: None,
            progress: None,
            keep_every_object: false,
            exit_after: false,
        }
    }
}

/// Why a run ended without a report. Every variant is a failure of the run itself, not
/// a finding: the CLI exits 2 for each (see `cli::check::exit_code`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bundled or `--rules` rule file does not load.
    #[error("{0}")]
    InvalidRules(String),
    /// `--rule` names no rule: running nothing and exiting 0 would read as an all-clear.
    #[error("unknown rule {0:?} (see `karmada-preflight rules`)")]
    UnknownRule(String),
    /// The configuration contradicts itself or names what the rules do not know
    /// (PATHs and live flags, a `--to` past the known releases, no start for `--to`).
    #[error("{0}")]
    Usage(String),
    /// Live: what must work before any request (kubeconfig, contexts, the runtime).
    #[error(transparent)]
    Live(anyhow::Error),
    /// Live: not one cluster could be read.
    #[error("{0}")]
    NothingRead(String),
    /// No input could be read, or what was read holds no Karmada object: a report of
    /// `unknown` rows would read as an all-clear. `problems`: what went wrong reading.
    #[error("{why}")]
    NothingToCheck {
        why: String,
        problems: Vec<InputProblem>,
    },
    /// The baseline cannot be used, or is given without etcd keys to compare.
    #[error(transparent)]
    Etcd(anyhow::Error),
    /// The waiver file cannot be read or is invalid.
    #[error("{0}")]
    Waivers(String),
}

/// The bundled rules plus the rule folders given; every invalid file is named.
pub fn load_catalog(dirs: &[PathBuf]) -> Result<Catalog, Error> {
    let mut cat = Catalog::embedded().map_err(|errs| {
        Error::InvalidRules(format!(
            "bundled rules are invalid:\n{}",
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        ))
    })?;
    let mut errors = Vec::new();
    for d in dirs {
        errors.extend(cat.add_dir(d));
    }
    if !errors.is_empty() {
        return Err(Error::InvalidRules(format!(
            "invalid rules:\n{}",
            errors
                .iter()
                .map(|e| format!("  {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        )));
    }
    Ok(cat)
}

/// The report for `config`.
pub fn run(config: &Config) -> Result<Report, Error> {
    let catalog = load_catalog(&config.rules_dirs)?;
    run_with_catalog(config, &catalog)
}

/// [`run`] with a catalog already loaded.
pub fn run_with_catalog(config: &Config, catalog: &Catalog) -> Result<Report, Error> {
    let rule_filter = RuleFilter::new(&config.only);
    if let Some(o) = rule_filter.unknown(catalog).first() {
        return Err(Error::UnknownRule(o.to_string()));
    }
    let mut inv = load(config, catalog, &rule_filter)?;
    refuse_nothing_to_check(&inv)?;
    // Where etcd is comes from karmada-apiserver's flags in the inventory; live, its
    // certificate Secret is read from the host cluster.
    let live = match &config.input {
        Input::Live(opts) => Some(opts),
        Input::Paths(_) => None,
    };
    etcd::attach(
        config.etcd.as_ref(),
        config.baseline.as_deref(),
        live,
        config.limits.max_file_bytes,
        &mut inv,
        config.progress,
    )
    .map_err(Error::Etcd)?;
    let (decision, plan, next) = choose_path(config, &inv, &catalog.lasting())?;
    let plan = plan.with_catalog(catalog);
    tell(config.progress, Progress::Phase(&decision));
    let now = time::OffsetDateTime::now_utc();
    let opts = RunOptions {
        phase: decision.phase,
        now,
        only: config.only.clone(),
    };
    let annotation_problems = suppress::annotation_problems(&inv, catalog);
    inv.problems.extend(annotation_problems);
    let mut findings = run_rules_on_path(catalog, &inv, &opts, &plan);
    if let Some(next) = next {
        // What the next hop needs is a to-do of the next upgrade, not a defect of this
        // install (`--to` gives the full audit with blockers and errors).
        findings.extend(
            next_hop_findings(catalog, &inv, &opts, next, &rule_filter)
                .into_iter()
                .map(as_next_step),
        );
    }
    let findings = apply_suppressions(findings, config, catalog, &inv, now)?;
    let report = Report::new(&decision, inv.inputs.clone(), findings, now)
        .with_rules(catalog)
        .with_objects(&inv);
    if config.exit_after {
        std::mem::forget(inv);
    }
    Ok(report)
}

/// Read the input: files (only the kinds some rule reads) or live clusters (only what
/// the selected rules read).
fn load(config: &Config, catalog: &Catalog, rule_filter: &RuleFilter) -> Result<Inventory, Error> {
    match &config.input {
        Input::Live(opts) => {
            let col = collect_live(&rule_filter.live_plan(catalog), opts, config.progress)
                .map_err(Error::Live)?;
            if let Some(why) = col.nothing_read() {
                return Err(Error::NothingRead(safe_text(&why).into_owned()));
            }
            Ok(col.inv)
        }
        Input::Paths(paths) => {
            let mut filter = match config.keep_every_object {
                true => None,
                false => catalog.kind_filter(),
            };
            // Cluster objects are listed in the report's inventory for `compare`, whatever
            // rules read.
            if let Some(kinds) = filter.as_mut() {
                kinds.kinds.insert("Cluster".to_string());
                // Operator CRs and init configs are installations: the component model
                // reads them.
                kinds.kinds.extend(
                    crate::inventory::components::DECLARATION_KINDS
                        .iter()
                        .map(|k| k.to_string()),
                );
            }
            Ok(load_inputs(paths, &config.limits, &filter))
        }
    }
}

/// The phase and the upgrade path: chosen, or detected from the installed version.
/// `next`: the hop after an install detected at an exact release, run in the pre phase.
fn choose_path(
    config: &Config,
    inv: &Inventory,
    lasting: &[String],
) -> Result<(PhaseDecision, UpgradePlan, Option<UpgradePlan>), Error> {
    let mut decision = match config.phase {
        Some(p) => PhaseDecision {
            phase: p,
            reason: "chosen with --phase".into(),
            detected: false,
            karmada_version: None,
            version: None,
        },
        None => phase::detect(inv),
    };
    if config.phase.is_some() {
        let d = phase::detect(inv);
        decision.karmada_version = d.karmada_version;
        decision.version = d.version;
    }
    // Without --to, an install detected at an exact release is verified as that release,
    // and the next hop's needs are shown; `next` is run in the pre phase.
    let mut next: Option<UpgradePlan> = None;
    let plan = match &config.to {
        None => match path::detected_default(decision.karmada_version.as_deref(), lasting) {
            // --phase post asks for the verification alone, --phase pre for the audit of
            // the next hop alone; without --phase both are shown.
            Some(d) => match (config.phase, d.next) {
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
            None => match unchosen_hop(&decision, inv) {
                Some(why) => {
                    decision.reason = why.clone();
                    UpgradePlan {
                        hops: Vec::new(),
                        unchosen: Some(why),
                        ..UpgradePlan::default()
                    }
                }
                None => UpgradePlan::default(),
            },
        },
        Some(to) => {
            // A range is no starting point: never guess one of its releases.
            if let (None, Some(v)) = (
                &config.from,
                decision.version.as_ref().filter(|v| v.is_range()),
            ) {
                return Err(Error::Usage(format!(
                    "the installed Karmada version is somewhere in {} ({}); pass --from VERSION with --to",
                    v.label(),
                    v.evidence
                )));
            }
            let Some(from) = config.from.clone().or(decision.karmada_version.clone()) else {
                return Err(Error::Usage(
                    "cannot detect the installed Karmada version; pass --from VERSION with --to"
                        .into(),
                ));
            };
            let plan = UpgradePlan::between(&from, to).map_err(|e| Error::Usage(e.to_string()))?;
            // With a target, the installation is at the start of the path unless --phase
            // says otherwise: every hop is still ahead of it.
            if config.phase.is_none() {
                decision.phase = Phase::Pre;
                decision.reason = format!(
                    "upgrade path {from} -> {to} ({}); pass --phase post to verify after it",
                    plan.labels().join(", ")
                );
            }
            plan
        }
    };
    Ok((decision, plan, next))
}

/// The core rule that reports every hop of the upgrade path it could not check (see
/// [`unchecked_upgrade`]).
pub const HOP_COVERAGE_RULE: &str = "hop-pack-known";

/// The findings saying part of the upgrade was not checked at all: the installed version
/// could not be pinned to one release, is newer than any these rules know, or a hop of
/// the path has no rule pack. Such a run has not done its job whatever else it found, so
/// `check` does not exit 0 on it (a waiver accepting the finding lifts that).
pub fn unchecked_upgrade(report: &Report) -> impl Iterator<Item = &Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.rule.name() == HOP_COVERAGE_RULE && f.status == Status::Unknown)
}

/// Why a run without `--to` checks no hop, when its evidence rules out the default v0.10
/// -> v1.0 pack and names no single release: a range above v1.0 (components on v1.15 and
/// v1.16), or a Karmada CR or KarmadaInitConfig (v1.5 and later) stating no version
/// (`imageTag: latest`). Running the v0.10 -> v1.0 pack there told a v1.17 operator sample
/// to set its images to v1.0.0; guessing a release instead would pass a hop nobody named.
/// `None`: the default pack stands (nothing at all is known, or the evidence allows
/// v0.10 or v1.0).
fn unchosen_hop(decision: &PhaseDecision, inv: &Inventory) -> Option<String> {
    let ask = "pass the installed release and the target: --from vA.B --to vA.C (add --phase \
               post to verify after the upgrade)";
    match &decision.version {
        Some(v) if v.low > (1, 0) => Some(format!(
            "the installed Karmada version is somewhere in {} ({}), so no upgrade hop was \
             checked; {ask}",
            v.label(),
            v.evidence
        )),
        Some(_) => None,
        None => {
            let all = crate::inventory::ScopeSel::All;
            let declared = crate::inventory::components::DECLARATION_KINDS
                .iter()
                .find_map(|k| inv.of_kind(k, &all).next())?;
            Some(format!(
                "{} states no Karmada version (no image tag, or a tag like `latest`), and no \
                 installed component says one, so no upgrade hop was checked; {ask}",
                declared.r
            ))
        }
    }
}

/// Annotations and the waiver file (see [`suppress`]); a waiver file that cannot be read
/// is an error of the run.
fn apply_suppressions(
    findings: Vec<Finding>,
    config: &Config,
    catalog: &Catalog,
    inv: &Inventory,
    now: time::OffsetDateTime,
) -> Result<Vec<Finding>, Error> {
    let paths: &[String] = match &config.input {
        Input::Paths(p) => p,
        Input::Live(_) => &[],
    };
    let waivers = match suppress::find_waiver_file(config.waivers.as_deref(), paths) {
        Some(path) => {
            let w = suppress::load_waivers(&path, catalog, &config.limits)
                .map_err(|e| Error::Waivers(e.to_string()))?;
            tell(
                config.progress,
                Progress::Waivers {
                    count: w.len(),
                    path: &path,
                },
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

/// The one place a run stops because there is nothing to check, offline and live alike:
/// no input could be read at all, or what was read holds no Karmada object (empty stdin,
/// only `---`, a text file, a cluster that is not Karmada's).
pub fn refuse_nothing_to_check(inv: &Inventory) -> Result<(), Error> {
    let why = if inv.inputs.is_empty() {
        "no readable input".to_string()
    } else {
        match crate::inventory::karmada::nothing_to_check(inv) {
            Some(why) => why,
            None => return Ok(()),
        }
    };
    Err(Error::NothingToCheck {
        why,
        problems: inv.problems.clone(),
    })
}

/// A violation of the next hop's rules, as a step of the next upgrade.
fn as_next_step(mut f: Finding) -> Finding {
    if matches!(f.status, Status::Fail | Status::Blocker) {
        f.status = Status::Action;
        f.severity = None;
    }
    f
}

/// The rules of the hop after the installed release, in the pre phase: what that upgrade
/// needs. Only that hop's own rules run (the core rules already ran with the verification),
/// and of those only the ones `--rule` selects.
fn next_hop_findings(
    catalog: &Catalog,
    inv: &Inventory,
    opts: &RunOptions,
    next: UpgradePlan,
    rule_filter: &RuleFilter,
) -> Vec<Finding> {
    let next = next.with_catalog(catalog);
    let names: Vec<String> = rule_filter
        .select(catalog)
        .filter(|r| r.spec.hop.is_some_and(|h| next.hops.contains(&h)))
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

/// Collect from live clusters on a runtime of our own, telling `progress` one line per
/// kind of problem (see [`live_summary`]). Errors only for what must be fixed
/// before any request (kubeconfig, contexts).
pub fn collect_live(
    plan: &Plan,
    opts: &LiveOptions,
    progress: Option<Observer<'_>>,
) -> anyhow::Result<Collection> {
    use anyhow::Context;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let col = rt.block_on(live::collect(plan, opts))?;
    for line in live_summary::lines(&col) {
        tell(progress, Progress::Live(&line));
    }
    Ok(col)
}
