//! `karmada-preflight test RULES_DIR`: run the `examples:` of every rule file under
//! RULES_DIR and compare the findings with the expected ones, like `kyverno test` or
//! `conftest verify`, so house rules are tested in CI the same way the bundled rules are
//! (`tests/rule_examples.rs` runs the same [`run_example`] over every bundled rule).
//!
//! Example inputs are relative to the rule file. Exit 0 when every example holds, 1 when
//! one does not, 2 when a rule or an example is invalid or there is no example at all.

use std::path::{Path, PathBuf};

use clap::Args;

use super::output::write_stdout;
use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::engine::load_catalog;
use crate::rules::examples::{describe_finding, run_example};

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Directory holding rule files; each rule's `examples:` are run.
    pub rules_dir: PathBuf,
}

pub fn run(args: TestArgs) -> anyhow::Result<i32> {
    if !args.rules_dir.is_dir() {
        anyhow::bail!("{}: not a directory", args.rules_dir.display());
    }
    let catalog = load_catalog(std::slice::from_ref(&args.rules_dir))?;
    let dir = args.rules_dir.display().to_string();
    let (mut passed, mut failed, mut broken) = (0usize, 0usize, 0usize);
    for rule in catalog.rules.iter().filter(|r| r.source.starts_with(&dir)) {
        let base = Path::new(&rule.source).parent().unwrap_or(Path::new("."));
        for ex in &rule.spec.examples {
            let label = format!("{} {}: {}", rule.source, rule.spec.name, ex.name);
            match run_example(&catalog, rule, ex, base) {
                Ok(o) if o.mismatches.is_empty() => {
                    write_stdout(&format!("PASS {label}\n"))?;
                    passed += 1;
                }
                Ok(o) => {
                    let mut text = format!("FAIL {label}\n");
                    for m in o.mismatches {
                        text += &format!("     {m}\n");
                    }
                    text += "     the rule reported:\n";
                    for f in &o.findings {
                        text += &format!("       {}\n", describe_finding(f));
                    }
                    write_stdout(&text)?;
                    failed += 1;
                }
                Err(e) => {
                    eprintln!("karmada-preflight: invalid example: {label}: {e}");
                    broken += 1;
                }
            }
        }
    }
    write_stdout(&format!(
        "{passed} passed, {failed} failed, {broken} invalid\n"
    ))?;
    if passed + failed + broken == 0 {
        eprintln!(
            "karmada-preflight: no rule under {} has `examples:`",
            args.rules_dir.display()
        );
        return Ok(EXIT_ERROR);
    }
    Ok(if broken > 0 {
        EXIT_ERROR
    } else if failed > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}
