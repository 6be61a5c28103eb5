//! Flags shared by every command that reads live clusters (`check`, `collect`).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::sources::live::in_cluster::InClusterScope;
use crate::sources::live::{ConnectOptions, LiveOptions};

#[derive(Debug, Clone, Args)]
pub struct LiveArgs {
    /// Read live clusters (implied by any flag below, and by giving no PATH).
    #[arg(long)]
    pub live: bool,
    /// Kubeconfig file. Default: the files in KUBECONFIG (merged as kubectl does), else
    /// ~/.kube/config.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Context for karmada-apiserver. Default: `karmada-apiserver` if the kubeconfig has
    /// it, else the current context.
    #[arg(long, value_name = "CONTEXT")]
    pub karmada_context: Option<String>,
    /// Context for the host cluster running karmada-system. Default: `karmada-host` if
    /// the kubeconfig has it.
    #[arg(long, value_name = "CONTEXT")]
    pub host_context: Option<String>,
    /// A member cluster and its context (repeatable).
    #[arg(long = "member", value_name = "NAME=CONTEXT", value_parser = parse_member)]
    pub members: Vec<(String, String)>,
    /// Reach every member registered in karmada-apiserver through its cluster proxy
    /// (/apis/cluster.karmada.io/v1alpha1/clusters/NAME/proxy); --member entries win.
    #[arg(long)]
    pub members_via_proxy: bool,
    /// Every kubeconfig context other than the karmada and host ones (and other than
    /// `karmada-apiserver`/`karmada-host`) is a member named after its context; --member
    /// entries win.
    #[arg(long)]
    pub members_from_kubeconfig: bool,
    /// Read the cluster this pod runs in with its service account (token, CA and
    /// namespace in /var/run/secrets/kubernetes.io/serviceaccount,
    /// KUBERNETES_SERVICE_HOST/PORT) as the host cluster, or with `=karmada` as
    /// karmada-apiserver. Other scopes still come from --kubeconfig or KUBECONFIG when
    /// given (a pod's ~/.kube/config is not read).
    #[arg(long, value_name = "SCOPE", value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "host")]
    pub in_cluster: Option<InClusterScope>,
    /// Do not verify API server certificates. Only for test clusters.
    #[arg(long)]
    pub insecure_skip_tls_verify: bool,
    /// Most requests in flight at once, across all clusters.
    #[arg(long, default_value_t = 16, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub concurrency: usize,
    /// Time limit for each request (e.g. 10s, 500ms, 1m).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// Time limit for the whole run (e.g. 5m): reads not finished by then make the rules
    /// that needed them unknown, each naming what was not read.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub timeout: Duration,
}

impl LiveArgs {
    /// Whether any flag asks for live mode.
    pub fn requested(&self) -> bool {
        self.live
            || self.kubeconfig.is_some()
            || self.karmada_context.is_some()
            || self.host_context.is_some()
            || !self.members.is_empty()
            || self.members_via_proxy
            || self.members_from_kubeconfig
            || self.in_cluster.is_some()
    }

    pub fn options(&self) -> LiveOptions {
        LiveOptions {
            connect: ConnectOptions {
                kubeconfig: self.kubeconfig.clone(),
                karmada_context: self.karmada_context.clone(),
                host_context: self.host_context.clone(),
                members: self.members.clone(),
                members_via_proxy: self.members_via_proxy,
                members_from_kubeconfig: self.members_from_kubeconfig,
                insecure_skip_tls_verify: self.insecure_skip_tls_verify,
                in_cluster: self.in_cluster,
            },
            concurrency: self.concurrency,
            request_timeout: self.request_timeout,
            run_timeout: self.timeout,
            progress: true,
        }
    }
}

fn parse_member(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((n, c)) if !n.is_empty() && !c.is_empty() => Ok((n.to_string(), c.to_string())),
        _ => Err(format!("expected NAME=CONTEXT, got {s:?}")),
    }
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid duration {s:?} (e.g. 10s, 500ms, 1m)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("invalid duration unit in {s:?} (ms, s, m)")),
    };
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err(format!("duration {s:?} must be between 0 and 1h"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert!(parse_duration("0s").is_err() && parse_duration("5h").is_err());
    }

    #[test]
    fn members() {
        assert_eq!(parse_member("m1=ctx").unwrap(), ("m1".into(), "ctx".into()));
        assert!(parse_member("m1").is_err() && parse_member("=c").is_err());
    }
}
