//! A generated, seeded fleet for scale tests: a Karmada control plane registering N
//! member clusters, plus M filler objects sprinkled over every cluster.

use base64::Engine;
use serde_json::{json, Value};

use crate::config::ClusterSpec;

/// SplitMix64: tiny, seedable, and stable across platforms and crate versions, which a
/// "same seed = same fleet" promise needs more than statistical quality.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const MEMBER_VERSIONS: &[&str] = &["v1.19.16", "v1.20.15", "v1.21.14", "v1.22.17"];
const FILLER_NAMESPACES: &[&str] = &["default", "apps", "payments", "web", "batch"];
const FILLER_KINDS: &[&str] = &[
    "ConfigMap",
    "Deployment",
    "Service",
    "Secret",
    "ServiceAccount",
];
const CONTROL_PLANE: &[&str] = &[
    "karmada-apiserver",
    "karmada-controller-manager",
    "karmada-scheduler",
    "karmada-webhook",
    "kube-controller-manager",
];

pub fn member_name(i: usize) -> String {
    format!("member-{:04}", i + 1)
}

/// Clusters `karmada` (context `karmada-apiserver`, holding one `Cluster` per member),
/// `host` (context `karmada-host`, running the control plane) and `member-0001`...
/// Filler objects go to a random cluster each; propagation policies only to karmada.
pub fn generate_fleet(members: usize, objects: usize, seed: u64) -> Vec<ClusterSpec> {
    let mut rng = Rng(seed);

    let mut karmada = ClusterSpec::new("karmada", Vec::new());
    karmada.context = "karmada-apiserver".into();
    karmada.git_version = "v1.21.7".into();
    karmada.objects.push(namespace("karmada-system"));
    karmada.objects.push(namespace("karmada-cluster"));

    let mut host = ClusterSpec::new("host", Vec::new());
    host.context = "karmada-host".into();
    host.git_version = "v1.21.3".into();
    host.objects.push(namespace("karmada-system"));
    for name in CONTROL_PLANE {
        let image = format!("swr.ap-southeast-1.myhuaweicloud.com/karmada/{name}:v0.10.1");
        host.objects
            .push(deployment("karmada-system", name, &image, 1));
    }

    let mut specs = vec![karmada, host];
    for i in 0..members {
        let name = member_name(i);
        let mut m = ClusterSpec::new(name.clone(), Vec::new());
        m.git_version = rng.pick(MEMBER_VERSIONS).to_string();
        specs[0]
            .objects
            .push(cluster_object(&name, &m.git_version, &mut rng));
        specs.push(m);
    }

    for i in 0..objects {
        let target = rng.below(specs.len());
        let ns = rng.pick(FILLER_NAMESPACES);
        let name = format!("filler-{i:05}");
        let obj = if target == 0 && rng.below(4) == 0 {
            propagation_policy(ns, &name)
        } else {
            match rng.pick(FILLER_KINDS) {
                "ConfigMap" => json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": name, "namespace": ns, "labels": {"app": name, "fleet.fakeapi/filler": "true"}},
                    "data": {"seed": rng.next().to_string()}}),
                "Deployment" => {
                    let replicas = 1 + rng.below(3);
                    let mut d = deployment(ns, &name, "nginx:1.21", replicas);
                    d["metadata"]["labels"]["fleet.fakeapi/filler"] = json!("true");
                    d
                }
                "Service" => json!({"apiVersion": "v1", "kind": "Service",
                    "metadata": {"name": name, "namespace": ns, "labels": {"app": name, "fleet.fakeapi/filler": "true"}},
                    "spec": {"type": "ClusterIP", "selector": {"app": name},
                             "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}}),
                "Secret" => {
                    let data = base64::engine::general_purpose::STANDARD
                        .encode(format!("token-{}", rng.next()));
                    json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                        "metadata": {"name": name, "namespace": ns, "labels": {"fleet.fakeapi/filler": "true"}},
                        "data": {"token": data}})
                }
                _ => json!({"apiVersion": "v1", "kind": "ServiceAccount",
                    "metadata": {"name": name, "namespace": ns, "labels": {"fleet.fakeapi/filler": "true"}}}),
            }
        };
        specs[target].objects.push(obj);
    }
    specs
}

fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

fn deployment(ns: &str, name: &str, image: &str, replicas: usize) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": image}]}
            }
        },
        "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas}
    })
}

fn cluster_object(name: &str, git_version: &str, rng: &mut Rng) -> Value {
    let ready = rng.below(10) != 0;
    json!({
        "apiVersion": "cluster.karmada.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": name},
        "spec": {
            "syncMode": if rng.below(3) == 0 { "Pull" } else { "Push" },
            "apiEndpoint": format!("https://{name}.fleet.invalid:6443"),
            "secretRef": {"namespace": "karmada-cluster", "name": name},
        },
        "status": {
            "kubernetesVersion": git_version,
            "conditions": [{
                "type": "Ready",
                "status": if ready { "True" } else { "False" },
                "reason": if ready { "ClusterReady" } else { "ClusterNotReachable" },
                "message": if ready { "cluster is healthy and ready to accept workloads" } else { "cluster is not reachable" },
                "lastTransitionTime": "2022-01-01T00:00:00Z",
            }],
        },
    })
}

fn propagation_policy(ns: &str, name: &str) -> Value {
    json!({
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name}],
            "placement": {"clusterAffinity": {"clusterNames": [member_name(0)]}},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape() {
        let fleet = generate_fleet(3, 50, 7);
        assert_eq!(fleet.len(), 5);
        assert_eq!(fleet[0].context, "karmada-apiserver");
        assert_eq!(fleet[1].context, "karmada-host");
        assert_eq!(fleet[4].name, "member-0003");
        let clusters = fleet[0]
            .objects
            .iter()
            .filter(|o| o["kind"] == "Cluster")
            .count();
        assert_eq!(clusters, 3);
        let fillers: usize = fleet
            .iter()
            .flat_map(|c| &c.objects)
            .filter(|o| {
                o["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("filler-"))
            })
            .count();
        assert_eq!(fillers, 50);
    }
}
