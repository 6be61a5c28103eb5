//! `karmada-preflight check`.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};

use super::live_args::LiveArgs;
use super::output::{emit, OutputSpec};
use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::engine::{self, Config, Input, Observer, Progress};
use crate::inventory::etcd::EtcdRead;
use crate::reports::fixdir;
use crate::sources::safe_text::safe_text;
use crate::sources::Limits;
use crate::upgrade::Phase;

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
    /// never exit 1, nor 2 for an upgrade it could not check
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

pub fn run(args: CheckArgs) -> anyhow::Result<i32> {
    let stdout_outputs = args.output.iter().filter(|o| o.path.is_none()).count();
    if stdout_outputs > 1 {
        bail!(
            "at most one -o format can go to stdout; give the others a file: -o sarif=report.sarif"
        );
    }
    if args.live.requested() && !args.paths.is_empty() {
        bail!("give either PATHs (offline) or live flags, not both; to check a live snapshot, `collect --out DIR` then `check DIR`");
    }
    let progress = |p: Progress<'_>| print_progress(p, args.announce_phase());
    let report = match engine::run(&args.config(&progress)?) {
        Ok(r) => r,
        Err(e) => return Ok(report_error(e)),
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
    // A run that could not check (part of) the upgrade must not read as "all clear" to a
    // CI gate: the report says which hop and why, and the exit says the run fell short.
    if args.fail_on != FailOn::Never {
        if let Some(f) = engine::unchecked_upgrade(&report).next() {
            eprintln!(
                "karmada-preflight: exit {EXIT_ERROR}: the upgrade was not checked ({} {} is unknown, \
                 see the report; `--fail-on never` exits 0 anyway)",
                f.rule.id(), f.rule.name()
            );
            return Ok(EXIT_ERROR);
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

    /// Say the phase and why on stderr: not when a table on stdout starts with it
    /// already, which would show it twice in the terminal.
    pub fn announce_phase(&self) -> bool {
        !self
            .output
            .iter()
            .any(|o| o.path.is_none() && o.format == super::output::Format::Table)
    }

    /// The engine's configuration for these arguments; `progress` is told the run's
    /// progress. Errors: an `--etcd-user` password that cannot be read.
    pub fn config<'a>(&self, progress: Observer<'a>) -> anyhow::Result<Config<'a>> {
        let live_mode = self.live.requested() || self.paths.is_empty();
        Ok(Config {
            input: if live_mode {
                Input::Live(self.live.options())
            } else {
                Input::Paths(self.paths.clone())
            },
            phase: self.phase,
            to: self.to.clone(),
            from: self.from.clone(),
            only: self.only.clone(),
            rules_dirs: self.rules_dirs.clone(),
            waivers: self.waivers.clone(),
            limits: self.limits(),
            etcd: self.etcd.options()?,
            baseline: self.etcd.baseline.clone(),
            progress: Some(progress),
            keep_every_object: false,
            exit_after: true,
        })
    }
}

/// A run's progress on stderr, as a person watching it reads it; the phase only when
/// `announce_phase`.
pub fn print_progress(p: Progress<'_>, announce_phase: bool) {
    match p {
        Progress::Phase(d) if announce_phase => {
            eprintln!("karmada-preflight: phase {}: {}", d.phase, d.reason)
        }
        Progress::Phase(_) => {}
        Progress::Waivers { count, path } => {
            eprintln!(
                "karmada-preflight: {count} waiver(s) from {}",
                path.display()
            )
        }
        // Server text (error messages, gitVersion) is made safe for the terminal.
        Progress::Live(line) => eprintln!("karmada-preflight: {}", safe_text(line)),
        Progress::EtcdNotRead(reason) => {
            eprintln!("karmada-preflight: warning: etcd not read: {reason}")
        }
        Progress::Etcd(EtcdRead::Read(k)) => eprintln!(
            "karmada-preflight: read etcd {} at revision {}: Cluster CRD key {}, {} Cluster key(s) (names only)",
            k.endpoint,
            k.revision,
            if k.cluster_crd_key { "present" } else { "absent" },
            k.clusters.len()
        ),
        Progress::Etcd(EtcdRead::Failed(reason)) => {
            eprintln!("karmada-preflight: warning: etcd could not be read: {reason}")
        }
        Progress::EtcdRecorded(k) => eprintln!(
            "karmada-preflight: etcd keys recorded in the bundle (revision {} of {})",
            k.revision, k.endpoint
        ),
    }
}

/// The exit code of a run that ended without a report: every engine error is a failure
/// of the run itself (2), never a finding (1).
pub fn exit_code(e: &engine::Error) -> i32 {
    match e {
        engine::Error::InvalidRules(_)
        | engine::Error::UnknownRule(_)
        | engine::Error::Usage(_)
        | engine::Error::Live(_)
        | engine::Error::NothingRead(_)
        | engine::Error::NothingToCheck { .. }
        | engine::Error::Etcd(_)
        | engine::Error::Waivers(_) => EXIT_ERROR,
    }
}

/// Say why the run ended on stderr and give its exit code. Nothing to check also lists
/// the first input problems: they are usually why.
pub fn report_error(e: engine::Error) -> i32 {
    let code = exit_code(&e);
    if let engine::Error::NothingToCheck { problems, .. } = &e {
        for p in problems.iter().take(10) {
            eprintln!(
                "karmada-preflight: {}: {}",
                p.location,
                safe_text(&p.message)
            );
        }
        if problems.len() > 10 {
            eprintln!(
                "karmada-preflight: ... and {} more input problem(s)",
                problems.len() - 10
            );
        }
    }
    eprintln!(
        "karmada-preflight: error: {}",
        super::error_chain(&anyhow::Error::from(e))
    );
    code
}
