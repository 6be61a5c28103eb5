//! The one place where a name that came from a cluster or a file (a member, an API group,
//! a resource, an object) becomes part of a path the tool writes. Nothing from the
//! outside reaches a path without going through here.
//!
//! - [`component`] is strict: a DNS-1123 subdomain (what Kubernetes allows for these
//!   names), at most [`MAX_COMPONENT_BYTES`], never `.` or `..`; anything else is refused,
//!   so a bundle's folder and file names read back as the names they were.
//! - [`file_name`] is lenient, for fix files named after objects: any text becomes a
//!   safe single component (unsafe characters replaced, long names shortened with a hash
//!   so two long names never collide), so a hostile name never stops the writing.

use sha2::{Digest, Sha256};

/// Longest name component written: file systems allow 255 bytes, and a suffix
/// (`.merge-patch.json`) and a hash must still fit.
pub const MAX_COMPONENT_BYTES: usize = 200;

/// Why a name cannot be a path component.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {shown:?} cannot be a file or folder name: {why}")]
pub struct UnsafeName {
    pub what: &'static str,
    /// The name, shortened and with control characters escaped (it is untrusted).
    pub shown: String,
    pub why: &'static str,
}

/// `name` as a path component, if it is a DNS-1123 subdomain of at most
/// [`MAX_COMPONENT_BYTES`]: lowercase letters, digits, `-` and `.`, starting and ending
/// with a letter or digit (so never `.`, `..`, a separator or a hidden file).
/// `what` names the name in the error ("API group", "member").
pub fn component<'a>(what: &'static str, name: &'a str) -> Result<&'a str, UnsafeName> {
    let refuse = |why| UnsafeName {
        what,
        shown: name.chars().take(80).collect(),
        why,
    };
    if name.is_empty() {
        return Err(refuse("empty"));
    }
    if name.len() > MAX_COMPONENT_BYTES {
        return Err(refuse("longer than 200 bytes"));
    }
    let ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !name.bytes().all(|b| ok(b) || b == b'-' || b == b'.') {
        return Err(refuse("not a DNS-1123 name (only a-z, 0-9, '-' and '.')"));
    }
    let bytes = name.as_bytes();
    if !ok(bytes[0]) || !ok(bytes[bytes.len() - 1]) {
        return Err(refuse("must start and end with a letter or digit"));
    }
    Ok(name)
}

/// A single safe file name made of `stem` (any text) and `suffix` (the tool's own, e.g.
/// `merge-patch.json`): characters other than ASCII letters, digits, `-`, `_` and `.`
/// become `_`, a leading `.` becomes `_` (no hidden files, no `..`), and a stem longer
/// than [`MAX_COMPONENT_BYTES`] is cut and given a hash of the whole stem.
pub fn file_name(stem: &str, suffix: &str) -> String {
    let mut base: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if base.starts_with('.') || base.is_empty() {
        base.insert(0, '_');
    }
    if base.len() > MAX_COMPONENT_BYTES {
        let digest = Sha256::digest(stem.as_bytes());
        let hash: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        // Only ASCII is left, so any byte index is a character boundary.
        base.truncate(MAX_COMPONENT_BYTES - 13);
        base.push('-');
        base.push_str(&hash);
    }
    let suffix = file_name_suffix(suffix);
    format!("{base}.{suffix}")
}

/// The tool's suffixes are fixed strings; still, keep them to one component.
fn file_name_suffix(suffix: &str) -> String {
    suffix
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(40)
        .collect()
}

/// `name` if it is already one safe file name (as [`file_name`] makes them), else made
/// one, keeping a short extension: for names computed elsewhere, checked before writing.
pub fn confine(name: &str) -> String {
    let safe = !name.is_empty()
        && name.len() <= MAX_COMPONENT_BYTES + 41
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if safe {
        return name.to_string();
    }
    match name.rsplit_once('.') {
        Some((stem, ext)) if !ext.is_empty() && ext.len() <= 20 => file_name(stem, ext),
        _ => file_name(name, "txt"),
    }
}

/// Create `dir` (and its parents) unless its last component is a symbolic link: a link
/// planted where the tool writes would send its files elsewhere.
pub fn create_dir(dir: &std::path::Path) -> std::io::Result<()> {
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(std::io::Error::other(format!(
            "{} is a symbolic link; refusing to write through it",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)
}

/// Write `bytes` to `dir/name` as a new file: whatever was at that path before (a file
/// of an earlier run, or a symbolic link planted there) is removed first and the file is
/// created exclusively, so no link is ever followed. `private`: mode 0600 from the
/// start (it holds a key).
pub fn write_file(
    dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
    private: bool,
) -> std::io::Result<std::path::PathBuf> {
    use std::io::Write as _;
    let path = dir.join(confine(name));
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_dir() => {
            return Err(std::io::Error::other(format!(
                "{} is a folder",
                path.display()
            )))
        }
        Ok(_) => std::fs::remove_file(&path)?,
        Err(_) => {}
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = opts.open(&path)?;
    f.write_all(bytes)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_dns_names_and_nothing_else() {
        for good in [
            "member1",
            "apps",
            "cluster.karmada.io",
            "deployments.apps",
            "a",
        ] {
            assert_eq!(component("name", good), Ok(good));
        }
        for bad in [
            "",
            ".",
            "..",
            "x/../../tmp/PWNED",
            "../x",
            "a/b",
            "a\\b",
            "-a",
            "a.",
            "UPPER",
            "a\0b",
            "a\nb",
            "caf\u{e9}",
            &"a".repeat(201),
        ] {
            assert!(component("name", bad).is_err(), "{bad:?}");
        }
        let e = component("API group", "x/../../tmp/PWNED").unwrap_err();
        assert!(
            e.to_string().contains("API group \"x/../../tmp/PWNED\""),
            "{e}"
        );
    }

    #[test]
    fn file_names_are_one_safe_component_of_bounded_length() {
        assert_eq!(
            file_name("host.karmada-system.secret.x", "yaml"),
            "host.karmada-system.secret.x.yaml"
        );
        assert_eq!(
            file_name("../../etc/passwd", "yaml"),
            "_.._.._etc_passwd.yaml"
        );
        assert_eq!(file_name("..", "json"), "_...json");
        let long_a = file_name(&"a".repeat(250), "merge-patch.json");
        let long_b = file_name(&format!("{}b", "a".repeat(249)), "merge-patch.json");
        assert!(long_a.len() <= 255 && long_a != long_b, "{long_a}");
        assert!(!long_a.contains('/'));
        let weird = file_name("name\u{1b}[2J\u{7f}\u{e9}/x", "yaml");
        assert!(weird.bytes().all(|b| b.is_ascii_graphic()), "{weird}");
        assert_eq!(confine("PLAN.md"), "PLAN.md");
        assert_eq!(confine("../x.yaml"), "_.._x.yaml");
        assert_eq!(confine("a/b"), "a_b.txt");
    }

    #[cfg(unix)]
    #[test]
    fn writing_never_follows_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "keep").unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink(&target, out.join("front-proxy-ca.key")).unwrap();
        write_file(&out, "front-proxy-ca.key", b"new", true).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert_eq!(
            std::fs::read(out.join("front-proxy-ca.key")).unwrap(),
            b"new"
        );
        std::os::unix::fs::symlink(dir.path(), out.join("sub")).unwrap();
        assert!(create_dir(&out.join("sub")).is_err());
    }
}
