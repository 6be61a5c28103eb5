//! Kubernetes and Karmada version numbers as they appear in the wild.
//!
//! Deliberately not `semver`: vendors append build metadata with `-` (`v1.20.4-eks-6b7464`,
//! `v1.22.3-gke.1500`), which semver reads as a pre-release that sorts *below* `v1.20.4`, so a
//! check like "cluster is at least 1.20.4" would wrongly fail on EKS. Rules only ever reason
//! about major/minor/patch, so anything after the numbers is kept as an opaque suffix.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Longest slice of the offending input we echo back in an error, so a multi-megabyte
/// garbage value cannot blow up a report.
const MAX_ECHOED_INPUT: usize = 64;

/// Upper bound on hops we are willing to list; a tag like `v1.4000000000` is garbage, not a
/// plan, and listing it would allocate gigabytes.
const MAX_HOPS: u32 = 1000;

/// A Kubernetes version such as `v1.21.2`.
///
/// Equality, ordering and hashing treat a missing patch as `0`, so `v1.21` == `v1.21.0`: the
/// patch is absent only when the source did not say (discovery's `minor: "21+"`), and rules
/// compare against thresholds, where "unknown patch" must behave like the lowest patch.
#[derive(Debug, Clone, Copy)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: Option<u32>,
}

/// Why a version string was rejected; `Display` says what was expected and what was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version {input:?}: {reason}")]
pub struct VersionError {
    input: String,
    reason: VersionErrorReason,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionErrorReason {
    #[error("empty value")]
    Empty,
    #[error("expected digits for the {part} version, found {found}")]
    ExpectedNumber { part: &'static str, found: String },
    #[error("the {part} version does not fit in 32 bits")]
    NumberTooLarge { part: &'static str },
    #[error("missing the {part} version")]
    Missing { part: &'static str },
    #[error(
        "unexpected {found:?} after the version numbers (a suffix must start with '-' or '+')"
    )]
    UnexpectedTrailing { found: String },
    #[error("suffix {suffix:?} is empty or contains characters outside [A-Za-z0-9.+_-]")]
    InvalidSuffix { suffix: String },
}

impl VersionError {
    fn new(input: &str, reason: VersionErrorReason) -> Self {
        VersionError {
            input: truncate(input),
            reason,
        }
    }

    /// The (possibly truncated) input that was rejected.
    pub fn input(&self) -> &str {
        &self.input
    }

    pub fn reason(&self) -> &VersionErrorReason {
        &self.reason
    }
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(MAX_ECHOED_INPUT) {
        Some((idx, _)) => format!("{}…", &s[..idx]),
        None => s.to_string(),
    }
}

fn describe_next(rest: &str) -> String {
    match rest.chars().next() {
        Some(c) => format!("{c:?}"),
        None => "end of input".to_string(),
    }
}

/// Reads a run of ASCII digits as `u32`.
fn take_number<'a>(s: &'a str, part: &'static str) -> Result<(u32, &'a str), VersionErrorReason> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        return Err(VersionErrorReason::ExpectedNumber {
            part,
            found: describe_next(s),
        });
    }
    let value = s[..end]
        .parse::<u32>()
        .map_err(|_| VersionErrorReason::NumberTooLarge { part })?;
    Ok((value, &s[end..]))
}

fn valid_suffix(suffix: &str) -> bool {
    suffix.len() > 1
        && suffix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '_'))
}

