//! `karmada-preflight rbac`: the least-privilege, read-only ClusterRoles the live mode
//! needs, one per scope: get/list on exactly the resources the active rules read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use serde_json::{json, Value};

use super::EXIT_OK;
use crate::engine::load_catalog;
use crate::sources::live::plan::known;
use crate::text::to_yaml;

#[derive(Debug, Args)]
pub struct RbacArgs {
    /// Name prefix of the ClusterRoles.
    #[arg(long, default_value = "karmada-preflight-reader")]
    pub name: String,
    /// Also load rule files from DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules_dirs: Vec<PathBuf>,
    /// Only what these rules read (name or id; repeatable).
    #[arg(long = "rule", value_name = "RULE")]
    pub only: Vec<String>,
    /// Members are read through karmada-apiserver's cluster proxy (`check
    /// --members-via-proxy`): the karmada role also lists Clusters and gets
    /// `clusters/proxy`.
    #[arg(long)]
    pub members_via_proxy: bool,
}

/// What `--members-via-proxy` needs on karmada-apiserver beyond get/list: `get` on the
/// `clusters/proxy` subresource (every proxied GET is authorized as that verb; docs/live.md).
fn proxy_rule() -> Value {
    json!({"apiGroups": ["cluster.karmada.io"], "resources": ["clusters/proxy"], "verbs": ["get"]})
}

/// The ClusterRole for a set of kinds, plus kinds it cannot name a resource for.
pub fn cluster_role(name: &str, scope: &str, kinds: &BTreeSet<String>) -> (Value, Vec<String>) {
    let mut by_group: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut unknown = Vec::new();
    for k in kinds {
        match known(k) {
            Some(h) => {
                by_group.entry(h.group).or_default().insert(h.plural);
            }
            None => unknown.push(k.clone()),
        }
    }
    let mut rules: Vec<Value> = by_group
        .into_iter()
        .map(|(g, rs)| json!({"apiGroups": [g], "resources": rs.into_iter().collect::<Vec<_>>(), "verbs": ["get", "list"]}))
        .collect();
    // Discovery and /version; most clusters grant these to every authenticated user
    // (system:discovery), listed here so the role is complete on its own.
    rules.push(json!({"nonResourceURLs": ["/version", "/api", "/api/*", "/apis", "/apis/*"], "verbs": ["get"]}));
    let role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {
            "name": format!("{name}-{scope}"),
            "labels": {"app.kubernetes.io/name": "karmada-preflight"},
            "annotations": {"preflight.karmada.io/scope": scope},
        },
        "rules": rules,
    });
    (role, unknown)
}

pub fn run(args: RbacArgs) -> anyhow::Result<i32> {
    let catalog = load_catalog(&args.rules_dirs)?;
    let filter = crate::rules::RuleFilter::new(&args.only);
    if let Some(o) = filter.unknown(&catalog).first() {
        bail!("unknown rule {o:?} (see `karmada-preflight rules`)");
    }
    let mut plan = filter.live_plan(&catalog);
    if args.members_via_proxy {
        // Member names come from the Cluster list, as in `check`.
        plan.karmada.insert("Cluster".into());
    }
    let mut out = String::new();
    for (scope, kinds, context) in [
        (
            "karmada",
            &plan.karmada,
            "apply to karmada-apiserver (--karmada-context)",
        ),
        (
            "host",
            &plan.host,
            "apply to the host cluster (--host-context)",
        ),
        (
            "member",
            &plan.member,
            if args.members_via_proxy {
                "apply to each member cluster, bound to the karmada-apiserver user running \
                 the check (the cluster proxy impersonates it)"
            } else {
                "apply to each member cluster (--member NAME=CONTEXT)"
            },
        ),
    ] {
        if kinds.is_empty() {
            continue;
        }
        let (mut role, unknown) = cluster_role(&args.name, scope, kinds);
        out.push_str(&format!("---\n# {scope}: {context}\n"));
        if scope == "karmada" {
            if args.members_via_proxy {
                if let Some(rules) = role["rules"].as_array_mut() {
                    rules.push(proxy_rule());
                }
            } else {
                out.push_str(
                    "# with check --members-via-proxy: also list clusters.cluster.karmada.io and get \
                     clusters/proxy (rbac --members-via-proxy)\n",
                );
            }
        }
        if scope == "host" && !kinds.contains("Secret") {
            // etcd_args reads that one Secret at run time, outside the plan.
            out.push_str(
                "# with check --etcd-endpoints and no --etcd-cert/--etcd-key: also get the Secret \
                 karmada-apiserver mounts its etcd certificates from (get secrets in karmada-system)\n",
            );
        }
        for k in unknown {
            out.push_str(&format!(
                "# kind {k}: resource unknown without discovery; add it by hand\n"
            ));
        }
        out.push_str(&to_yaml(&role));
    }
    super::output::write_stdout(&out)?;
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_resources_and_reads_only() {
        let kinds: BTreeSet<String> = ["Deployment", "Secret", "StatefulSet", "Mystery"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (role, unknown) = cluster_role("r", "host", &kinds);
        assert_eq!(unknown, vec!["Mystery".to_string()]);
        assert_eq!(
            role["rules"][0],
            json!({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]})
        );
        assert_eq!(
            role["rules"][1]["resources"],
            json!(["deployments", "statefulsets"])
        );
        assert_eq!(role["metadata"]["name"], "r-host");
    }
}
