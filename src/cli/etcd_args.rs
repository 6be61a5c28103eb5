//! `--etcd-*` and `--baseline`: where the etcd rules read etcd from, and what they
//! compare it with. Endpoints and certificate paths not given are taken from the
//! karmada-apiserver workload's own `--etcd-*` flags in the input; the files those flags
//! name are read from the Secret the workload mounts them from (`secret_certs`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::bail;
use clap::Args;

use crate::checks::support::apiserver::{karmada_apiservers, EtcdAccess};
use crate::inventory::workload::ContainerRef;
use crate::inventory::Inventory;
use crate::sources::etcd::{
    self, baseline::BUNDLE_FILE, EtcdFacts, EtcdRead, EtcdTarget, EtcdUser, EtcdctlAccess,
};
use crate::sources::live::LiveOptions;

mod secret_certs;
use secret_certs::Want;

/// Where the password of `--etcd-user` may come from besides `--etcd-password-file`.
/// Never a flag: a flag's value is visible to every user of the machine (`ps`).
pub const PASSWORD_ENV: &str = "ETCD_PASSWORD";
/// A password file is one line; anything larger is the wrong file.
const MAX_PASSWORD_BYTES: u64 = 4096;

#[derive(Debug, Clone, Default, Args)]
pub struct EtcdArgs {
    /// Read etcd for the etcd rules (KP1020-KP1022): endpoints, comma-separated. Only
    /// key names are read (range requests, keys-only); nothing is ever written. Omitted
    /// flags come from karmada-apiserver's --etcd-* flags in the input.
    #[arg(long, value_name = "URL[,URL]", value_delimiter = ',')]
    pub etcd_endpoints: Vec<String>,
    /// etcd CA certificate (PEM); default: karmada-apiserver's --etcd-cafile.
    #[arg(long, value_name = "FILE")]
    pub etcd_cacert: Option<PathBuf>,
    /// etcd client certificate (PEM); default: karmada-apiserver's --etcd-certfile.
    #[arg(long, value_name = "FILE")]
    pub etcd_cert: Option<PathBuf>,
    /// etcd client key (PEM, read into memory only); default: karmada-apiserver's --etcd-keyfile.
    #[arg(long, value_name = "FILE")]
    pub etcd_key: Option<PathBuf>,
    /// etcd user, for etcd with auth enabled and a password user (with client-certificate
    /// auth etcd takes the user from the certificate's CN instead). The password comes from
    /// --etcd-password-file or the ETCD_PASSWORD environment variable, never from a flag.
    /// karmada-apiserver's client certificate is then not used: give --etcd-cert and
    /// --etcd-key too if etcd also requires a client certificate.
    #[arg(long, value_name = "NAME")]
    pub etcd_user: Option<String>,
    /// File holding the password of --etcd-user (its first line).
    #[arg(long, value_name = "FILE", requires = "etcd_user")]
    pub etcd_password_file: Option<PathBuf>,
    /// karmada-apiserver's --etcd-prefix, when not in the input (default /registry).
    #[arg(long, value_name = "PREFIX")]
    pub etcd_prefix: Option<String>,
    /// Read etcd with karmada-apiserver's own --etcd-* flags only.
    #[arg(long)]
    pub etcd: bool,
    /// Bound for the whole etcd read, every endpoint included.
    #[arg(long, value_name = "SECONDS", default_value_t = etcd::DEFAULT_TIMEOUT.as_secs())]
    pub etcd_timeout: u64,
    /// A `check -o json` report or a `collect` bundle made before the upgrade: every
    /// Cluster key it recorded must still be in etcd.
    #[arg(long, value_name = "REPORT|BUNDLE")]
    pub baseline: Option<PathBuf>,
}

impl EtcdArgs {
    pub fn requested(&self) -> bool {
        self.etcd
            || !self.etcd_endpoints.is_empty()
            || self.etcd_cacert.is_some()
            || self.etcd_cert.is_some()
            || self.etcd_key.is_some()
            || self.etcd_prefix.is_some()
            || self.etcd_user.is_some()
    }

    /// `--etcd-user` with its password (file, else `ETCD_PASSWORD`); errors name the file
    /// or variable, never the password.
    fn user(&self) -> anyhow::Result<Option<EtcdUser>> {
        let Some(name) = self.etcd_user.clone() else {
            return Ok(None);
        };
        let password = match &self.etcd_password_file {
            Some(f) => {
                let meta = std::fs::metadata(f)
                    .map_err(|e| anyhow::anyhow!("--etcd-password-file {}: {e}", f.display()))?;
                if meta.len() > MAX_PASSWORD_BYTES {
                    bail!(
                        "--etcd-password-file {}: larger than {MAX_PASSWORD_BYTES} bytes, not a password file",
                        f.display()
                    );
                }
                let text = std::fs::read_to_string(f).map_err(|e| {
                    anyhow::anyhow!("--etcd-password-file {}: {e}", f.display())
                })?;
                // The first line: `echo pw > file` adds a newline that is not part of it.
                text.lines().next().unwrap_or("").to_string()
            }
            None => match std::env::var(PASSWORD_ENV) {
                Ok(p) => p,
                Err(_) => bail!(
                    "--etcd-user {name} needs its password: give --etcd-password-file FILE or set {PASSWORD_ENV} \
                     (never a flag value, which other users of the machine can see)"
                ),
            },
        };
        if password.is_empty() {
            bail!(
                "--etcd-user {name}: the password is empty ({})",
                match &self.etcd_password_file {
                    Some(f) => format!("--etcd-password-file {}", f.display()),
                    None => PASSWORD_ENV.to_string(),
                }
            );
        }
        Ok(Some(EtcdUser { name, password }))
    }
}