/// Splits `v1.21.2-eks-abc` into numbers and the raw suffix `-eks-abc`.
fn parse_parts(s: &str) -> Result<(KubeVersion, &str), VersionErrorReason> {
    let s = s.trim();
    if s.is_empty() {
        return Err(VersionErrorReason::Empty);
    }
    let s = s
        .strip_prefix('v')
        .or_else(|| s.strip_prefix('V'))
        .unwrap_or(s);
    let (major, rest) = take_number(s, "major")?;
    let rest = match rest.strip_prefix('.') {
        Some(r) => r,
        None if rest.is_empty() => return Err(VersionErrorReason::Missing { part: "minor" }),
        None => {
            return Err(VersionErrorReason::UnexpectedTrailing {
                found: truncate(rest),
            })
        }
    };
    let (minor, rest) = take_number(rest, "minor")?;
    let (patch, rest) = match rest.strip_prefix('.') {
        Some(r) => {
            let (p, r) = take_number(r, "patch")?;
            (Some(p), r)
        }
        None => (None, rest),
    };
    if !rest.is_empty() {
        if !rest.starts_with(['-', '+']) {
            return Err(VersionErrorReason::UnexpectedTrailing {
                found: truncate(rest),
            });
        }
        if !valid_suffix(rest) {
            return Err(VersionErrorReason::InvalidSuffix {
                suffix: truncate(rest),
            });
        }
    }
    Ok((
        KubeVersion {
            major,
            minor,
            patch,
        },
        rest,
    ))
}

/// Discovery reports `major: "1"`, `minor: "21+"` on managed clusters; the `+` means "built
/// from a later commit", not a different version.
fn parse_discovery_number(value: &str, part: &'static str) -> Result<u32, VersionErrorReason> {
    let v = value.trim();
    if v.is_empty() {
        return Err(VersionErrorReason::Missing { part });
    }
    let v = v.strip_suffix('+').unwrap_or(v);
    let (n, rest) = take_number(v, part)?;
    if !rest.is_empty() {
        return Err(VersionErrorReason::UnexpectedTrailing {
            found: truncate(rest),
        });
    }
    Ok(n)
}

impl KubeVersion {
    pub const fn new(major: u32, minor: u32, patch: Option<u32>) -> Self {
        KubeVersion {
            major,
            minor,
            patch,
        }
    }

    /// Parses `v1.21.2`, `1.21.2`, `v1.21`, and vendor forms such as `v1.21.2+k3s1`,
    /// `v1.20.4-eks-6b7464`, `v1.22.3-gke.1500`, `v1.23.17-rc.0`. The suffix is dropped; use
    /// [`KubeVersion::parse_with_suffix`] to keep it for display.
    pub fn parse(s: &str) -> Result<KubeVersion, VersionError> {
        Self::parse_with_suffix(s).map(|(v, _)| v)
    }

    /// Like [`KubeVersion::parse`], also returning the suffix (`"-eks-6b7464"`, `""` if none).
    ///
    /// Note a release candidate (`-rc.0`) compares equal to its release: rules use versions
    /// as feature thresholds, and an rc already carries its release's features.
    pub fn parse_with_suffix(s: &str) -> Result<(KubeVersion, &str), VersionError> {
        parse_parts(s).map_err(|reason| VersionError::new(s, reason))
    }

    /// Builds a version from the separate `major`/`minor` fields of `/version` discovery
    /// (`"1"`, `"21+"`). The patch is unknown there, so it is `None`.
    pub fn from_major_minor(major: &str, minor: &str) -> Result<KubeVersion, VersionError> {
        let echo = format!("major={major:?} minor={minor:?}");
        let major =
            parse_discovery_number(major, "major").map_err(|r| VersionError::new(&echo, r))?;
        let minor =
            parse_discovery_number(minor, "minor").map_err(|r| VersionError::new(&echo, r))?;
        Ok(KubeVersion::new(major, minor, None))
    }

    fn key(&self) -> (u32, u32, u32) {
        (self.major, self.minor, self.patch.unwrap_or(0))
    }

    /// `true` if this version is `>= major.minor.patch` (a missing patch counts as 0).
    pub fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        self.key() >= (major, minor, patch)
    }
}

