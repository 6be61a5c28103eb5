//! Facts about Karmada `Cluster` objects (`cluster.karmada.io/v1alpha1`) and the Karmada
//! release the input runs or targets, shared by the member-version rules.

use crate::inventory::workload::{find_component, ContainerRef};
use crate::inventory::{Inventory, Object, ScopeSel};
use crate::k8s::{ImageRef, KarmadaVersion, KubeVersion};

pub const CLUSTER_GROUP: &str = "cluster.karmada.io";
pub const VERSION_PTR: &str = "/status/kubernetesVersion";

/// Every Karmada `Cluster` object (karmada scope or the pool). Other groups' `Cluster`
/// kinds (Cluster API's `cluster.x-k8s.io`, ...) are not member clusters of Karmada.
pub fn karmada_clusters(inv: &Inventory) -> Vec<&Object> {
    static KARMADA: ScopeSel = ScopeSel::Karmada;
    inv.of_kind("Cluster", &KARMADA)
        .filter(|o| o.r.api_version().split('/').next() == Some(CLUSTER_GROUP))
        .collect()
}

/// What `status.kubernetesVersion` of a Cluster says.
#[derive(Debug, Clone)]
pub enum MemberVersion {
    Known(KubeVersion, String),
    /// No status yet (the cluster status controller has not reported): the reason.
    Missing(String),
    /// The field is there but unusable (wrong type, unparseable): the reason.
    Invalid(String),
}

pub fn member_version(cluster: &Object) -> MemberVersion {
    // Absent and null alike: not reported yet.
    let field = cluster.node(VERSION_PTR).filter(|n| !n.is_null());
    match field.map(|n| (n, n.as_str())) {
        None => MemberVersion::Missing(format!(
            "Cluster {} has no status.kubernetesVersion yet (its status was never reported or the \
             input was stripped of status)",
            cluster.name()
        )),
        Some((_, Some(s))) if s.trim().is_empty() => MemberVersion::Missing(format!(
            "Cluster {} has an empty status.kubernetesVersion",
            cluster.name()
        )),
        Some((_, Some(s))) => match KubeVersion::parse(s.trim()) {
            Ok(v) => MemberVersion::Known(v, s.to_string()),
            Err(e) => {
                MemberVersion::Invalid(format!("{VERSION_PTR} of Cluster {}: {e}", cluster.name()))
            }
        },
        Some((other, None)) => MemberVersion::Invalid(format!(
            "{VERSION_PTR} of Cluster {} is {}, expected a string",
            cluster.name(),
            other.type_name()
        )),
    }
}

/// Whether `status.apiEnablements` lists `endpointslices` in `discovery.k8s.io/v1`, which
/// is what Karmada v1.0's MCS controllers use, without relying on the version string.
/// Returns the pointer of the matching resource.
pub fn serves_endpointslice_v1(cluster: &Object) -> Option<String> {
    let list = cluster.node("/status/apiEnablements")?.items()?;
    for (i, gv) in list.enumerate() {
        if gv.get("groupVersion").and_then(|n| n.as_str()) != Some("discovery.k8s.io/v1") {
            continue;
        }
        let mut resources = gv.get("resources").and_then(|n| n.items())?;
        if let Some(j) =
            resources.position(|r| r.get("name").and_then(|n| n.as_str()) == Some("endpointslices"))
        {
            return Some(format!("/status/apiEnablements/{i}/resources/{j}"));
        }
    }
    None
}

/// A Karmada component image with a release tag.
#[derive(Debug, Clone)]
pub struct TaggedImage<'a> {
    pub version: KarmadaVersion,
    pub container: ContainerRef<'a>,
}

/// Karmada component images (control plane and agents, any scope) whose tag is a release
/// version, lowest first. `latest` and digests say nothing and are left out.
pub fn karmada_tagged_images(inv: &Inventory) -> Vec<TaggedImage<'_>> {
    static ALL: ScopeSel = ScopeSel::All;
    let mut out: Vec<TaggedImage<'_>> = crate::inventory::components::VERSIONED
        .iter()
        .copied()
        .flat_map(|comp| find_component(inv, comp, &ALL))
        .filter_map(|c| {
            let v = ImageRef::parse(c.image()).ok()?.version_tag()?;
            Some(TaggedImage {
                version: KarmadaVersion::from(v),
                container: c,
            })
        })
        .collect();
    out.sort_by_key(|t| t.version);
    out
}
