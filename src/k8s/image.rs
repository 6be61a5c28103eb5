//! Container image references (`registry/repo/name:tag@digest`), following the grammar of
//! `github.com/distribution/reference`, which is what the kubelet and containerd apply.

use std::fmt;

use super::version::KubeVersion;

const MAX_ECHOED_INPUT: usize = 96;

/// A parsed image reference. Fields are private so a value always satisfies the grammar and
/// `Display` always yields a parseable string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    registry: Option<String>,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid image reference {input:?}: {reason}")]
pub struct ImageError {
    input: String,
    reason: String,
}

impl ImageError {
    fn new(input: &str, reason: impl Into<String>) -> Self {
        let input = match input.char_indices().nth(MAX_ECHOED_INPUT) {
            Some((idx, _)) => format!("{}…", &input[..idx]),
            None => input.to_string(),
        };
        ImageError {
            input,
            reason: reason.into(),
        }
    }

    pub fn input(&self) -> &str {
        &self.input
    }

    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// Docker's rule: the first path component is a registry only if it could not be a Docker
/// Hub namespace, i.e. it has a `.` or `:` or is `localhost` (or has uppercase, which
/// repository names may not). `karmada/foo` is Docker Hub; `k8s.gcr.io/foo` is not.
fn looks_like_registry(component: &str) -> bool {
    component.contains(['.', ':'])
        || component == "localhost"
        || component.chars().any(|c| c.is_ascii_uppercase())
}

fn validate_registry(registry: &str) -> Result<(), String> {
    let (host, port) = if let Some(rest) = registry.strip_prefix('[') {
        // Bracketed IPv6 literal, e.g. `[::1]:5000`.
        let (addr, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("registry {registry:?} has an unterminated '['"))?;
        if addr.is_empty() || !addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return Err(format!("registry {registry:?} is not a valid IPv6 literal"));
        }
        match after {
            "" => return Ok(()),
            p => (
                None,
                Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| format!("unexpected {p:?} after IPv6 registry address"))?,
                ),
            ),
        }
    } else {
        match registry.split_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(registry), None),
        }
    };
    if let Some(host) = host {
        let labels_ok = !host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if !labels_ok {
            return Err(format!("registry host {host:?} is not a valid hostname"));
        }
    }
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.len() <= 5
            && port.chars().all(|c| c.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| p <= 65535);
        if !valid {
            return Err(format!(
                "registry port {port:?} is not a number in 0..=65535"
            ));
        }
    }
    Ok(())
}

/// A path component: lowercase alphanumeric runs joined by `.`, `_`, `__` or any run of `-`.
fn valid_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let is_alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !is_alnum(bytes[0]) || !is_alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if is_alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !is_alnum(bytes[i]) {
            i += 1;
        }
        let sep = &component[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn validate_tag(tag: &str) -> Result<(), String> {
    let mut chars = tag.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if first_ok && rest_ok && tag.len() <= 128 {
        Ok(())
    } else {
        Err(format!(
            "tag {:?} must be 1-128 characters of [A-Za-z0-9_.-] not starting with '.' or '-'",
            truncate(tag)
        ))
    }
}

fn validate_digest(digest: &str) -> Result<(), String> {
    let (algorithm, encoded) = digest
        .split_once(':')
        .ok_or_else(|| format!("digest {:?} must look like sha256:<hex>", truncate(digest)))?;
    let algorithm_ok = !algorithm.is_empty()
        && algorithm.split(['+', '.', '_', '-']).all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if !algorithm_ok {
        return Err(format!(
            "digest algorithm {:?} is invalid",
            truncate(algorithm)
        ));
    }
    let expected_hex_len = match algorithm {
        "sha256" => Some(64),
        "sha384" => Some(96),
        "sha512" => Some(128),
        _ => None,
    };
    let encoded_ok = match expected_hex_len {
        Some(n) => {
            encoded.len() == n
                && encoded
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, 'a'..='f'))
        }
        None => {
            encoded.len() >= 32
                && encoded
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '=' | '_' | '-'))
        }
    };
    if !encoded_ok {
        return Err(format!(
            "digest value for {algorithm} has the wrong length or characters"
        ));
    }
    Ok(())
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(MAX_ECHOED_INPUT) {
        Some((idx, _)) => format!("{}…", &s[..idx]),
        None => s.to_string(),
    }
}

impl ImageRef {
    /// Parses `nginx`, `karmada/karmada-controller-manager:v1.0.0`,
    /// `k8s.gcr.io/kube-apiserver:v1.21.7`, `localhost:5000/karmada/foo:v1@sha256:…`.
    ///
    /// `host:port/name` vs `name:tag`: a `:` is a tag separator only when it comes after the
    /// last `/`, so `localhost:5000/foo` has no tag while `foo:5000` has tag `5000`.
    pub fn parse(s: &str) -> Result<ImageRef, ImageError> {
        Self::parse_inner(s.trim()).map_err(|reason| ImageError::new(s, reason))
    }

