//! `--etcd-*` and `--baseline`: where the etcd rules read etcd from, and what they
//! compare it with, as the engine's typed [`EtcdOptions`]. The password of
//! `--etcd-user` is read here, at the edge; the engine reads etcd (`engine::etcd`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use clap::Args;

use crate::engine::etcd::EtcdOptions;
use crate::sources::etcd::{self, EtcdUser};

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
    /// The engine's etcd options: `None` when no etcd flag asks for a read. Errors
    /// (an `--etcd-user` password that cannot be read) name the file or variable.
    pub fn options(&self) -> anyhow::Result<Option<EtcdOptions>> {
        let user = self.user()?;
        if !self.requested() {
            return Ok(None);
        }
        Ok(Some(EtcdOptions {
            endpoints: self.etcd_endpoints.clone(),
            cacert: self.etcd_cacert.clone(),
            cert: self.etcd_cert.clone(),
            key: self.etcd_key.clone(),
            user,
            prefix: self.etcd_prefix.clone(),
            timeout: Duration::from_secs(self.etcd_timeout.max(1)),
        }))
    }

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
