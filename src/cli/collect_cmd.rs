//! `karmada-preflight collect --out DIR`: read live clusters and write a snapshot bundle
//! that `check DIR` reads with the same scopes and the same results.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use super::live_args::LiveArgs;
use super::{EXIT_ERROR, EXIT_OK};
use crate::engine::{collect_live, load_catalog};
use crate::sources::live::snapshot;

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Folder to write the bundle into (karmada/, host/, members/<name>/, collected.yaml).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub live: LiveArgs,
    /// With --etcd-endpoints (or --etcd): also record etcd's Cluster CRD and Cluster key
    /// names (never values) in etcd-keys.json, a `check --baseline` for after the upgrade.
    #[command(flatten)]
    pub etcd: super::etcd_args::EtcdArgs,
    /// Also load rule files from DIR, so their reads are collected too (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules_dirs: Vec<PathBuf>,
    /// Collect only what these rules read (name or id; repeatable).
    #[arg(long = "rule", value_name = "RULE")]
    pub only: Vec<String>,
}

pub fn run(args: CollectArgs) -> anyhow::Result<i32> {
    let catalog = load_catalog(&args.rules_dirs)?;
    let filter = crate::rules::RuleFilter::new(&args.only);
    if let Some(o) = filter.unknown(&catalog).first() {
        bail!("unknown rule {o:?} (see `karmada-preflight rules`)");
    }
    if args.etcd.baseline.is_some() {
        bail!("--baseline is for `check`; `collect` records the keys a later check compares with");
    }
    if args.out.is_file() {
        bail!("--out {}: is a file, expected a folder", args.out.display());
    }
    // Refused before any request rather than after the whole read.
    snapshot::check_out_dir(&args.out)?;
    let plan = filter.live_plan(&catalog);
    let progress = |p: crate::engine::Progress<'_>| super::check::print_progress(p, false);
    let col = collect_live(&plan, &args.live.options(), Some(&progress))?;
    if let Some(why) = col.nothing_read() {
        eprintln!("karmada-preflight: error: {why}; nothing written");
        return Ok(EXIT_ERROR);
    }
    let mut col = col;
    let mut written = snapshot::write(&col, &args.out, time::OffsetDateTime::now_utc())?;
    // After the bundle: `write` wants an empty folder.
    written.extend(crate::engine::etcd::collect_keys(
        args.etcd.options()?.as_ref(),
        Some(&args.live.options()),
        &mut col.inv,
        &args.out,
        Some(&progress),
    )?);
    eprintln!(
        "karmada-preflight: wrote {} file(s) to {} ({} objects, {} requests in {:.1?}); secret values other than \
         certificates are redacted",
        written.len(),
        args.out.display(),
        col.inv.len(),
        col.stats.requests,
        col.elapsed
    );
    Ok(EXIT_OK)
}
