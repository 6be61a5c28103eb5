//! The command line: argument definitions and dispatch. Exit codes: 0 nothing at or
//! above `--fail-on`, 1 findings at or above it, 2 the tool could not do its job.

pub mod check;
pub mod collect_cmd;
pub mod compare;
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
    long_about = "Audits a Karmada installation before the v0.10 -> v1.0 upgrade (phase pre), verifies it \
after (phase post), or gates manifests in CI. Reads offline YAML/JSON or live clusters.\n\n\
Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it; 2 the tool could not do its job \
(bad flags, unreadable input, or in live mode not one list of any cluster could be read; a cluster that cannot be read while others \
can makes the rules that needed it unknown instead)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests, dumps or snapshot bundles (files, directories, `-` for stdin), or
    /// live clusters (no PATH, or any of --kubeconfig/--karmada-context/--host-context/--member/--live).
    Check(check::CheckArgs),
    /// Read live clusters (GET only) and write a snapshot bundle that `check DIR` reads.
    Collect(collect_cmd::CollectArgs),
    /// Print the read-only ClusterRoles live mode needs, per scope, as YAML.
    Rbac(rbac_cmd::RbacArgs),
    /// List the rules.
    Rules(rules_cmd::RulesArgs),
    /// Explain a rule: what it checks, why it matters, how to fix it.
    Explain(rules_cmd::ExplainArgs),
    /// Compare two reports (`check -o json`) or two snapshots: findings new, resolved and
    /// unchanged, and every Cluster present before still present after.
    Compare(compare::CompareArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Run the `examples:` of the rule files in RULES_DIR: exit 0 all hold, 1 one does
    /// not, 2 a rule or example is invalid.
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
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "karmada-preflight",
                &mut std::io::stdout(),
            );
            Ok(EXIT_OK)
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