    fn parse_inner(s: &str) -> Result<ImageRef, String> {
        if s.is_empty() {
            return Err("empty value".into());
        }
        if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("contains whitespace or control character {c:?}"));
        }
        let (name_and_tag, digest) = match s.split_once('@') {
            Some((n, d)) => {
                validate_digest(d)?;
                (n, Some(d.to_string()))
            }
            None => (s, None),
        };
        let after_last_slash = name_and_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_and_tag[after_last_slash..].rfind(':') {
            Some(i) => {
                let colon = after_last_slash + i;
                let tag = &name_and_tag[colon + 1..];
                validate_tag(tag)?;
                (&name_and_tag[..colon], Some(tag.to_string()))
            }
            None => (name_and_tag, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest)) if looks_like_registry(first) => {
                validate_registry(first)?;
                (Some(first.to_string()), rest)
            }
            _ => (None, name),
        };
        if repository.is_empty() {
            return Err("missing repository name".into());
        }
        if let Some(bad) = repository.split('/').find(|c| !valid_path_component(c)) {
            return Err(format!(
                "repository component {:?} must be lowercase [a-z0-9] separated by '.', '_', '__' or '-'",
                truncate(bad)
            ));
        }
        Ok(ImageRef {
            registry,
            repository: repository.to_string(),
            tag,
            digest,
        })
    }

    /// The registry host as written (`k8s.gcr.io`, `localhost:5000`); `None` means Docker Hub.
    pub fn registry(&self) -> Option<&str> {
        self.registry.as_deref()
    }

    /// The registry the runtime will actually contact.
    pub fn registry_or_default(&self) -> &str {
        self.registry.as_deref().unwrap_or("docker.io")
    }

    /// Path inside the registry, e.g. `karmada/karmada-aggregated-apiserver`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// Last path segment, e.g. `karmada-aggregated-apiserver`; what rules match components by.
    pub fn name(&self) -> &str {
        self.repository
            .rsplit('/')
            .next()
            .unwrap_or(self.repository.as_str())
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// `algorithm:hex`, without the `@`.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The tag read as a version (`v1.21.7`, `1.21.7`, `v1.0.0`); `None` for `latest`, other
    /// non-version tags, or a digest-only reference. With both tag and digest the runtime
    /// pulls by digest, but the tag is still the best statement of intent, so it is used.
    pub fn version_tag(&self) -> Option<KubeVersion> {
        KubeVersion::parse(self.tag.as_deref()?).ok()
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(r) = &self.registry {
            write!(f, "{r}/")?;
        }
        f.write_str(&self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for ImageRef {
    type Err = ImageError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImageRef::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn parts(
        s: &str,
    ) -> (
        Option<String>,
        String,
        String,
        Option<String>,
        Option<String>,
    ) {
        let r = ImageRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        (
            r.registry().map(String::from),
            r.repository().to_string(),
            r.name().to_string(),
            r.tag().map(String::from),
            r.digest().map(String::from),
        )
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn parses_common_references() {
        assert_eq!(
            parts("k8s.gcr.io/kube-apiserver:v1.21.7"),
            (
                some("k8s.gcr.io"),
                "kube-apiserver".into(),
                "kube-apiserver".into(),
                some("v1.21.7"),
                None
            )
        );
        assert_eq!(
            parts(
                "swr.ap-southeast-1.myhuaweicloud.com/karmada/karmada-aggregated-apiserver:v1.0.0"
            ),
            (
                some("swr.ap-southeast-1.myhuaweicloud.com"),
                "karmada/karmada-aggregated-apiserver".into(),
                "karmada-aggregated-apiserver".into(),
                some("v1.0.0"),
                None
            )
        );
        assert_eq!(
            parts("karmada/karmada-controller-manager:latest"),
            (
                None,
                "karmada/karmada-controller-manager".into(),
                "karmada-controller-manager".into(),
                some("latest"),
                None
            )
        );
        assert_eq!(
            parts("nginx"),
            (None, "nginx".into(), "nginx".into(), None, None)
        );
        assert_eq!(
            parts(&format!("registry.k8s.io/etcd:3.5.9-0@{DIGEST}")),
            (
                some("registry.k8s.io"),
                "etcd".into(),
                "etcd".into(),
                some("3.5.9-0"),
                some(DIGEST)
            )
        );
        assert_eq!(
            parts(&format!("quay.io/karmada/foo@{DIGEST}")),
            (
                some("quay.io"),
                "karmada/foo".into(),
                "foo".into(),
                None,
                some(DIGEST)
            )
        );
    }

    #[test]
    fn port_vs_tag_ambiguity() {
        assert_eq!(
            parts("localhost:5000/karmada/karmada-webhook:v1.0.0"),
            (
                some("localhost:5000"),
                "karmada/karmada-webhook".into(),
                "karmada-webhook".into(),
                some("v1.0.0"),
                None
            )
        );
        assert_eq!(
            parts("localhost:5000/karmada-webhook"),
            (
                some("localhost:5000"),
                "karmada-webhook".into(),
                "karmada-webhook".into(),
                None,
                None
            )
        );
        // No slash: the colon can only be a tag.
        assert_eq!(
            parts("localhost:5000"),
            (
                None,
                "localhost".into(),
                "localhost".into(),
                some("5000"),
                None
            )
        );
        assert_eq!(
            parts("localhost/karmada-webhook:v1"),
            (
                some("localhost"),
                "karmada-webhook".into(),
                "karmada-webhook".into(),
                some("v1"),
                None
            )
        );
        assert_eq!(
            parts("[::1]:5000/foo:v1.2.3"),
            (
                some("[::1]:5000"),
                "foo".into(),
                "foo".into(),
                some("v1.2.3"),
                None
            )
        );
        assert_eq!(parts("10.0.0.1:5000/a/b").0, some("10.0.0.1:5000"));
    }

    #[test]
    fn version_tag() {
        let tag = |s: &str| ImageRef::parse(s).unwrap().version_tag();
        assert_eq!(
            tag("k8s.gcr.io/kube-apiserver:v1.21.7"),
            Some(KubeVersion::new(1, 21, Some(7)))
        );
        assert_eq!(
            tag("registry.k8s.io/kube-apiserver:1.21.7"),
            Some(KubeVersion::new(1, 21, Some(7)))
        );
        assert_eq!(
            tag("karmada/karmada-scheduler:v1.0.0"),
            Some(KubeVersion::new(1, 0, Some(0)))
        );
        assert_eq!(tag("karmada/karmada-scheduler:latest"), None);
        assert_eq!(tag(&format!("karmada/karmada-scheduler@{DIGEST}")), None);
        assert_eq!(tag("nginx"), None);
    }

    #[test]
    fn rejects_invalid_references() {
        let bad = [
            "",
            "   ",
            "karmada/Foo:v1",
            "foo:",
            "foo:.bad",
            "foo@sha256:abc",
            "foo@sha256:XYZ",
            "localhost:99999/foo",
            "localhost:port/foo",
            "registry.example.com/",
            "registry.example.com//foo",
            "foo bar",
            "foo/-bar",
            "foo/bar..baz",
            "[::1/foo",
            "a.b/c:v1@",
        ];
        for input in bad {
            assert!(
                ImageRef::parse(input).is_err(),
                "{input:?} should be rejected"
            );
        }
        let err = ImageRef::parse("karmada/Foo:v1").unwrap_err().to_string();
        assert!(err.contains("lowercase"), "{err}");
    }

    #[test]
    fn display_roundtrips_examples() {
        for s in [
            "nginx",
            "localhost:5000/karmada/karmada-webhook:v1.0.0",
            "k8s.gcr.io/kube-apiserver:v1.21.7",
        ] {
            assert_eq!(ImageRef::parse(s).unwrap().to_string(), s);
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            if let Ok(r) = ImageRef::parse(&s) {
                let _ = r.version_tag();
                let _ = r.name();
            }
        }

        #[test]
        fn parse_never_panics_on_reference_like(s in "[a-zA-Z0-9.:/@_\\[\\]-]{0,40}") {
            if let Ok(r) = ImageRef::parse(&s) {
                // Whatever was accepted must print back to something that parses the same.
                prop_assert_eq!(ImageRef::parse(&r.to_string()).unwrap(), r);
            }
        }

        #[test]
        fn generated_references_roundtrip(
            registry in proptest::option::of("[a-z]([a-z0-9-]{0,6}[a-z0-9])?\\.[a-z]{2,4}(:[1-9][0-9]{0,3})?"),
            // A first component with '.' would legitimately be read as a registry, so only
            // later components get dots.
            path in "[a-z0-9]{1,6}((_|__|-+)[a-z0-9]{1,4}){0,2}(/[a-z0-9]{1,6}((\\.|_|__|-+)[a-z0-9]{1,4}){0,2}){0,2}",
            tag in proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}"),
        ) {
            let mut s = String::new();
            if let Some(r) = &registry { s.push_str(r); s.push('/'); }
            s.push_str(&path);
            if let Some(t) = &tag { s.push(':'); s.push_str(t); }
            let parsed = ImageRef::parse(&s).unwrap();
            prop_assert_eq!(parsed.registry(), registry.as_deref());
            prop_assert_eq!(parsed.repository(), path.as_str());
            prop_assert_eq!(parsed.tag(), tag.as_deref());
            prop_assert_eq!(parsed.to_string(), s);
        }
    }
}