impl PartialEq for KubeVersion {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for KubeVersion {}

impl Hash for KubeVersion {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialOrd for KubeVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for KubeVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.major, self.minor)?;
        if let Some(p) = self.patch {
            write!(f, ".{p}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for KubeVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KubeVersion::parse(s)
    }
}

/// A Karmada release (`v0.10.1`, `v1.0.5`, `v1.12.0-alpha.1`).
///
/// Same grammar as [`KubeVersion`] but a distinct type, so a Karmada version can never be
/// compared against a Kubernetes threshold by mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KarmadaVersion(KubeVersion);

/// One minor upgrade step, e.g. `v0.10 -> v1.0`. Ordered by the minor it leaves, then the
/// one it reaches: path order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MinorHop {
    pub from: (u32, u32),
    pub to: (u32, u32),
}

impl fmt::Display for MinorHop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "v{}.{} -> v{}.{}",
            self.from.0, self.from.1, self.to.0, self.to.1
        )
    }
}

impl MinorHop {
    /// `v0.10->v1.0`: the form rule files, reports and `rules -o json` use.
    pub fn label(&self) -> String {
        format!(
            "v{}.{}->v{}.{}",
            self.from.0, self.from.1, self.to.0, self.to.1
        )
    }

    /// `v1.0->v1.1`, spaces allowed (`v1.0 -> v1.1`), as a hop; one parser so two
    /// spellings of a hop are the same hop.
    pub fn parse(s: &str) -> Option<MinorHop> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let (a, b) = s.split_once("->")?;
        let mm = |v: &str| -> Option<(u32, u32)> {
            let (x, y) = v.strip_prefix('v')?.split_once('.')?;
            Some((x.parse().ok()?, y.parse().ok()?))
        };
        Some(MinorHop {
            from: mm(a)?,
            to: mm(b)?,
        })
    }
}

impl serde::Serialize for MinorHop {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.label())
    }
}

impl<'de> serde::Deserialize<'de> for MinorHop {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        MinorHop::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "hop {s:?} is not of the form vMAJOR.MINOR->vMAJOR.MINOR (e.g. v1.0->v1.1)"
            ))
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepsError {
    #[error("{from} -> {to} is a downgrade; Karmada upgrades only go forward")]
    Downgrade {
        from: KarmadaVersion,
        to: KarmadaVersion,
    },
    #[error("Karmada never released v{major}.{minor} (the last {major}.x minor was {last})")]
    NoSuchRelease { major: u32, minor: u32, last: u32 },
    #[error("don't know which v{major}.x release was the last before v{next}.0")]
    UnknownMajorBoundary { major: u32, next: u32 },
    #[error("{from} -> {to} spans more than {MAX_HOPS} minor releases")]
    TooManySteps {
        from: KarmadaVersion,
        to: KarmadaVersion,
    },
}

/// Last minor of each finished major line: Karmada went v0.8, v0.9, v0.10, then v1.0.
const LAST_MINOR_OF_MAJOR: &[(u32, u32)] = &[(0, 10)];

fn last_minor(major: u32) -> Option<u32> {
    LAST_MINOR_OF_MAJOR
        .iter()
        .find(|(m, _)| *m == major)
        .map(|(_, last)| *last)
}

impl KarmadaVersion {
    pub const fn new(major: u32, minor: u32, patch: Option<u32>) -> Self {
        KarmadaVersion(KubeVersion::new(major, minor, patch))
    }

    /// Parses a release tag; pre-release suffixes (`-alpha.1`) are accepted and ignored.
    pub fn parse(s: &str) -> Result<KarmadaVersion, VersionError> {
        KubeVersion::parse(s).map(KarmadaVersion)
    }

    pub fn major(&self) -> u32 {
        self.0.major
    }

    pub fn minor(&self) -> u32 {
        self.0.minor
    }

    pub fn patch(&self) -> Option<u32> {
        self.0.patch
    }

