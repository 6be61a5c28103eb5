//! A fixture install served through the loopback fake API server, one cluster per
//! folder: `karmada/` as context `karmada-apiserver`, `host/` as `karmada-host`, each
//! `members/NAME/` as context NAME (its `/version` is what the Cluster NAME in
//! karmada-apiserver reports, so the two agree).

use std::path::{Path, PathBuf};

use fakeapi::{load_objects_from_dir, BlockingServer, ClusterSpec, RunningServer, ServerConfig};
use serde_json::Value;

/// Fake-server cluster names of the scopes (members keep their folder names).
pub const KARMADA: &str = "karmada";
pub const HOST: &str = "host";

/// A running server, its kubeconfig (in a temp dir that lives as long as it), and the
/// member names.
pub struct Served {
    pub server: BlockingServer,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    pub members: Vec<String>,
}

pub fn member_names(tree: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(tree.join("members"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The Kubernetes version karmada-apiserver reports for member `name`
/// (`status.kubernetesVersion` of its Cluster).
fn reported_version(karmada: &[Value], name: &str) -> Option<String> {
    karmada
        .iter()
        .find(|o| o["kind"] == "Cluster" && o["metadata"]["name"] == name)
        .and_then(|o| o["status"]["kubernetesVersion"].as_str())
        .map(str::to_string)
}

fn load(p: &Path) -> Vec<Value> {
    if p.is_dir() {
        load_objects_from_dir(p).unwrap_or_else(|e| panic!("{}: {e:#}", p.display()))
    } else {
        Vec::new()
    }
}

/// The clusters of `tree` (karmada, host, then members in name order) and the member
/// names; the caller may change a spec (a bearer token, a fault) before serving.
pub fn specs(tree: &Path) -> (Vec<ClusterSpec>, Vec<String>) {
    let karmada_objects = load(&tree.join("karmada"));
    let members = member_names(tree);
    let mut clusters = Vec::new();
    for name in &members {
        let mut m = ClusterSpec::new(name.clone(), load(&tree.join("members").join(name)));
        if let Some(v) = reported_version(&karmada_objects, name) {
            m.git_version = v;
        }
        clusters.push(m);
    }
    let mut karmada = ClusterSpec::new(KARMADA, karmada_objects);
    karmada.context = "karmada-apiserver".into();
    let mut host = ClusterSpec::new(HOST, load(&tree.join("host")));
    host.context = "karmada-host".into();
    clusters.splice(0..0, [karmada, host]);
    (clusters, members)
}

/// Serve `tree` as it is.
pub fn serve(tree: &Path) -> Served {
    let (clusters, members) = specs(tree);
    serve_clusters(clusters, members)
}

pub fn serve_clusters(clusters: Vec<ClusterSpec>, members: Vec<String>) -> Served {
    let server = RunningServer::start_blocking(ServerConfig {
        clusters,
        ..Default::default()
    })
    .expect("fake apiserver");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    server.write_kubeconfig(&kubeconfig).unwrap();
    Served {
        server,
        dir,
        kubeconfig,
        members,
    }
}

impl Served {
    /// `--kubeconfig FILE --member NAME=NAME ...`
    pub fn live_flags(&self) -> Vec<String> {
        self.live_flags_with(&self.kubeconfig)
    }

    /// The member flags with another kubeconfig.
    pub fn live_flags_with(&self, kubeconfig: &Path) -> Vec<String> {
        let mut a = vec!["--kubeconfig".to_string(), kubeconfig.display().to_string()];
        for m in &self.members {
            a.push("--member".into());
            a.push(format!("{m}={m}"));
        }
        a
    }
}
