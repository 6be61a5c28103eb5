//! Does a binding's subject list name the requesting user? Port of `appliesToUser`
//! (`pkg/registry/rbac/validation/rule.go`).

use k8s_openapi::api::rbac::v1::Subject;

use super::types::{RbacSubject, ServiceAccountRef};

pub(crate) const ALL_SERVICE_ACCOUNTS_GROUP: &str = "system:serviceaccounts";
pub(crate) const AUTHENTICATED_GROUP: &str = "system:authenticated";

/// The authorizer's view of the requester: a user name and groups.
#[derive(Debug, Clone)]
pub(crate) struct UserInfo {
    name: Option<String>,
    groups: Vec<String>,
}

impl UserInfo {
    pub(crate) fn for_subject(subject: &RbacSubject) -> UserInfo {
        match subject {
            // What the ServiceAccount token authenticator puts into user.Info
            // (`serviceaccount.UserInfo`), plus the group every authenticated user gets.
            RbacSubject::ServiceAccount(sa) => UserInfo {
                name: Some(sa.username()),
                groups: vec![
                    ALL_SERVICE_ACCOUNTS_GROUP.to_string(),
                    format!("{ALL_SERVICE_ACCOUNTS_GROUP}:{}", sa.namespace),
                    AUTHENTICATED_GROUP.to_string(),
                ],
            },
            RbacSubject::User(name) => UserInfo {
                name: Some(name.clone()),
                groups: vec![AUTHENTICATED_GROUP.to_string()],
            },
            RbacSubject::Group(group) => UserInfo {
                name: None,
                groups: vec![group.clone()],
            },
        }
    }
}

/// `binding_namespace` is the RoleBinding's namespace, `None` for ClusterRoleBindings.
pub(crate) fn applies_to(
    user: &UserInfo,
    subjects: &[Subject],
    binding_namespace: Option<&str>,
) -> bool {
    subjects
        .iter()
        .any(|s| applies_to_user(user, s, binding_namespace))
}

fn applies_to_user(user: &UserInfo, subject: &Subject, binding_namespace: Option<&str>) -> bool {
    // Kinds are compared exactly; `apiGroup` is not consulted by the authorizer.
    match subject.kind.as_str() {
        "User" => user.name.as_deref() == Some(subject.name.as_str()),
        "Group" => user.groups.contains(&subject.name),
        "ServiceAccount" => match service_account_subject_namespace(subject, binding_namespace) {
            Some(ns) => {
                user.name.as_deref()
                    == Some(
                        ServiceAccountRef::new(ns, subject.name.as_str())
                            .username()
                            .as_str(),
                    )
            }
            None => false,
        },
        _ => false,
    }
}

/// The namespace a ServiceAccount subject refers to. Kubernetes defaults an empty namespace
/// to the RoleBinding's own namespace; in a ClusterRoleBinding such a subject never
/// matches anyone.
pub(crate) fn service_account_subject_namespace<'a>(
    subject: &'a Subject,
    binding_namespace: Option<&'a str>,
) -> Option<&'a str> {
    subject
        .namespace
        .as_deref()
        .filter(|ns| !ns.is_empty())
        .or(binding_namespace.filter(|ns| !ns.is_empty()))
}