    pub fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        self.0.at_least(major, minor, patch)
    }

    /// The minor upgrades needed to go from `from` to `to`, in order, patches ignored:
    /// v0.9 -> v1.1 is `[v0.9 -> v0.10, v0.10 -> v1.0, v1.0 -> v1.1]`. Same minor → empty.
    ///
    /// Karmada supports upgrading one minor at a time, so each hop is a place where rules for
    /// that transition apply.
    pub fn minor_steps_between(
        from: KarmadaVersion,
        to: KarmadaVersion,
    ) -> Result<Vec<MinorHop>, StepsError> {
        let (start, end) = ((from.major(), from.minor()), (to.major(), to.minor()));
        if end < start {
            return Err(StepsError::Downgrade { from, to });
        }
        for (major, minor) in [start, end] {
            if let Some(last) = last_minor(major) {
                if minor > last {
                    return Err(StepsError::NoSuchRelease { major, minor, last });
                }
            }
        }
        let mut hops = Vec::new();
        let mut current = start;
        while current < end {
            if hops.len() as u32 >= MAX_HOPS {
                return Err(StepsError::TooManySteps { from, to });
            }
            let next = if current.0 < end.0 {
                match last_minor(current.0) {
                    Some(last) if current.1 >= last => (current.0 + 1, 0),
                    Some(_) => (current.0, current.1 + 1),
                    None => {
                        return Err(StepsError::UnknownMajorBoundary {
                            major: current.0,
                            next: current.0 + 1,
                        })
                    }
                }
            } else {
                (current.0, current.1 + 1)
            };
            hops.push(MinorHop {
                from: current,
                to: next,
            });
            current = next;
        }
        Ok(hops)
    }
}

impl From<KubeVersion> for KarmadaVersion {
    fn from(v: KubeVersion) -> Self {
        KarmadaVersion(v)
    }
}

