//! The README's rule table is what a new user reads first; it must list every bundled
//! rule with its current id, name and phases.

use karmada_preflight::rules::Catalog;

#[test]
fn every_bundled_rule_is_in_the_readme_table() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let cat = Catalog::embedded().unwrap();
    let phase = |c: Option<karmada_preflight::findings::Consequence>| {
        c.map(|c| {
            serde_json::to_value(c)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .unwrap_or_else(|| "-".into())
    };
    for r in &cat.rules {
        let row = format!(
            "| {} | `{}` | {} | {} | {} |",
            r.spec.id,
            r.spec.name,
            r.spec.pack,
            phase(r.spec.phases.pre),
            phase(r.spec.phases.post)
        );
        assert!(
            readme.contains(&row),
            "README.md lacks the row starting {row}"
        );
    }
}
