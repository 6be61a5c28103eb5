//! etcd for the etcd rules: read it (when [`EtcdOptions`] are given) or take a bundle's
//! recorded keys, with the `--baseline` to compare them with, into `inv.etcd`. Endpoints
//! and certificate paths not given are taken from the karmada-apiserver workload's own
//! `--etcd-*` flags in the input; the files those flags name are read from the Secret the
//! workload mounts them from (`secret_certs`). Read-only: key names, never values.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::bail;

use super::{tell, Observer, Progress};
use crate::checks::support::apiserver::{karmada_apiservers, EtcdAccess};
use crate::inventory::workload::ContainerRef;
use crate::inventory::Inventory;
use crate::sources::etcd::{
    self, baseline::BUNDLE_FILE, EtcdFacts, EtcdRead, EtcdTarget, EtcdUser, EtcdctlAccess,
};
use crate::sources::live::LiveOptions;

mod secret_certs;
use secret_certs::Want;

/// Where etcd is and who reads it, as given; what is not given comes from
/// karmada-apiserver's `--etcd-*` flags in the input.
#[derive(Debug, Clone)]
pub struct EtcdOptions {
    /// Empty: karmada-apiserver's `--etcd-servers`.
    pub endpoints: Vec<String>,
    pub cacert: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    /// Read into memory only.
    pub key: Option<PathBuf>,
    /// A password user (the password read by the caller, never printed).
    pub user: Option<EtcdUser>,
    /// `None`: karmada-apiserver's `--etcd-prefix`, else `/registry`.
    pub prefix: Option<String>,
    /// Bound for the whole read, every endpoint included.
    pub timeout: Duration,
}

/// Read etcd (when asked) or a bundle's recorded keys into `inv.etcd`, with the
/// baseline (at most `max_file_bytes`). `live` is the live run the inventory came from,
/// if any: the host Secret the apiserver's etcd certificates come from is then read from
/// it. Errors (exit 2) only for a `--baseline` or `--etcd-user` that cannot be used; an
/// etcd that cannot be read makes the etcd rules unknown instead.
pub fn attach(
    etcd_opts: Option<&EtcdOptions>,
    baseline: Option<&Path>,
    live: Option<&LiveOptions>,
    max_file_bytes: u64,
    inv: &mut Inventory,
    progress: Option<Observer<'_>>,
) -> anyhow::Result<()> {
    let baseline = baseline
        .map(|b| etcd::load_baseline(b, max_file_bytes))
        .transpose()?;
    let facts = if let Some(args) = etcd_opts {
        let apiservers = karmada_apiservers(inv);
        let container = apiservers.first();
        let (access, target) = target(args, container, inv, live);
        let target = match target {
            Ok(t) => EtcdTarget {
                user: args.user.clone(),
                ..t
            },
            Err(reason) => {
                tell(progress, Progress::EtcdNotRead(&reason));
                inv.etcd = Some(EtcdFacts {
                    access,
                    read: EtcdRead::Failed(reason),
                    baseline,
                });
                return Ok(());
            }
        };
        let read = etcd::read(&target);
        tell(progress, Progress::Etcd(&read));
        Some(EtcdFacts {
            access,
            read,
            baseline,
        })
    } else if let Some(mut facts) = inv.etcd.take() {
        // A bundle's recorded keys (loaded with the bundle).
        if let EtcdRead::Read(k) = &facts.read {
            tell(progress, Progress::EtcdRecorded(k));
        }
        facts.baseline = baseline;
        Some(facts)
    } else {
        if baseline.is_some() {
            bail!("--baseline compares etcd's keys: also give --etcd-endpoints (or --etcd), or a bundle holding {BUNDLE_FILE}");
        }
        None
    };
    inv.etcd = facts;
    Ok(())
}

