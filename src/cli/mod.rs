//! The command line: argument definitions and dispatch. Exit codes: 0 nothing at or
//! above `--fail-on`, 1 findings at or above it, 2 the tool could not do its job.

pub mod check;
pub mod collect_cmd;
pub mod compare;
pub mod etcd_args;
pub mod live_args;
pub mod output;
pub mod rbac_cmd;
pub mod rules_cmd;
pub mod test_cmd;

use clap::{Parser, Subcommand};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "karmada-preflight",
    version = concat!(env!("CARGO_PKG_VERSION"), " (rules ", crate::rules_version!(), ")"),
    about = "Preflight and compliance checks for upgrading Karmada",
    long_about = "Audits a Karmada installation before an upgrade (phase pre), verifies it after (phase post), \
or gates manifests in CI. Reads offline YAML/JSON (manifests, Helm or kustomize output, kubectl dumps, snapshot \
bundles) or live clusters. Every minor hop from v0.9 to v1.19 has its rule pack (v0.10->v1.0, v1.0->v1.1, ..., \
v1.18->v1.19); without --to the v0.10->v1.0 pack runs, with --to VERSION every hop from the installed version to \
VERSION, each finding labelled with its hop.\n\n\
Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it; 2 the tool could not do its job \
(bad flags, unreadable input, nothing of Karmada in the input, in live mode no cluster could be read, or an upgrade \
hop it could not check; a cluster that cannot be read while others can makes the rules that needed it unknown instead).",
    after_help = EXAMPLES_TOP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES_TOP: &str = "Examples:
  karmada-preflight check fixtures/karmada-v0.10.1      # v0.10 -> v1.0 audit
  karmada-preflight check ./manifests --to v1.12        # every hop to v1.12
  helm template karmada karmada/karmada | karmada-preflight check -
  karmada-preflight check --kubeconfig ~/.kube/karmada.config  # live
  karmada-preflight explain cluster-crd-removed";

const EXAMPLES_CHECK: &str = "Examples:
  karmada-preflight check fixtures/karmada-v0.10.1   # v0.10->v1.0
  karmada-preflight check ./manifests --from v1.8 --to v1.12  # 4 hops
  karmada-preflight check ./desired --phase post --fail-on warning   # CI gate
  karmada-preflight check ./manifests -v     # passes, skips, evidence
  karmada-preflight check ./manifests -o table -o sarif=report.sarif
  karmada-preflight check ./manifests --fix-dir fixes/ \\
      --generate-front-proxy-certs
  kubectl get deploy,svc,apiservice -A -o yaml | karmada-preflight check -
  karmada-preflight check --kubeconfig ~/.kube/karmada.config \\
      --member member1=member1-ctx --member member2=member2-ctx
  karmada-preflight check --members-via-proxy --to v1.13   # live, via Karmada

Exit 2 when nothing of Karmada was read (empty input, only `---`, a text file, another
application's manifests, a cluster that is not Karmada's): an empty input is never an all-clear.";

const EXAMPLES_COLLECT: &str = "Examples:
  karmada-preflight collect --out snapshot/
  karmada-preflight collect --out snapshot/ --members-via-proxy
  karmada-preflight check snapshot/             # the same findings, offline";

const EXAMPLES_RBAC: &str = "Examples:
  karmada-preflight rbac | kubectl --context karmada-apiserver apply -f -
  karmada-preflight rbac --members-via-proxy --rule cluster-api-served";

const EXAMPLES_RULES: &str = "Examples:
  karmada-preflight rules                      # one line per rule
  karmada-preflight rules -o json | jq '.hops' # rules per hop
  karmada-preflight rules --rules ./house-rules  # with your own rule files";

const EXAMPLES_EXPLAIN: &str = "Examples:
  karmada-preflight explain cluster-crd-removed
  karmada-preflight explain KP1003";

const EXAMPLES_COMPARE: &str = "Examples:
  karmada-preflight check before/ -o json=before.json
  karmada-preflight check after/ -o yaml=after.yaml
  karmada-preflight compare before.json after.yaml     # JSON or YAML reports
  karmada-preflight compare snapshot-before/ snapshot-after/ --phase post

Exit 1 when a Cluster present before is missing after, or a new error appeared; exit 2 when a
side cannot be read (SARIF, JUnit, markdown and table reports are refused by name).";

const EXAMPLES_COMPLETIONS: &str = "Examples:
  source <(karmada-preflight completions bash)
  karmada-preflight completions zsh > \"${fpath[1]}/_karmada-preflight\"";

const EXAMPLES_TEST: &str = "Examples:
  karmada-preflight test ./house-rules     # the examples: of every rule file
  karmada-preflight test rules/karmada-v1.0-to-v1.1";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests, dumps or snapshot bundles (files, directories, `-` for stdin), or
    /// live clusters (no PATH, or any of --kubeconfig/--karmada-context/--host-context/--member/--live).
    #[command(after_help = EXAMPLES_CHECK)]
    Check(check::CheckArgs),
    /// Read live clusters (GET only) and write a snapshot bundle that `check DIR` reads.
    #[command(after_help = EXAMPLES_COLLECT)]
    Collect(collect_cmd::CollectArgs),
    /// Print the read-only ClusterRoles live mode needs, per scope, as YAML.
    #[command(after_help = EXAMPLES_RBAC)]
    Rbac(rbac_cmd::RbacArgs),
    /// List the rules of every hop.
    #[command(after_help = EXAMPLES_RULES)]
    Rules(rules_cmd::RulesArgs),
    /// Explain a rule: what it checks, why it matters, how to fix it.
    #[command(after_help = EXAMPLES_EXPLAIN)]
    Explain(rules_cmd::ExplainArgs),
    /// Compare two reports (`check -o json` or `-o yaml`) or two snapshots: findings new,
    /// resolved and unchanged, and every Cluster present before still present after.
    #[command(after_help = EXAMPLES_COMPARE)]
    Compare(compare::CompareArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = EXAMPLES_COMPLETIONS)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Run the `examples:` of every rule file in RULES_DIR: exit 0 all pass, 1 an example
    /// failed, 2 a rule file is invalid.
    #[command(after_help = EXAMPLES_TEST)]
    Test(test_cmd::TestArgs),
}

/// Parse arguments, run, and return the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Check(a) => check::run(a),
        Command::Collect(a) => collect_cmd::run(a),
        Command::Rbac(a) => rbac_cmd::run(a),
        Command::Rules(a) => rules_cmd::list(a),
        Command::Explain(a) => rules_cmd::explain(a),
        Command::Compare(a) => compare::run(a),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            // Into memory first: `generate` panics when its writer fails.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "karmada-preflight", &mut script);
            output::write_stdout(&String::from_utf8_lossy(&script)).map(|()| EXIT_OK)
        }
        Command::Test(a) => test_cmd::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("karmada-preflight: error: {}", error_chain(&e));
            EXIT_ERROR
        }
    }
}

/// An error and its causes on one line, each cause once: libraries often repeat their
/// source in their own message (`failed to read kubeconfig from …: No such file or
/// directory (os error 2)` followed by the io error itself), and the OS code suffix says
/// nothing the message does not.
pub fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        let text = match text.rfind(" (os error ") {
            Some(i) if text.ends_with(')') => text[..i].to_string(),
            _ => text,
        };
        let text = text.replace(" (os error 2)", "");
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}
