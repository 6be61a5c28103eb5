//! `fake-apiserver`: serve fixture folders (or a generated fleet) as live clusters so
//! karmada-preflight's live mode can be tried without a real Karmada installation.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;
use fakeapi::{
    generate_fleet, load_objects_from_dir, ClusterSpec, Fault, FaultKind, RunningServer,
    ServerConfig,
};

#[derive(Parser, Debug)]
#[command(about = "Loopback fake Kubernetes API server (read-only, mTLS) for karmada-preflight")]
struct Args {
    /// Fixture folder served as the Karmada apiserver (context `karmada-apiserver`).
    #[arg(long, value_name = "DIR")]
    karmada: Option<PathBuf>,
    /// Fixture folder served as the host cluster (context `karmada-host`).
    #[arg(long, value_name = "DIR")]
    host: Option<PathBuf>,
    /// A member cluster: context NAME served from DIR. Repeatable.
    #[arg(long, value_name = "NAME=DIR")]
    member: Vec<String>,
    /// Where to write the kubeconfig (one context per cluster).
    #[arg(long, value_name = "FILE")]
    kubeconfig_out: PathBuf,
    /// Also generate a fleet: a karmada cluster registering N members, plus the members.
    #[arg(long, value_name = "N")]
    fleet: Option<usize>,
    /// Filler objects spread over the generated fleet.
    #[arg(long, value_name = "M", default_value_t = 100)]
    objects: usize,
    /// Seed of the generated fleet.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Kubernetes gitVersion reported by fixture-folder clusters.
    #[arg(long, default_value = "v1.21.3")]
    git_version: String,
    /// Latency added to every request.
    #[arg(long, value_name = "MS")]
    latency_ms: Option<u64>,
    /// CLUSTER:RESOURCE:KIND[:NAMESPACE], RESOURCE `*` for all. KIND is an HTTP code
    /// (403, 500...), 429[=SECS], 410[=TIMES] (on continue), latency=MS, close, hang,
    /// or unreachable. CLUSTER is a cluster or context name. Repeatable.
    #[arg(long, value_name = "SPEC")]
    fault: Vec<String>,
    /// Write the request log here as JSON lines on exit (default: stdout).
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
}

fn cluster_from_dir(
    name: &str,
    context: &str,
    dir: &Path,
    git_version: &str,
) -> anyhow::Result<ClusterSpec> {
    let objects = load_objects_from_dir(dir)?;
    let mut spec = ClusterSpec::new(name, objects);
    spec.context = context.to_string();
    spec.git_version = git_version.to_string();
    Ok(spec)
}

fn parse_fault_kind(s: &str) -> anyhow::Result<Option<FaultKind>> {
    let (head, arg) = match s.split_once('=') {
        Some((h, a)) => (h, Some(a)),
        None => (s, None),
    };
    let num = |default: u64| -> anyhow::Result<u64> {
        arg.map(|a| {
            a.parse::<u64>()
                .with_context(|| format!("bad number in fault {s:?}"))
        })
        .unwrap_or(Ok(default))
    };
    Ok(Some(match head {
        "unreachable" => return Ok(None),
        "429" => FaultKind::TooManyRequests {
            retry_after_secs: num(1)?,
        },
        "410" | "gone" => FaultKind::GoneOnContinue {
            times: num(1)? as usize,
        },
        "latency" | "delay" => FaultKind::Latency(Duration::from_millis(num(20)?)),
        "close" => FaultKind::CloseMidBody,
        "hang" => FaultKind::Hang,
        code => match code.parse::<u16>() {
            Ok(c) if (400..600).contains(&c) => FaultKind::Status(c),
            _ => bail!("unknown fault kind {s:?}"),
        },
    }))
}

fn apply_faults(args: &Args, clusters: &mut [ClusterSpec]) -> anyhow::Result<Vec<Fault>> {
    let mut faults = Vec::new();
    for spec in &args.fault {
        let parts: Vec<&str> = spec.splitn(4, ':').collect();
        let [cluster, resource, kind, rest @ ..] = parts.as_slice() else {
            bail!("fault {spec:?} is not CLUSTER:RESOURCE:KIND[:NAMESPACE]");
        };
        let Some(c) = clusters
            .iter_mut()
            .find(|c| c.name == *cluster || c.context_name() == *cluster)
        else {
            bail!("fault {spec:?}: no cluster or context named {cluster:?}");
        };
        match parse_fault_kind(kind)? {
            None => c.unreachable = true,
            Some(k) => {
                let mut f = Fault::new(c.name.clone(), k);
                if *resource != "*" && !resource.is_empty() {
                    f = f.resource(*resource);
                }
                if let Some(ns) = rest.first() {
                    f = f.namespace(*ns);
                }
                faults.push(f);
            }
        }
    }
    Ok(faults)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut clusters = Vec::new();
    if let Some(dir) = &args.karmada {
        clusters.push(cluster_from_dir(
            "karmada",
            "karmada-apiserver",
            dir,
            &args.git_version,
        )?);
    }
    if let Some(dir) = &args.host {
        clusters.push(cluster_from_dir(
            "host",
            "karmada-host",
            dir,
            &args.git_version,
        )?);
    }
    for m in &args.member {
        let Some((name, dir)) = m.split_once('=') else {
            bail!("--member {m:?} is not NAME=DIR");
        };
        clusters.push(cluster_from_dir(
            name,
            name,
            &PathBuf::from(dir),
            &args.git_version,
        )?);
    }
    if let Some(n) = args.fleet {
        // Folder-backed clusters take precedence over fleet clusters of the same name.
        for c in generate_fleet(n, args.objects, args.seed) {
            if !clusters.iter().any(|x: &ClusterSpec| x.name == c.name) {
                clusters.push(c);
            }
        }
    }
    if clusters.is_empty() {
        bail!("nothing to serve: give --karmada, --host, --member or --fleet");
    }
    let faults = apply_faults(&args, &mut clusters)?;
    let cfg = ServerConfig {
        clusters,
        faults,
        default_latency: args.latency_ms.map(Duration::from_millis),
        // The demo should behave like a real Karmada: `--members-via-proxy` works.
        proxy_members: true,
    };

    let server = RunningServer::start(cfg).await?;
    server.write_kubeconfig(&args.kubeconfig_out)?;
    eprintln!(
        "fake-apiserver: kubeconfig written to {}",
        args.kubeconfig_out.display()
    );
    for name in server.cluster_names() {
        let ctx = server.context_name(&name).unwrap_or_default();
        let addr = server
            .endpoint(&name)
            .map(|a| a.to_string())
            .unwrap_or_default();
        let n = server.object_count(&name).unwrap_or(0);
        let note = if server.is_unreachable(&name) {
            " (unreachable)"
        } else {
            ""
        };
        eprintln!("fake-apiserver: context {ctx:<20} https://{addr}  {n} objects{note}");
    }
    eprintln!("fake-apiserver: serving until Ctrl-C / SIGTERM");
    wait_for_signal().await;

    let records = server.request_log();
    server.shutdown().await;
    let lines: String = records.iter().map(|r| r.to_json_line() + "\n").collect();
    match &args.log {
        Some(path) => {
            std::fs::write(path, lines)
                .with_context(|| format!("writing request log {}", path.display()))?;
            eprintln!(
                "fake-apiserver: {} requests logged to {}",
                records.len(),
                path.display()
            );
        }
        None => print!("{lines}"),
    }
    Ok(())
}