/// Read etcd (when asked) or a bundle's recorded keys into `inv.etcd`, with the
/// baseline (at most `max_file_bytes`). `live` is the live run the inventory came from,
/// if any: the host Secret the apiserver's etcd certificates come from is then read from
/// it. Errors (exit 2) only for a `--baseline` or `--etcd-user` that cannot be used; an
/// etcd that cannot be read makes the etcd rules unknown instead.
pub fn attach(
    args: &EtcdArgs,
    live: Option<&LiveOptions>,
    max_file_bytes: u64,
    inv: &mut Inventory,
) -> anyhow::Result<()> {
    let baseline = args
        .baseline
        .as_deref()
        .map(|b| etcd::load_baseline(b, max_file_bytes))
        .transpose()?;
    let user = args.user()?;
    let facts = if args.requested() {
        let apiservers = karmada_apiservers(inv);
        let container = apiservers.first();
        let (access, target) = target(args, container, inv, live);
        let target = match target {
            Ok(t) => EtcdTarget { user, ..t },
            Err(reason) => {
                eprintln!("karmada-preflight: warning: etcd not read: {reason}");
                inv.etcd = Some(EtcdFacts {
                    access,
                    read: EtcdRead::Failed(reason),
                    baseline,
                });
                return Ok(());
            }
        };
        let read = etcd::read(&target);
        match &read {
            EtcdRead::Read(k) => eprintln!(
                "karmada-preflight: read etcd {} at revision {}: Cluster CRD key {}, {} Cluster key(s) (names only)",
                k.endpoint,
                k.revision,
                if k.cluster_crd_key { "present" } else { "absent" },
                k.clusters.len()
            ),
            EtcdRead::Failed(reason) => {
                eprintln!("karmada-preflight: warning: etcd could not be read: {reason}")
            }
        }
        Some(EtcdFacts {
            access,
            read,
            baseline,
        })
    } else if let Some(mut facts) = inv.etcd.take() {
        // A bundle's recorded keys (loaded with the bundle).
        if let EtcdRead::Read(k) = &facts.read {
            eprintln!(
                "karmada-preflight: etcd keys recorded in the bundle (revision {} of {})",
                k.revision, k.endpoint
            );
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
    args: &EtcdArgs,
    container: Option<&ContainerRef<'_>>,
    inv: &Inventory,
    live: Option<&LiveOptions>,
) -> (EtcdctlAccess, Result<EtcdTarget, String>) {
    let apiserver = container.map(|c| EtcdAccess::from_apiserver(c));
    let api = apiserver.as_ref();
    let endpoints: Vec<String> = if args.etcd_endpoints.is_empty() {
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
        args.etcd_endpoints
            .iter()
            .map(|s| s.trim().to_string())
            .collect()
    };
    let prefix = etcd::normalize_prefix(
        args.etcd_prefix
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
    let password_user = args.etcd_user.is_some();
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
        &args.etcd_cacert,
        api.and_then(|a| a.cafile.as_ref()),
        "--etcd-cafile",
    );
    let cert = pick(
        &args.etcd_cert,
        api.and_then(|a| a.certfile.as_ref()),
        "--etcd-certfile",
    );
    let key = pick(
        &args.etcd_key,
        api.and_then(|a| a.keyfile.as_ref()),
        "--etcd-keyfile",
    );
    if args.etcd_endpoints.is_empty() && !endpoints.is_empty() {
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
        (&cacert, &args.etcd_cacert, "--etcd-cafile", "--etcd-cacert"),
        (&cert, &args.etcd_cert, "--etcd-certfile", "--etcd-cert"),
        (&key, &args.etcd_key, "--etcd-keyfile", "--etcd-key"),
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
        timeout: Duration::from_secs(args.etcd_timeout.max(1)),
    };
    (access, Ok(target))
}

/// `collect`: read etcd when asked and write its key names to `<out>/etcd-keys.json`.
/// An etcd that cannot be read is a warning (the bundle is still written, without it).
pub fn collect_keys(
    args: &EtcdArgs,
    live: Option<&LiveOptions>,
    inv: &mut Inventory,
    out: &Path,
) -> anyhow::Result<Option<PathBuf>> {
    if !args.requested() {
        return Ok(None);
    }
    // `collect` refuses --baseline, the only file `attach` reads.
    attach(
        args,
        live,
        crate::sources::Limits::default().max_file_bytes,
        inv,
    )?;
    let Some(EtcdRead::Read(keys)) = inv.etcd.as_ref().map(|f| &f.read) else {
        return Ok(None);
    };
    std::fs::create_dir_all(out)?;
    let text = serde_json::to_string_pretty(keys)?;
    std::fs::write(out.join(BUNDLE_FILE), text + "\n")?;
    Ok(Some(PathBuf::from(BUNDLE_FILE)))
}
