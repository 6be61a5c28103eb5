//! `{{ name }}` template placeholders in official manifests: kept parseable, positions
//! exact, and given back as the text the author wrote.

// Placeholders are swapped for same-length markers so positions stay exact.
const OPEN: &str = "$<";
const CLOSE: &str = ">$";

/// Official manifests are templates: `{{member_cluster_name}}-kubeconfig` is not valid
/// YAML (a plain scalar cannot start with `{`), and `type: {{service_type}}` reads as a
/// nested flow mapping. Replace the braces of simple `{{ name }}` placeholders with
/// same-length markers so such files parse, keep every position, and give back the
/// placeholder text as a string that rules recognise.
pub(super) fn protect_placeholders(src: &str) -> std::borrow::Cow<'_, str> {
    if !src.contains("{{") {
        return std::borrow::Cow::Borrowed(src);
    }
    let bytes = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let mut last = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'{' && bytes[i + 1] == b'{' {
            let body_start = i + 2;
            let mut j = body_start;
            while j < bytes.len()
                && j - body_start <= 120
                && (bytes[j].is_ascii_alphanumeric() || b"_ .-$".contains(&bytes[j]))
            {
                j += 1;
            }
            if j + 1 < bytes.len() && bytes[j] == b'}' && bytes[j + 1] == b'}' && j > body_start {
                out.push_str(&src[last..i]);
                out.push_str(OPEN);
                out.push_str(&src[body_start..j]);
                out.push_str(CLOSE);
                i = j + 2;
                last = i;
                continue;
            }
        }
        i += 1;
    }
    if last == 0 {
        return std::borrow::Cow::Borrowed(src);
    }
    out.push_str(&src[last..]);
    std::borrow::Cow::Owned(out)
}

pub(super) fn restore_placeholders(text: std::borrow::Cow<'_, str>) -> std::borrow::Cow<'_, str> {
    if text.contains(OPEN) {
        std::borrow::Cow::Owned(text.replace(OPEN, "{{").replace(CLOSE, "}}"))
    } else {
        text
    }
}

/// `type: {{service_type}}` is a template placeholder, but YAML reads it as a mapping
/// whose only key is the mapping `{service_type: null}` (a key written as `{k}`, see
/// the builder's `key_string`) and whose value is null. Given that only key, the string
/// the author wrote, so rules can recognise and report placeholders.
pub(super) fn placeholder_of_only_key(key: &str) -> Option<String> {
    let inner = key.strip_prefix('{')?.strip_suffix('}')?;
    (!inner.contains(['{', '}', ':'])).then(|| format!("{{{{{inner}}}}}"))
}
