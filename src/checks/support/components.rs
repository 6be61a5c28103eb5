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

/// When a karmada-operator `Karmada` CR or a `KarmadaInitConfig` declares `component`,
/// the objects its installer makes from it (Deployment, Service, APIService) are not in
/// the input by design: absent is then `unknown`, at the declaration, never a failure.
pub fn made_by_installer(inv: &Inventory, component: Component, what: &str) -> Option<Outcome> {
    use crate::inventory::components::Shape;
    let (sel, _) = home(component);
    let decl = inv
        .components()
        .of(component, &sel, inv)
        .find(|c| c.shape != Shape::Workload)?;
    let obj = decl.object(inv);
    let installer = match decl.shape {
        Shape::OperatorCr => "karmada-operator",
        _ => "karmadactl init",
    };
    Some(
        Outcome::unknown(format!(
            "{} is declared by {} and {installer} creates {what} from it; the input does not hold \
             them, so check the installed cluster (live mode or a `collect` snapshot)",
            component.display(),
            obj.r
        ))
        .at(obj, &decl.pointer),
    )
}
