//! Template `mcs-member-version`: when multi-cluster services are in use, every member
//! cluster serves `discovery.k8s.io/v1` EndpointSlices (Kubernetes >= 1.21), because
//! Karmada v1.0's MCS controllers only read and write that version.

use serde::Deserialize;
use serde_json::Value;

use super::support::clusters::{
    karmada_clusters, member_version, serves_endpointslice_v1, MemberVersion, VERSION_PTR,
};
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::{Evidence, EvidenceList, Remediation};
use crate::inventory::{Object, ScopeSel};
use crate::k8s::KubeVersion;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Params {
    /// Lowest member Kubernetes version, e.g. `v1.21`.
    min_version: String,
    /// CRDs whose presence means MCS is in use.
    crds: Vec<String>,
}

/// Kinds whose objects mean MCS is in use (multicluster.x-k8s.io ServiceExport and
/// ServiceImport, and the later networking.karmada.io MultiClusterService).
const MCS_KINDS: [&str; 3] = ["ServiceExport", "ServiceImport", "MultiClusterService"];

struct McsMemberVersion {
    p: Params,
    min: KubeVersion,
}

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    let p: Params = params::decode(params)?;
    let min = KubeVersion::parse(&p.min_version).map_err(|e| CompileError {
        pointer: "/minVersion".into(),
        message: e.to_string(),
    })?;
    Ok(Box::new(McsMemberVersion { p, min }))
}

impl McsMemberVersion {
    /// The objects showing MCS is in use (CRDs first, then MCS objects).
    fn mcs_signals<'a>(&self, ctx: &Ctx<'a>) -> Vec<&'a Object> {
        static ALL: ScopeSel = ScopeSel::All;
        static KARMADA: ScopeSel = ScopeSel::Karmada;
        let mut out: Vec<&Object> = ctx
            .inv
            .of_kind("CustomResourceDefinition", &KARMADA)
            .filter(|o| self.p.crds.iter().any(|c| c == o.name()))
            .collect();
        for k in MCS_KINDS {
            out.extend(ctx.inv.of_kind(k, &ALL));
        }
        out
    }

    fn remediation(&self, cluster: &Object) -> Remediation {
        Remediation {
            summary: format!(
                "Upgrade member cluster {} to Kubernetes {} or later before upgrading Karmada to v1.0, \
                 or stop exporting/importing services to it (remove it from the ServiceExport and \
                 ServiceImport propagation policies). Karmada v1.0 only reads and writes \
                 discovery.k8s.io/v1 EndpointSlices there.",
                cluster.name(),
                self.min
            ),
            ..Default::default()
        }
    }
}

impl Check for McsMemberVersion {
    fn reads(&self) -> Vec<Read> {
        let mut r = vec![
            read("Cluster", ReadScope::Karmada),
            read("CustomResourceDefinition", ReadScope::Karmada),
        ];
        for k in MCS_KINDS {
            r.extend([read(k, ReadScope::Karmada), read(k, ReadScope::Member)]);
        }
        r
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        let signals = self.mcs_signals(ctx);
        let Some(first) = signals.first() else {
            return vec![Outcome::skip(
                "multi-cluster services are not in use: no ServiceExport/ServiceImport CRDs or objects and no MultiClusterService in the input",
            )];
        };
        // Made once: every Cluster's outcome shares these items (see EvidenceList).
        let used: EvidenceList = signals
            .iter()
            .take(5)
            .map(|o| Evidence {
                status: None,
                message: format!("MCS in use: {}", o.r),
                location: Some(o.locate("/metadata/name")),
            })
            .collect();
        let clusters = karmada_clusters(ctx.inv);
        if clusters.is_empty() {
            return vec![Outcome::unknown(format!(
                "multi-cluster services are in use ({}), but the input holds no cluster.karmada.io Cluster \
                 objects, so member Kubernetes versions cannot be checked",
                first.r
            ))
            .with_evidence(used)];
        }
        clusters
            .into_iter()
            .map(|c| {
                let endpointslice = serves_endpointslice_v1(c);
                let out = match member_version(c) {
                    MemberVersion::Known(v, raw) if v >= self.min => Outcome::pass(format!(
                        "Cluster {} runs Kubernetes {raw} (>= {})",
                        c.name(),
                        self.min
                    ))
                    .at(c, VERSION_PTR),
                    _ if endpointslice.is_some() => Outcome::pass(format!(
                        "Cluster {} serves discovery.k8s.io/v1 endpointslices (status.apiEnablements)",
                        c.name()
                    ))
                    .at(c, endpointslice.as_deref().unwrap_or(VERSION_PTR)),
                    MemberVersion::Known(_, raw) => Outcome::violation(format!(
                        "Cluster {} runs Kubernetes {raw}, older than {}: it has no discovery.k8s.io/v1 \
                         EndpointSlices, which Karmada v1.0's multi-cluster services require",
                        c.name(),
                        self.min
                    ))
                    .at(c, VERSION_PTR)
                    .with_remediation(self.remediation(c)),
                    MemberVersion::Missing(why) | MemberVersion::Invalid(why) => {
                        Outcome::unknown(format!("{why}; cannot tell whether it is >= {}", self.min))
                            .at(c, VERSION_PTR)
                    }
                };
                out.with_evidence(used.clone())
            })
            .collect()
    }
}
