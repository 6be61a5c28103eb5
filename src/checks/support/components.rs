//! Finding the workloads of one Karmada component, shared by the templates that check a
//! component's command line or image.

use crate::checks::{read, Outcome, Read, ReadScope};
use crate::inventory::workload::{find_component, Component, ContainerRef, WORKLOAD_KINDS};
use crate::inventory::{Inventory, ScopeSel};

/// Where a component runs: the agent in member clusters, everything else in the host.
pub fn home(component: Component) -> (ScopeSel, ReadScope) {
    match component {
        Component::KarmadaAgent => (ScopeSel::AnyMember, ReadScope::Member),
        _ => (ScopeSel::Host, ReadScope::Host),
    }
}

/// The workload kinds a component can run as, read from its home scope.
pub fn workload_reads(component: Component) -> Vec<Read> {
    let (_, scope) = home(component);
    WORKLOAD_KINDS.iter().map(|k| read(k, scope)).collect()
}

/// The component's containers, or the `unknown` outcome to report when the input has
/// none (absence offline means "not given", not "not installed").
pub fn containers(
    inv: &Inventory,
    component: Component,
) -> Result<Vec<ContainerRef<'_>>, Box<Outcome>> {
    let (sel, _) = home(component);
    let found = find_component(inv, component, &sel);
    if found.is_empty() {
        return Err(Box::new(Outcome::unknown(format!(
            "no {} workload in the input (looked for its image or command in Deployments, StatefulSets, \
             DaemonSets and Pods)",
            component.display()
        ))));
    }
    Ok(found)
}
