//! Which cluster is which scope, and a client for each: the current context unless told
//! (the kubeconfig is loaded by `kubeconfig`), Karmada's own context names by default,
//! and members either by their own contexts or through karmada-apiserver's cluster proxy.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _};
use kube::config::{KubeConfigOptions, Kubeconfig};

use super::in_cluster::InClusterScope;
use crate::inventory::Scope;

/// The contexts `karmada-init`, `hack/local-up-karmada.sh` and the Helm chart write.
pub const KARMADA_CONTEXT: &str = "karmada-apiserver";
pub const HOST_CONTEXT: &str = "karmada-host";

#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub kubeconfig: Option<PathBuf>,
    pub karmada_context: Option<String>,
    pub host_context: Option<String>,
    /// (member name, context)
    pub members: Vec<(String, String)>,
    /// Reach every registered member through karmada-apiserver's cluster proxy.
    pub members_via_proxy: bool,
    /// Every other context in the kubeconfig is a member named after its context.
    pub members_from_kubeconfig: bool,
    pub insecure_skip_tls_verify: bool,
    /// The pod's own cluster (service account) serves this scope (`--in-cluster`); a
    /// kubeconfig is then read only when `--kubeconfig` or `KUBECONFIG` names one.
    pub in_cluster: Option<InClusterScope>,
}

/// A cluster to read and the scopes it stands for (one context may serve several, and
/// is then read once).
#[derive(Debug, Clone)]
pub struct Target {
    /// How reports name it: the context, or `<karmada context>/proxy/<member>`.
    pub label: String,
    pub scopes: Vec<Scope>,
    pub config: kube::Config,
    /// Reached through karmada-apiserver's cluster proxy: an error status can then come
    /// from the proxy (RBAC on `clusters/proxy`, no such Cluster, member not reachable)
    /// rather than from the member.
    pub via_proxy: bool,
}

/// A scope the user asked for (or Karmada's defaults imply) that has no usable context.
#[derive(Debug, Clone)]
pub struct Missing {
    pub scope: Scope,
    pub reason: String,
}

/// The kubeconfig for a run: as kubectl finds it, except that an `--in-cluster` run
/// without `--kubeconfig` or `KUBECONFIG` uses none (a pod has no ~/.kube/config, and one
/// left in an image should not silently add clusters).
pub fn kubeconfig_for(opts: &ConnectOptions) -> anyhow::Result<Kubeconfig> {
    let from_env = std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty());
    if opts.in_cluster.is_some() && opts.kubeconfig.is_none() && !from_env {
        return Ok(Kubeconfig::default());
    }
    load_kubeconfig(opts.kubeconfig.as_ref())
}

pub use super::kubeconfig::load_kubeconfig;

fn has_context(k: &Kubeconfig, name: &str) -> bool {
    k.contexts.iter().any(|c| c.name == name)
}

/// A scope and the context chosen for it.
pub type Chosen = (Scope, String);

