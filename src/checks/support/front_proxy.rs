//! Where karmada-apiserver reads its front-proxy material from. In v1.0 the three flags
//! point at `front-proxy-*` files; a v0.10 apiserver still points them at `karmada.crt`,
//! `karmada.key` and `server-ca.crt`, so before the upgrade the rules look for the *target*
//! file names in the same directory — the files the upgraded flags will read.

use crate::inventory::workload::{ContainerRef, TypeProblem};

/// One front-proxy file karmada-apiserver needs.
#[derive(Debug, Clone)]
pub struct FrontProxyFile {
    pub flag: &'static str,
    /// The file (and Secret key) name every installer uses.
    pub target: &'static str,
    /// The path the rules check: the flag's value, or the target name in its directory.
    pub path: String,
    /// The flag as written, if present.
    pub current: Option<String>,
    /// Pointer of the flag token (or of the flag list when missing).
    pub flag_pointer: String,
}

pub const CA: &str = "front-proxy-ca.crt";
pub const CLIENT_CERT: &str = "front-proxy-client.crt";
pub const CLIENT_KEY: &str = "front-proxy-client.key";

const FLAGS: [(&str, &str); 3] = [
    ("--requestheader-client-ca-file", CA),
    ("--proxy-client-cert-file", CLIENT_CERT),
    ("--proxy-client-key-file", CLIENT_KEY),
];

/// File names v0.10 used for these flags: reused for other purposes, so never the target.
const V0_10_NAMES: [&str; 3] = ["karmada.crt", "karmada.key", "server-ca.crt"];

fn dir_of(path: &str) -> Option<&str> {
    path.rsplit_once('/')
        .map(|(d, _)| d)
        .filter(|d| !d.is_empty())
}

/// The three files in order CA, client cert, client key; an unreadable command line is
/// the unknown outcome to report, pointing at the offending field.
pub fn front_proxy_files(
    c: &ContainerRef<'_>,
) -> Result<Vec<FrontProxyFile>, Box<crate::checks::Outcome>> {
    let flags = c.flags().map_err(|tp: TypeProblem| {
        Box::new(
            crate::checks::Outcome::unknown(format!(
                "cannot read the karmada-apiserver command line: {}",
                tp.message
            ))
            .at(c.object, &tp.pointer),
        )
    })?;
    let last = |n: &str| flags.iter().rev().find(|f| f.name == n);
    let cert_dir = last("--tls-cert-file")
        .and_then(|f| f.value.as_deref())
        .and_then(dir_of)
        .unwrap_or("/etc/kubernetes/pki")
        .to_string();
    Ok(FLAGS
        .iter()
        .map(|(flag, target)| {
            let found = last(flag);
            let current = found
                .and_then(|f| f.value.clone())
                .filter(|v| !v.is_empty());
            let path = match &current {
                Some(v) => {
                    let base = v.rsplit('/').next().unwrap_or(v);
                    if V0_10_NAMES.contains(&base) {
                        format!("{}/{target}", dir_of(v).unwrap_or(&cert_dir))
                    } else {
                        v.clone()
                    }
                }
                None => format!("{cert_dir}/{target}"),
            };
            FrontProxyFile {
                flag,
                target,
                path,
                current,
                flag_pointer: found
                    .map(|f| f.pointer.clone())
                    .unwrap_or_else(|| c.flag_list_pointer()),
            }
        })
        .collect())
}

/// What the front-proxy rules read: karmada-apiserver workloads and host Secrets.
pub fn reads() -> Vec<crate::checks::Read> {
    use crate::checks::{read, ReadScope};
    ["Deployment", "StatefulSet", "DaemonSet", "Pod", "Secret"]
        .into_iter()
        .map(|k| read(k, ReadScope::Host))
        .collect()
}

/// Run `check` on every karmada-apiserver container; unknown (saying which `material`
/// could not be found) when the input has none.
pub fn each_apiserver<'a>(
    inv: &'a crate::inventory::Inventory,
    material: &str,
    check: impl Fn(&ContainerRef<'a>) -> crate::checks::Outcome,
) -> Vec<crate::checks::Outcome> {
    let cs = super::apiserver::karmada_apiservers(inv);
    if cs.is_empty() {
        return vec![crate::checks::Outcome::unknown(format!(
            "no karmada-apiserver workload in the input, so its {material} cannot be found"
        ))];
    }
    cs.iter().map(check).collect()
}
