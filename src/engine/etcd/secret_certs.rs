//! karmada-apiserver's etcd certificate files, read from the Secret its container mounts
//! them from (volumeMounts -> volume -> Secret key, never a fixed Secret name).
//!
//! Live, that Secret is fetched once more from the host cluster: the collector redacts
//! every private key it lists, so the inventory never holds the key, and this read keeps
//! it in memory only. Offline, the Secret in the input is used: a `collect` bundle keeps
//! certificates but never private keys, so the key must then be given as a file, and the
//! error says which Secret key that is and how to extract it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::checks::support::secret::{find_secret, read_key, KeyValue};
use crate::inventory::workload::{ContainerRef, SecretFile};
use crate::inventory::{Inventory, Origin};
use crate::sources::etcd::Pem;
use crate::sources::live::redact::MARKER;
use crate::sources::live::secret::read_host_secret;
use crate::sources::live::LiveOptions;

/// One of `--etcd-cacert`, `--etcd-cert`, `--etcd-key` still to be read.
pub enum Want {
    /// A file on this machine (given, or the apiserver's path when it exists here).
    File(PathBuf),
    /// A path inside karmada-apiserver's container, from its `api_flag`; `flag` is how
    /// the user gives the file instead.
    InPod {
        path: String,
        api_flag: &'static str,
        flag: &'static str,
    },
}

/// A path in the container traced to its Secret key.
struct Traced<'w> {
    path: &'w str,
    api_flag: &'static str,
    flag: &'static str,
    namespace: String,
    file: SecretFile,
}

impl Traced<'_> {
    fn secret(&self) -> String {
        format!("Secret {}/{}", self.namespace, self.file.secret_name)
    }

    /// The start of every error about it: which flag, which path, which Secret key.
    fn named(&self) -> String {
        format!(
            "karmada-apiserver's {} is {} (key {} of {}), not a file on this machine",
            self.api_flag,
            self.path,
            self.file.key,
            self.secret()
        )
    }

    /// How to give the file instead, with the command that extracts it.
    fn give_instead(&self) -> String {
        format!(
            "give {} FILE (kubectl -n {} get secret {} -o jsonpath='{{.data.{}}}' | base64 -d > FILE)",
            self.flag,
            self.namespace,
            self.file.secret_name,
            self.file.key.replace('.', "\\.")
        )
    }
}

/// The PEM material for each wanted slot (CA, certificate, key), and a note for the
/// report saying which Secret keys were read. Errors name the flag, path, Secret and key,
/// and what to give instead; never a value.
pub fn resolve(
    container: Option<&ContainerRef<'_>>,
    inv: &Inventory,
    live: Option<&LiveOptions>,
    wanted: [Option<Want>; 3],
) -> Result<([Option<Pem>; 3], Option<String>), String> {
    let mut traced: Vec<(usize, Traced<'_>)> = Vec::new();
    let mut out: [Option<Pem>; 3] = [None, None, None];
    for (slot, want) in wanted.iter().enumerate() {
        match want {
            None => {}
            Some(Want::File(p)) => out[slot] = Some(Pem::File(p.clone())),
            Some(Want::InPod {
                path,
                api_flag,
                flag,
            }) => {
                let file = container.and_then(|c| c.secret_for_path(path));
                let (Some(c), Some(file)) = (container, file) else {
                    return Err(format!(
                        "karmada-apiserver's {api_flag} is {path}, which is not a file on this machine nor \
                         mounted from a Secret: extract it and give {flag} FILE"
                    ));
                };
                traced.push((
                    slot,
                    Traced {
                        path,
                        api_flag,
                        flag,
                        namespace: c.object.namespace().unwrap_or("default").to_string(),
                        file,
                    },
                ));
            }
        }
    }
    let Some(c) = container.filter(|_| !traced.is_empty()) else {
        return Ok((out, None));
    };
    let from_live = matches!(c.object.origin, Origin::Live { .. });
    let mut read_from: BTreeMap<String, Vec<String>> = BTreeMap::new();
    match live.filter(|_| from_live) {
        Some(opts) => {
            // One GET per Secret, asking for every key it is wanted for.
            let mut by_secret: BTreeMap<String, Vec<&Traced<'_>>> = BTreeMap::new();
            for (_, t) in &traced {
                by_secret
                    .entry(t.file.secret_name.clone())
                    .or_default()
                    .push(t);
            }
            let mut got = BTreeMap::new();
            for (name, ts) in by_secret {
                let keys: Vec<&str> = ts.iter().map(|t| t.file.key.as_str()).collect();
                let secret =
                    read_host_secret(opts, &ts[0].namespace, &name, &keys).map_err(|e| {
                        format!(
                            "{}, and the Secret could not be read: {e}; {}",
                            ts[0].named(),
                            ts[0].give_instead()
                        )
                    })?;
                got.insert(name, secret);
            }
            for (slot, t) in &traced {
                let secret = &got[&t.file.secret_name];
                let Some(bytes) = secret.keys.get(&t.file.key) else {
                    return Err(format!(
                        "{}, and {} has no such key or it is empty; {}",
                        t.named(),
                        secret.described,
                        t.give_instead()
                    ));
                };
                read_from
                    .entry(secret.described.clone())
                    .or_default()
                    .push(t.file.key.clone());
                out[*slot] = Some(Pem::Secret {
                    origin: format!("key {} of {}", t.file.key, secret.described),
                    bytes: bytes.clone(),
                });
            }
        }
        None => {
            for (slot, t) in &traced {
                let Some(obj) = find_secret(inv, c.object, &t.file.secret_name) else {
                    return Err(format!(
                        "{}, and the input has no {}; {}",
                        t.named(),
                        t.secret(),
                        t.give_instead()
                    ));
                };
                let (value, pointer) = read_key(obj, &t.file.key);
                let redacted = obj
                    .at(&pointer)
                    .and_then(|v| v.as_str())
                    .is_some_and(|s| s.starts_with(MARKER));
                let whence = match &obj.origin {
                    Origin::File { file, .. } => file.to_string(),
                    Origin::Live { cluster } => format!("cluster {cluster}"),
                };
                let why = match value {
                    KeyValue::Present(bytes) => {
                        read_from
                            .entry(t.secret())
                            .or_default()
                            .push(t.file.key.clone());
                        out[*slot] = Some(Pem::Secret {
                            origin: format!("key {} of {}", t.file.key, t.secret()),
                            bytes,
                        });
                        continue;
                    }
                    _ if redacted => format!(
                        "redacted in {whence}: a `collect` bundle never holds private keys, so it cannot \
                         come from the bundle"
                    ),
                    KeyValue::Placeholder => format!("an unrendered template placeholder in {whence}"),
                    KeyValue::Missing => format!("not in {whence}"),
                    KeyValue::Empty => format!("empty in {whence}"),
                    KeyValue::Unreadable(m) => format!("unreadable in {whence}: {m}"),
                };
                return Err(format!(
                    "{}; the key is {why}; {}",
                    t.named(),
                    t.give_instead()
                ));
            }
        }
    }
    let note = read_from
        .iter()
        .map(|(secret, keys)| format!("{} of {secret}", keys.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    Ok((
        out,
        Some(format!(
            "certificates read (into memory only) from keys {note}"
        )),
    ))
}