/// Choose a context per scope: flags first, then Karmada's own context names, then (for
/// karmada only) the current context.
pub fn choose(
    k: &Kubeconfig,
    opts: &ConnectOptions,
) -> anyhow::Result<(Vec<Chosen>, Vec<Missing>)> {
    let mut chosen = Vec::new();
    let mut missing = Vec::new();
    let check = |ctx: &str, flag: &str| -> anyhow::Result<()> {
        if !has_context(k, ctx) {
            let known: Vec<&str> = k.contexts.iter().map(|c| c.name.as_str()).collect();
            bail!(
                "{flag} {ctx:?}: no such context in the kubeconfig (have: {})",
                known.join(", ")
            );
        }
        Ok(())
    };
    let in_cluster = opts.in_cluster.map(InClusterScope::scope);
    match (opts.in_cluster, &opts.karmada_context, &opts.host_context) {
        (Some(InClusterScope::Karmada), Some(_), _) => {
            bail!(
                "--in-cluster=karmada and --karmada-context both name karmada-apiserver; give one"
            )
        }
        (Some(InClusterScope::Host), _, Some(_)) => {
            bail!("--in-cluster (host) and --host-context both name the host cluster; give one")
        }
        _ => {}
    }
    let karmada = match &opts.karmada_context {
        _ if in_cluster == Some(Scope::Karmada) => None,
        Some(c) => {
            check(c, "--karmada-context")?;
            Some(c.clone())
        }
        None if has_context(k, KARMADA_CONTEXT) => Some(KARMADA_CONTEXT.to_string()),
        None => k.current_context.clone().filter(|c| has_context(k, c)),
    };
    match karmada {
        Some(c) => chosen.push((Scope::Karmada, c)),
        None if in_cluster == Some(Scope::Karmada) => {}
        None if in_cluster.is_some() => missing.push(Missing {
            scope: Scope::Karmada,
            reason: "no context for karmada-apiserver: --in-cluster reads the host; pass \
                     --kubeconfig with a karmada-apiserver context (or --karmada-context)"
                .into(),
        }),
        None => missing.push(Missing {
            scope: Scope::Karmada,
            reason:
                "no context for karmada-apiserver: pass --karmada-context (the kubeconfig has no \
                     karmada-apiserver context and no current context)"
                    .into(),
        }),
    }
    match &opts.host_context {
        _ if in_cluster == Some(Scope::Host) => {}
        Some(c) => {
            check(c, "--host-context")?;
            chosen.push((Scope::Host, c.clone()));
        }
        None if has_context(k, HOST_CONTEXT) => chosen.push((Scope::Host, HOST_CONTEXT.to_string())),
        None => missing.push(Missing {
            scope: Scope::Host,
            reason: "no context for the host cluster: pass --host-context (the kubeconfig has no karmada-host context)"
                .into(),
        }),
    }
    for (name, ctx) in &opts.members {
        check(ctx, &format!("--member {name}="))?;
        chosen.push((Scope::Member(name.as_str().into()), ctx.clone()));
    }
    if opts.members_from_kubeconfig {
        // Every context not already serving a scope, and not one of Karmada's own names
        // (an unused karmada-host is still not a member), in kubeconfig order; explicit
        // --member entries win on both name and context.
        let mut taken: std::collections::HashSet<String> =
            chosen.iter().map(|(_, c)| c.clone()).collect();
        let mut names: std::collections::HashSet<String> =
            opts.members.iter().map(|(n, _)| n.clone()).collect();
        for c in &k.contexts {
            let ctx = &c.name;
            if ctx == KARMADA_CONTEXT || ctx == HOST_CONTEXT || taken.contains(ctx) {
                continue;
            }
            if names.insert(ctx.clone()) {
                taken.insert(ctx.clone());
                chosen.push((Scope::Member(ctx.as_str().into()), ctx.clone()));
            }
        }
    }
    Ok((chosen, missing))
}

/// A client config for one context, with kube's own retries off (the collector retries
/// with Retry-After and counts attempts) and TLS checks kept unless asked otherwise.
pub async fn config_for(
    k: &Kubeconfig,
    context: &str,
    insecure: bool,
    timeout: Duration,
) -> anyhow::Result<kube::Config> {
    let opts = KubeConfigOptions {
        context: Some(context.to_string()),
        ..Default::default()
    };
    let mut cfg = kube::Config::from_custom_kubeconfig(k.clone(), &opts)
        .await
        .with_context(|| format!("context {context}"))?;
    cfg.default_retry = false;
    cfg.connect_timeout = Some(timeout);
    if insecure {
        cfg.accept_invalid_certs = true;
    }
    Ok(cfg)
}

/// Whether a Cluster name can be put into a URL path as is (DNS-1123 subdomain).
pub fn valid_cluster_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !name.starts_with(['-', '.'])
}

