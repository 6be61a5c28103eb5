//! `Status` error bodies worded like the real apiserver's, since clients match on them.

use serde_json::{json, Value};

use crate::discovery::ResourceInfo;

pub fn reason_for(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        409 => "AlreadyExists",
        410 => "Expired",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    }
}

pub fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> Value {
    let mut s = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if let Some(d) = details {
        s["details"] = d;
    }
    s
}

pub fn not_found(res: &ResourceInfo, name: &str) -> Value {
    status(
        404,
        "NotFound",
        &format!("{} \"{name}\" not found", res.qualified_plural()),
        Some(json!({"name": name, "group": res.group, "kind": res.plural})),
    )
}

pub fn no_such_resource() -> Value {
    status(
        404,
        "NotFound",
        "the server could not find the requested resource",
        Some(json!({})),
    )
}

pub fn forbidden(
    user: &str,
    verb: &str,
    res: Option<&ResourceInfo>,
    ns: Option<&str>,
    name: Option<&str>,
    path: &str,
) -> Value {
    let (plural, group) = res
        .map(|r| (r.plural.as_str(), r.group.as_str()))
        .unwrap_or(("", ""));
    let subject = match name {
        Some(n) => format!(
            "{} \"{n}\"",
            res.map(ResourceInfo::qualified_plural).unwrap_or_default()
        ),
        None => res.map(ResourceInfo::qualified_plural).unwrap_or_default(),
    };
    let scope = match ns {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    let message = if res.is_some() {
        format!("{subject} is forbidden: User \"{user}\" cannot {verb} resource \"{plural}\" in API group \"{group}\" {scope}")
    } else {
        format!("forbidden: User \"{user}\" cannot get path \"{path}\"")
    };
    let mut details = json!({"group": group, "kind": plural});
    if let Some(n) = name {
        details["name"] = json!(n);
    }
    status(403, "Forbidden", &message, Some(details))
}

/// RBAC's answer to `get clusters/proxy` on one Cluster (subresources are named
/// `resource/subresource` in the message, the object by its resource).
pub fn forbidden_proxy(user: &str, cluster: &str) -> Value {
    status(
        403,
        "Forbidden",
        &format!(
            "clusters.cluster.karmada.io \"{cluster}\" is forbidden: User \"{user}\" cannot get resource \"clusters/proxy\" in API group \"cluster.karmada.io\" at the cluster scope"
        ),
        Some(json!({"name": cluster, "group": "cluster.karmada.io", "kind": "clusters"})),
    )
}

pub fn expired() -> Value {
    status(
        410,
        "Expired",
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
        None,
    )
}

pub fn too_many_requests(retry_after_secs: u64) -> Value {
    status(
        429,
        "TooManyRequests",
        "Too many requests, please try again later.",
        Some(json!({"retryAfterSeconds": retry_after_secs})),
    )
}

pub fn method_not_allowed(method: &str) -> Value {
    status(
        405,
        "MethodNotAllowed",
        &format!("the server does not allow this method on the requested resource (fake apiserver is read-only; got {method})"),
        Some(json!({})),
    )
}

pub fn generic(code: u16) -> Value {
    let message = match code {
        500 => "Internal error occurred: injected fault".to_string(),
        503 => "the server is currently unable to handle the request".to_string(),
        401 => "Unauthorized".to_string(),
        _ => format!("injected fault: HTTP {code}"),
    };
    status(code, reason_for(code), &message, None)
}