impl fmt::Display for KarmadaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for KarmadaVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KarmadaVersion::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_hop_is_one_value_however_it_is_spelled() {
        let h = MinorHop {
            from: (0, 10),
            to: (1, 0),
        };
        assert_eq!(MinorHop::parse("v0.10->v1.0"), Some(h));
        assert_eq!(MinorHop::parse("v0.10 -> v1.0"), Some(h));
        assert_eq!(h.label(), "v0.10->v1.0");
        assert_eq!(serde_json::to_string(&h).unwrap(), "\"v0.10->v1.0\"");
        assert_eq!(
            serde_json::from_str::<MinorHop>("\"v0.10 -> v1.0\"").unwrap(),
            h
        );
        for bad in ["v1.0", "1.0->1.1", "v1.x->v1.2", "v1.0->"] {
            assert_eq!(MinorHop::parse(bad), None, "{bad}");
        }
        let err = serde_json::from_str::<MinorHop>("\"v1.0 to v1.1\"").unwrap_err();
        assert!(err.to_string().contains("not of the form"), "{err}");
    }

    fn v(major: u32, minor: u32, patch: Option<u32>) -> KubeVersion {
        KubeVersion::new(major, minor, patch)
    }

    #[test]
    fn parses_real_world_versions() {
        let cases = [
            ("v1.21.2", v(1, 21, Some(2)), ""),
            ("1.21.2", v(1, 21, Some(2)), ""),
            ("v1.21.2+k3s1", v(1, 21, Some(2)), "+k3s1"),
            ("v1.20.4-eks-6b7464", v(1, 20, Some(4)), "-eks-6b7464"),
            ("v1.22.3-gke.1500", v(1, 22, Some(3)), "-gke.1500"),
            ("v1.21", v(1, 21, None), ""),
            ("v1.23.17-rc.0", v(1, 23, Some(17)), "-rc.0"),
            ("v1.21.4+rke2r2", v(1, 21, Some(4)), "+rke2r2"),
            ("  v1.25.0\n", v(1, 25, Some(0)), ""),
        ];
        for (input, want, suffix) in cases {
            let (got, got_suffix) = KubeVersion::parse_with_suffix(input).unwrap();
            assert_eq!(got, want, "{input}");
            assert_eq!(got.patch, want.patch, "{input}");
            assert_eq!(got_suffix, suffix, "{input}");
        }
    }

    #[test]
    fn vendor_suffix_does_not_sort_below_release() {
        let eks = KubeVersion::parse("v1.20.4-eks-6b7464").unwrap();
        assert!(eks.at_least(1, 20, 4));
        assert_eq!(eks, KubeVersion::parse("v1.20.4").unwrap());
    }

    #[test]
    fn discovery_minor_with_plus() {
        let got = KubeVersion::from_major_minor("1", "21+").unwrap();
        assert_eq!(got, v(1, 21, None));
        assert_eq!(got.patch, None);
        assert_eq!(
            KubeVersion::from_major_minor(" 1 ", "22").unwrap(),
            v(1, 22, None)
        );
        let err = KubeVersion::from_major_minor("1", "").unwrap_err();
        assert!(err.to_string().contains("missing the minor"), "{err}");
        assert!(KubeVersion::from_major_minor("1", "21++").is_err());
        assert!(KubeVersion::from_major_minor("one", "21").is_err());
    }

    #[test]
    fn rejects_garbage_with_reason() {
        let cases = [
            ("", "empty"),
            ("   ", "empty"),
            ("v", "expected digits for the major"),
            ("latest", "expected digits for the major"),
            ("v1", "missing the minor"),
            ("v1.", "expected digits for the minor"),
            ("v1.21.", "expected digits for the patch"),
            ("v1.21.2.3", "unexpected"),
            ("v1.21.2 beta", "unexpected"),
            ("v1.21.2-", "suffix"),
            ("v1.21.2-eks/x", "suffix"),
            ("v99999999999.1.0", "does not fit"),
            ("v1.99999999999999999999", "does not fit"),
        ];
        for (input, needle) in cases {
            let err = KubeVersion::parse(input).unwrap_err();
            assert!(
                err.to_string().contains(needle),
                "{input:?}: {err} should mention {needle:?}"
            );
        }
    }

    #[test]
    fn error_echo_is_bounded() {
        let long = "x".repeat(10_000);
        let err = KubeVersion::parse(&long).unwrap_err();
        assert!(err.to_string().len() < 300);
    }

    #[test]
    fn ordering_treats_missing_patch_as_zero() {
        assert_eq!(v(1, 21, None), v(1, 21, Some(0)));
        assert!(v(1, 21, None) < v(1, 21, Some(1)));
        assert!(v(1, 9, Some(9)) < v(1, 10, None));
        assert!(v(0, 99, Some(99)) < v(1, 0, Some(0)));
        assert!(v(1, 21, None).at_least(1, 21, 0));
        assert!(!v(1, 21, None).at_least(1, 21, 1));
        assert!(v(1, 22, Some(0)).at_least(1, 21, 9));
    }

    #[test]
    fn display() {
        assert_eq!(v(1, 21, Some(2)).to_string(), "v1.21.2");
        assert_eq!(v(1, 21, None).to_string(), "v1.21");
        assert_eq!(
            KubeVersion::parse("v1.20.4-eks-6b7464")
                .unwrap()
                .to_string(),
            "v1.20.4"
        );
    }

    #[test]
    fn karmada_tags() {
        let cases = [
            ("v0.10.1", (0, 10, Some(1))),
            ("v1.0.5", (1, 0, Some(5))),
            ("v1.12.0-alpha.1", (1, 12, Some(0))),
        ];
        for (input, (ma, mi, pa)) in cases {
            let k = KarmadaVersion::parse(input).unwrap();
            assert_eq!((k.major(), k.minor(), k.patch()), (ma, mi, pa), "{input}");
        }
        assert!(
            KarmadaVersion::parse("v0.10.1").unwrap() < KarmadaVersion::parse("v1.0.0").unwrap()
        );
        assert!(
            KarmadaVersion::parse("v0.9.0").unwrap() < KarmadaVersion::parse("v0.10.0").unwrap()
        );
        assert!(KarmadaVersion::parse("main").is_err());
    }

    fn hops(from: &str, to: &str) -> Result<Vec<String>, StepsError> {
        KarmadaVersion::minor_steps_between(
            KarmadaVersion::parse(from).unwrap(),
            KarmadaVersion::parse(to).unwrap(),
        )
        .map(|h| h.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn minor_steps_cross_the_zero_to_one_boundary() {
        assert_eq!(
            hops("v0.9.0", "v1.1.0").unwrap(),
            ["v0.9 -> v0.10", "v0.10 -> v1.0", "v1.0 -> v1.1"]
        );
        assert_eq!(hops("v0.10.1", "v1.0.0").unwrap(), ["v0.10 -> v1.0"]);
        assert_eq!(hops("v0.8.0", "v0.10.0").unwrap().len(), 2);
        assert_eq!(hops("v1.0.0", "v1.18.0").unwrap().len(), 18);
        assert!(hops("v1.2.0", "v1.2.7").unwrap().is_empty());
    }

    #[test]
    fn minor_steps_errors() {
        assert!(matches!(
            hops("v1.1.0", "v1.0.0"),
            Err(StepsError::Downgrade { .. })
        ));
        assert!(matches!(
            hops("v0.11.0", "v1.0.0"),
            Err(StepsError::NoSuchRelease { .. })
        ));
        assert!(matches!(
            hops("v1.5.0", "v2.0.0"),
            Err(StepsError::UnknownMajorBoundary { major: 1, next: 2 })
        ));
        assert!(matches!(
            hops("v1.0.0", "v1.4000000000.0"),
            Err(StepsError::TooManySteps { .. })
        ));
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC*", t in "\\PC*") {
            let _ = KubeVersion::parse(&s);
            let _ = KubeVersion::from_major_minor(&s, &t);
            let _ = KarmadaVersion::parse(&s);
        }

        #[test]
        fn parsers_never_panic_on_version_like(s in "[vV]?[0-9]{0,12}(\\.[0-9]{0,12}){0,3}[-+._a-z0-9]{0,8}") {
            let _ = KubeVersion::parse(&s);
            let _ = KarmadaVersion::parse(&s);
        }

        #[test]
        fn display_roundtrips(major: u32, minor: u32, patch: Option<u32>) {
            let original = KubeVersion::new(major, minor, patch);
            let parsed = KubeVersion::parse(&original.to_string()).unwrap();
            prop_assert_eq!(parsed, original);
            prop_assert_eq!(parsed.patch, original.patch);
            let k = KarmadaVersion::new(major, minor, patch);
            prop_assert_eq!(KarmadaVersion::parse(&k.to_string()).unwrap(), k);
        }

        #[test]
        fn suffix_never_changes_numbers(major: u32, minor: u32, patch: u32, suffix in "[-+][a-z0-9][a-z0-9.-]{0,10}") {
            let s = format!("v{major}.{minor}.{patch}{suffix}");
            let (parsed, rest) = KubeVersion::parse_with_suffix(&s).unwrap();
            prop_assert_eq!(parsed, KubeVersion::new(major, minor, Some(patch)));
            prop_assert_eq!(rest, suffix.as_str());
        }

        #[test]
        fn steps_chain_is_contiguous(a in 0u32..=10, b in 0u32..=20) {
            let from = KarmadaVersion::new(0, a, Some(0));
            let to = KarmadaVersion::new(1, b, Some(0));
            let hops = KarmadaVersion::minor_steps_between(from, to).unwrap();
            prop_assert_eq!(hops.first().map(|h| h.from), Some((0, a)));
            prop_assert_eq!(hops.last().map(|h| h.to), Some((1, b)));
            for pair in hops.windows(2) {
                prop_assert_eq!(pair[0].to, pair[1].from);
            }
        }
    }
}