/// The config that reaches member `name` through karmada-apiserver:
/// `/apis/cluster.karmada.io/v1alpha1/clusters/<name>/proxy/...` (docs/live.md). kube keeps
/// a path in the cluster URL and puts every request below it.
pub fn via_proxy(karmada: &kube::Config, name: &str) -> anyhow::Result<kube::Config> {
    if !valid_cluster_name(name) {
        bail!("cluster name {name:?} is not a valid DNS-1123 name");
    }
    let base = karmada.cluster_url.to_string();
    let url = format!(
        "{}/apis/cluster.karmada.io/v1alpha1/clusters/{name}/proxy",
        base.trim_end_matches('/')
    );
    let mut cfg = karmada.clone();
    cfg.cluster_url = url.parse().with_context(|| format!("proxy URL {url}"))?;
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KC: &str = r#"
apiVersion: v1
kind: Config
current-context: other
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:6443"}
users:
- name: u
  user: {token: t}
contexts:
- name: karmada-apiserver
  context: {cluster: c, user: u}
- name: karmada-host
  context: {cluster: c, user: u}
- name: other
  context: {cluster: c, user: u}
"#;

    #[test]
    fn karmada_contexts_are_the_default() {
        let k = Kubeconfig::from_yaml(KC).unwrap();
        let (chosen, missing) = choose(&k, &ConnectOptions::default()).unwrap();
        assert_eq!(chosen[0], (Scope::Karmada, "karmada-apiserver".to_string()));
        assert_eq!(chosen[1], (Scope::Host, "karmada-host".to_string()));
        assert!(missing.is_empty());
    }

    #[test]
    fn current_context_without_karmada_names() {
        let text = KC
            .replace("name: karmada-apiserver", "name: a")
            .replace("name: karmada-host", "name: b");
        let k = Kubeconfig::from_yaml(&text).unwrap();
        let (chosen, missing) = choose(&k, &ConnectOptions::default()).unwrap();
        assert_eq!(chosen, vec![(Scope::Karmada, "other".to_string())]);
        assert_eq!(missing[0].scope, Scope::Host);
    }

    #[test]
    fn unknown_context_is_an_error() {
        let k = Kubeconfig::from_yaml(KC).unwrap();
        let opts = ConnectOptions {
            members: vec![("m1".into(), "nope".into())],
            ..Default::default()
        };
        assert!(choose(&k, &opts).unwrap_err().to_string().contains("nope"));
    }

    #[test]
    fn members_from_kubeconfig_takes_every_other_context() {
        let text = KC.replace(
            "- name: other\n  context: {cluster: c, user: u}\n",
            "- name: other\n  context: {cluster: c, user: u}\n\
             - name: m1\n  context: {cluster: c, user: u}\n\
             - name: m2\n  context: {cluster: c, user: u}\n",
        );
        let k = Kubeconfig::from_yaml(&text).unwrap();
        assert_eq!(k.contexts.len(), 5);
        let opts = ConnectOptions {
            members: vec![("first".into(), "m2".into())],
            members_from_kubeconfig: true,
            ..Default::default()
        };
        let (chosen, _) = choose(&k, &opts).unwrap();
        let members: Vec<(String, String)> = chosen
            .iter()
            .filter_map(|(s, c)| match s {
                Scope::Member(n) => Some((n.to_string(), c.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            members,
            vec![
                ("first".to_string(), "m2".to_string()),
                ("other".to_string(), "other".to_string()),
                ("m1".to_string(), "m1".to_string()),
            ]
        );
    }

    #[test]
    fn proxy_url() {
        let cfg = kube::Config::new("https://10.0.0.1:5443".parse().unwrap());
        let m = via_proxy(&cfg, "member1").unwrap();
        assert_eq!(
            m.cluster_url.to_string(),
            "https://10.0.0.1:5443/apis/cluster.karmada.io/v1alpha1/clusters/member1/proxy"
        );
        assert!(via_proxy(&cfg, "../x").is_err());
    }
}
