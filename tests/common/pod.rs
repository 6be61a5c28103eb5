//! A pod's view of the fixture install `live-mcs` served by the loopback fake API
//! server: the host cluster accepts only the service account's bearer token (over TLS,
//! with the server's CA as the pod's `ca.crt`), and karmada-apiserver and the members are
//! in a kubeconfig the pod mounts (as deploy/cronjob.yaml does).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::served::{serve_clusters, specs, Served, HOST, KARMADA};
use super::Run;

/// The pod's service-account token (the fake host accepts exactly this one).
pub const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.preflight-sa-token.c2lnbmF0dXJl";

/// The MCS install of issue 14 with its host cluster behind [`TOKEN`].
pub fn serve_with_token_host() -> Served {
    serve_with_token_on(HOST)
}

/// The MCS install of issue 14 with `cluster` ([`HOST`] or [`KARMADA`]) behind [`TOKEN`].
pub fn serve_with_token_on(cluster: &str) -> Served {
    let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/live-mcs");
    let (mut clusters, members) = specs(&tree);
    for c in &mut clusters {
        if c.name == cluster {
            c.bearer_token = Some(TOKEN.to_string());
        }
    }
    serve_clusters(clusters, members)
}

/// What the kubelet mounts and sets: the service-account files (`token` as given) and
/// the two variables pointing at the host's API server. The directory is named by
/// `KARMADA_PREFLIGHT_SERVICE_ACCOUNT_DIR`; in a pod it is the standard path.
pub struct Pod {
    pub sa_dir: tempfile::TempDir,
    pub host: String,
    pub port: String,
}

impl Pod {
    /// A pod in the host cluster.
    pub fn new(served: &Served, token: &str) -> Pod {
        Pod::in_cluster(served, HOST, token)
    }

    /// A pod whose own API server is `cluster` of the fake server.
    pub fn in_cluster(served: &Served, cluster: &str, token: &str) -> Pod {
        let sa_dir = tempfile::tempdir().unwrap();
        std::fs::write(sa_dir.path().join("token"), token).unwrap();
        std::fs::write(sa_dir.path().join("ca.crt"), served.server.ca_pem()).unwrap();
        std::fs::write(sa_dir.path().join("namespace"), "karmada-preflight").unwrap();
        let addr = served.server.endpoint(cluster).expect("cluster endpoint");
        Pod {
            sa_dir,
            host: addr.ip().to_string(),
            port: addr.port().to_string(),
        }
    }

    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Run {
        let env: [(&str, &OsStr); 3] = [
            ("KUBERNETES_SERVICE_HOST", OsStr::new(&self.host)),
            ("KUBERNETES_SERVICE_PORT", OsStr::new(&self.port)),
            (
                "KARMADA_PREFLIGHT_SERVICE_ACCOUNT_DIR",
                self.sa_dir.path().as_os_str(),
            ),
        ];
        super::run_bounded_env(args, &env, Duration::from_secs(90))
    }
}

/// The CronJob's kubeconfig: karmada-apiserver and the members, never the host (the pod
/// reaches that with its service account).
pub fn mounted_kubeconfig(served: &Served) -> PathBuf {
    let mut names = vec![KARMADA];
    names.extend(served.members.iter().map(String::as_str));
    let path = served.dir.path().join("karmada.kubeconfig");
    std::fs::write(&path, served.server.kubeconfig_yaml_only(&names)).unwrap();
    path
}