/// Endpoints, certificates and prefix: the flags, else karmada-apiserver's (`container`),
/// whose certificate files are read from the Secret it mounts them from.
fn target(
    args: &EtcdOptions,
    container: Option<&ContainerRef<'_>>,
    inv: &Inventory,
    live: Option<&LiveOptions>,
) -> (EtcdctlAccess, Result<EtcdTarget, String>) {
    let apiserver = container.map(|c| EtcdAccess::from_apiserver(c));
    let api = apiserver.as_ref();
    let endpoints: Vec<String> = if args.endpoints.is_empty() {
        api.and_then(|a| a.servers.as_deref())
            .map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    } else {
        args.endpoints
            .iter()
            .map(|s| s.trim().to_string())
            .collect()
    };
    let prefix = etcd::normalize_prefix(
        args.prefix
            .as_deref()
            .or(api.map(|a| a.prefix.as_str()))
            .unwrap_or("/registry"),
    );
    let mut used_api = Vec::new();
    // The apiserver's certificates fit only its TLS endpoints: plain-http endpoints the
    // user gave (a local etcd, a port-forward to an insecure listener) take none.
    let tls = endpoints.iter().any(|e| !e.starts_with("http://"));
    // A password user (`--etcd-user`) is who the checker is: the apiserver's client
    // certificate, which would be a second identity, is used only when given explicitly.
    let password_user = args.user.is_some();
    let mut pick =
        |flag: &Option<PathBuf>, api_val: Option<&String>, api_flag: &str| -> Option<String> {
            match flag {
                Some(p) => Some(p.display().to_string()),
                None if !tls => None,
                None if password_user && api_flag != "--etcd-cafile" => None,
                None => {
                    let v = api_val.cloned();
                    if v.is_some() {
                        used_api.push(api_flag.to_string());
                    }
                    v
                }
            }
        };
    let cacert = pick(
        &args.cacert,
        api.and_then(|a| a.cafile.as_ref()),
        "--etcd-cafile",
    );
    let cert = pick(
        &args.cert,
        api.and_then(|a| a.certfile.as_ref()),
        "--etcd-certfile",
    );
    let key = pick(
        &args.key,
        api.and_then(|a| a.keyfile.as_ref()),
        "--etcd-keyfile",
    );
    if args.endpoints.is_empty() && !endpoints.is_empty() {
        used_api.insert(0, "--etcd-servers".into());
    }
    let origin = match (used_api.is_empty(), api.and_then(|a| a.source.as_ref())) {
        (false, Some(src)) => format!(
            "the --etcd-* options given and {} of {src}",
            used_api.join(", ")
        ),
        _ => "the --etcd-* options given".to_string(),
    };
    let mut access = EtcdctlAccess {
        endpoints: endpoints.join(","),
        cacert: cacert.clone(),
        cert: cert.clone(),
        key: key.clone(),
        prefix: prefix.clone(),
        origin,
    };
    if endpoints.is_empty() {
        return (
            access,
            Err("no etcd endpoint: give --etcd-endpoints (the input has no karmada-apiserver with --etcd-servers)".into()),
        );
    }
    // Paths taken from the apiserver are paths inside its container: used as files when
    // this machine has the same files, else read from the Secret the container mounts.
    let wanted = [
        (&cacert, &args.cacert, "--etcd-cafile", "--etcd-cacert"),
        (&cert, &args.cert, "--etcd-certfile", "--etcd-cert"),
        (&key, &args.key, "--etcd-keyfile", "--etcd-key"),
    ]
    .map(|(path, given, api_flag, flag)| match (path, given) {
        (None, _) => None,
        (Some(p), Some(_)) => Some(Want::File(PathBuf::from(p))),
        (Some(p), None) if Path::new(p).is_file() => Some(Want::File(PathBuf::from(p))),
        (Some(p), None) => Some(Want::InPod {
            path: p.clone(),
            api_flag,
            flag,
        }),
    });
    let [cacert, cert, key] = match secret_certs::resolve(container, inv, live, wanted) {
        Ok((pems, note)) => {
            if let Some(note) = note {
                access.origin.push_str(&format!("; {note}"));
            }
            pems
        }
        Err(reason) => return (access, Err(reason)),
    };
    let target = EtcdTarget {
        endpoints,
        cacert,
        cert,
        key,
        user: None,
        prefix,
        timeout: args.timeout,
    };
    (access, Ok(target))
}

/// `collect`: read etcd when asked and write its key names to `<out>/etcd-keys.json`.
/// An etcd that cannot be read is a warning (the bundle is still written, without it).
pub fn collect_keys(
    etcd_opts: Option<&EtcdOptions>,
    live: Option<&LiveOptions>,
    inv: &mut Inventory,
    out: &Path,
    progress: Option<Observer<'_>>,
) -> anyhow::Result<Option<PathBuf>> {
    if etcd_opts.is_none() {
        return Ok(None);
    }
    // `collect` refuses --baseline, the only file `attach` reads.
    attach(
        etcd_opts,
        None,
        live,
        crate::sources::Limits::default().max_file_bytes,
        inv,
        progress,
    )?;
    let Some(EtcdRead::Read(keys)) = inv.etcd.as_ref().map(|f| &f.read) else {
        return Ok(None);
    };
    std::fs::create_dir_all(out)?;
    let text = serde_json::to_string_pretty(keys)?;
    std::fs::write(out.join(BUNDLE_FILE), text + "\n")?;
    Ok(Some(PathBuf::from(BUNDLE_FILE)))
}
