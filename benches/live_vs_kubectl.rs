//! The release CLI against kubectl on one large fake fleet, in one run.
//!
//! `cargo bench --bench live_vs_kubectl` starts the loopback fake API server with 2,000
//! member clusters (plus karmada and host), 20k filler objects and 20 ms latency on every
//! request, then:
//!
//! 1. runs `karmada-preflight check --kubeconfig F --members-from-kubeconfig` (the release
//!    binary, as an operator would) and prints wall time and the requests the server saw;
//!    it checks in the server's request log that no (cluster, list path) had its first
//!    page requested twice (pages with `continue` are fine);
//! 2. replays the same lists with kubectl, one after another:
//!    `kubectl --context C get RESOURCE -A -o json` for every (cluster, resource) the
//!    tool listed (derived from the request log, so the comparison is like for like),
//!    printing wall time and requests;
//! 3. prints the ratio.
//!
//! Each kubectl run is a new process that also does discovery (cached per cluster in one
//! cache dir for the whole replay, as `~/.kube/cache` would be), so replaying all
//! 2,000 x N lists takes hours. By default kubectl replays karmada, host and a
//! deterministic sample of members (every k-th, `--kubectl-sample` of them), and the
//! member part is extrapolated linearly; the output says so. `--kubectl-sample 0` replays
//! every member.
//!
//! Options: `--members N --objects M --latency-ms L --concurrency C --kubectl-sample S
//! --tool-timeout-secs T --kubectl-timeout-secs T`. A benchmark: it prints figures and
//! asserts nothing about time. Every child process has a timeout; the server stops at the end.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use fakeapi::{generate_fleet, member_name, RequestRecord, RunningServer, ServerConfig};

struct Opts {
    members: usize,
    objects: usize,
    latency_ms: u64,
    concurrency: usize,
    kubectl_sample: usize,
    tool_timeout: Duration,
    kubectl_timeout: Duration,
}

fn parse() -> Opts {
    let mut o = Opts {
        members: 2000,
        objects: 20_000,
        latency_ms: 20,
        concurrency: 16,
        kubectl_sample: 20,
        tool_timeout: Duration::from_secs(600),
        kubectl_timeout: Duration::from_secs(60),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let val = args.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        match (args[i].as_str(), val) {
            ("--members", Some(v)) => o.members = v as usize,
            ("--objects", Some(v)) => o.objects = v as usize,
            ("--latency-ms", Some(v)) => o.latency_ms = v,
            ("--concurrency", Some(v)) => o.concurrency = v.clamp(1, 1024) as usize,
            ("--kubectl-sample", Some(v)) => o.kubectl_sample = v as usize,
            ("--tool-timeout-secs", Some(v)) => o.tool_timeout = Duration::from_secs(v.max(1)),
            ("--kubectl-timeout-secs", Some(v)) => {
                o.kubectl_timeout = Duration::from_secs(v.max(1))
            }
            // `cargo bench` passes `--bench`; ignore anything else.
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    o
}

/// Raise the soft open-file limit to the hard one: the server holds one listener per
/// cluster plus every accepted connection, and the CLI child inherits the limit.
fn raise_fd_limit() -> (u64, u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            let before = lim.rlim_cur;
            lim.rlim_cur = lim.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                lim.rlim_cur = before;
            }
        }
    }
    (lim.rlim_cur, lim.rlim_max)
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Waits for `child` at most `limit`; kills it past that. `None` = timed out.
fn wait_bounded(mut child: Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(s)) => return Some(s),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// A first page of a list: the collector and kubectl both page with `limit`.
fn is_first_page(r: &RequestRecord) -> bool {
    r.query.split('&').any(|p| p.starts_with("limit=")) && !r.query.contains("continue=")
}

/// `/api/v1/pods` -> (`pods`, None); `/apis/apps/v1/namespaces/ns/deployments` ->
/// (`deployments.apps`, Some(ns)). `None` for anything that is not a list path.
fn kubectl_resource(path: &str) -> Option<(String, Option<String>)> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match parts.as_slice() {
        ["api", "v1", rest @ ..] => ("", rest),
        ["apis", g, _v, rest @ ..] => (*g, rest),
        _ => return None,
    };
    let (resource, ns) = match rest {
        [r] => (*r, None),
        ["namespaces", ns, r] => (*r, Some(ns.to_string())),
        _ => return None,
    };
    let name = if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    };
    Some((name, ns))
}

struct Replay {
    wall: Duration,
    runs: usize,
    failed: usize,
    timed_out: usize,
    requests: usize,
}

/// Runs kubectl once per (context, resource, namespace), sequentially.
fn replay(
    server: &RunningServer,
    kc: &Path,
    cache: &Path,
    lists: &[(String, String, Option<String>)],
    timeout: Duration,
) -> Replay {
    let before = server.request_log().len();
    let started = Instant::now();
    let (mut failed, mut timed_out) = (0, 0);
    for (ctx, resource, ns) in lists {
        let mut cmd = Command::new("kubectl");
        cmd.arg("--kubeconfig")
            .arg(kc)
            .arg("--context")
            .arg(ctx)
            .arg("--cache-dir")
            .arg(cache)
            .arg(format!("--request-timeout={}s", timeout.as_secs()))
            .arg("get")
            .arg(resource);
        match ns {
            Some(ns) => cmd.args(["-n", ns]),
            None => cmd.arg("-A"),
        };
        cmd.args(["-o", "json"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        match cmd.spawn() {
            Ok(child) => match wait_bounded(child, timeout + Duration::from_secs(5)) {
                Some(s) if s.success() => {}
                Some(_) => failed += 1,
                None => timed_out += 1,
            },
            Err(_) => failed += 1,
        }
    }
    Replay {
        wall: started.elapsed(),
        runs: lists.len(),
        failed,
        timed_out,
        requests: server.request_log().len().saturating_sub(before),
    }
}

fn main() -> anyhow::Result<()> {
    let o = parse();
    let (fd_soft, fd_hard) = raise_fd_limit();
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let date = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    println!(
        "live_vs_kubectl: {} members, {} filler objects, {} ms latency per request, CLI --concurrency {}",
        o.members, o.objects, o.latency_ms, o.concurrency
    );
    println!(
        "  machine          nproc {nproc}, load average {} at start, {date}",
        loadavg()
    );
    println!("  fd limit         {fd_soft} (hard {fd_hard})");

    let started = Instant::now();
    let server = RunningServer::start_blocking(ServerConfig {
        clusters: generate_fleet(o.members, o.objects, 42),
        faults: vec![],
        default_latency: Some(Duration::from_millis(o.latency_ms)),
        ..Default::default()
    })?;
    let dir = tempfile::tempdir()?;
    let kc = dir.path().join("kubeconfig");
    server.write_kubeconfig(&kc)?;
    println!(
        "  server           {} HTTPS listeners on 127.0.0.1, started in {:.2?}, {} fds open",
        server.cluster_names().len(),
        started.elapsed(),
        open_fds()
    );

    // (a) the tool: the release binary, as an operator runs it.
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_karmada-preflight"));
    let report = dir.path().join("report.json");
    let stderr = dir.path().join("stderr.txt");
    let started = Instant::now();
    let child = Command::new(&exe)
        .arg("check")
        .arg("--kubeconfig")
        .arg(&kc)
        .arg("--members-from-kubeconfig")
        .arg("--concurrency")
        .arg(o.concurrency.to_string())
        .args([
            "--request-timeout",
            "30s",
            "--phase",
            "pre",
            "--fail-on",
            "never",
        ])
        .args(["-o", "json"])
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&report)?)
        .stderr(std::fs::File::create(&stderr)?)
        .spawn()?;
    let status = wait_bounded(child, o.tool_timeout);
    let tool_wall = started.elapsed();
    let log = server.request_log();
    let tool_requests = log.len();
    let non_get = log.iter().filter(|r| r.method != "GET").count();
    let failed_requests = log.iter().filter(|r| r.status != 200).count();
    let findings = std::fs::read(&report)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["findings"].as_array().map(|a| a.len()));
    println!(
        "tool (karmada-preflight check --members-from-kubeconfig --concurrency {})",
        o.concurrency
    );
    match status {
        Some(s) => println!("  exit             {}", s.code().unwrap_or(-1)),
        None => println!(
            "  exit             TIMED OUT after {:?} (killed)",
            o.tool_timeout
        ),
    }
    println!("  wall time        {tool_wall:.2?}");
    println!("  requests         {tool_requests} ({failed_requests} not 200, {non_get} non-GET)");
    println!(
        "  findings         {}",
        findings.map_or("? (no JSON report)".into(), |n| n.to_string())
    );

    // No (cluster, list path) listed twice.
    let mut first_pages: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in log.iter().filter(|r| is_first_page(r)) {
        *first_pages
            .entry((r.cluster.clone(), r.path.clone()))
            .or_insert(0) += 1;
    }
    let twice: Vec<_> = first_pages.iter().filter(|(_, n)| **n > 1).collect();
    println!(
        "  lists            {} (cluster, resource) lists, {} listed more than once{}",
        first_pages.len(),
        twice.len(),
        twice
            .first()
            .map(|((c, p), n)| format!(" (e.g. {c} {p} x{n})"))
            .unwrap_or_default()
    );
    if status.is_none() || findings.is_none() {
        let err = std::fs::read_to_string(&stderr).unwrap_or_default();
        let tail: String = err.lines().rev().take(10).collect::<Vec<_>>().join("\n");
        println!("  stderr (last lines, reversed):\n{tail}");
    }

    // (b) kubectl: the same lists, one after another.
    let mut lists: Vec<(String, String, Option<String>)> = Vec::new(); // (cluster, res, ns)
    for (cluster, path) in first_pages.keys() {
        if let Some((res, ns)) = kubectl_resource(path) {
            lists.push((cluster.clone(), res, ns));
        }
    }
    let step = if o.kubectl_sample == 0 || o.kubectl_sample >= o.members {
        1
    } else {
        o.members / o.kubectl_sample
    };
    let sampled: std::collections::BTreeSet<String> =
        (0..o.members).step_by(step).map(member_name).collect();
    let is_member = |c: &str| c.starts_with("member-");
    let to_ctx = |(c, r, ns): &(String, String, Option<String>)| {
        (
            server.context_name(c).unwrap_or_else(|| c.clone()),
            r.clone(),
            ns.clone(),
        )
    };
    let control: Vec<_> = lists
        .iter()
        .filter(|l| !is_member(&l.0))
        .map(to_ctx)
        .collect();
    let members: Vec<_> = lists
        .iter()
        .filter(|l| is_member(&l.0) && sampled.contains(&l.0))
        .map(to_ctx)
        .collect();
    let all_member_lists = lists.iter().filter(|l| is_member(&l.0)).count();
    let cache = dir.path().join("kubectl-cache");
    let a = replay(&server, &kc, &cache, &control, o.kubectl_timeout);
    let b = replay(&server, &kc, &cache, &members, o.kubectl_timeout);
    let scale = if b.runs == 0 {
        0.0
    } else {
        all_member_lists as f64 / b.runs as f64
    };
    let est_wall = a.wall.as_secs_f64() + b.wall.as_secs_f64() * scale;
    let est_requests = a.requests as f64 + b.requests as f64 * scale;
    let measured = a.wall + b.wall;
    println!(
        "kubectl (kubectl --context C get RESOURCE -A -o json, sequential, {})",
        String::from_utf8_lossy(
            &Command::new("kubectl")
                .args(["version", "--client", "-o", "yaml"])
                .output()
                .map(|o| o.stdout)
                .unwrap_or_default()
        )
        .lines()
        .find(|l| l.contains("gitVersion"))
        .map(|l| l.trim().to_string())
        .unwrap_or_else(|| "version unknown".into())
    );
    println!(
        "  runs             {} (karmada+host {}, members {} of {} lists: {} of {} members, every {step}th)",
        a.runs + b.runs,
        a.runs,
        b.runs,
        all_member_lists,
        sampled.len().min(o.members),
        o.members
    );
    println!(
        "  failed           {} exited non-zero, {} timed out",
        a.failed + b.failed,
        a.timed_out + b.timed_out
    );
    println!(
        "  wall time        {measured:.2?} measured (karmada+host {:.2?}, sampled members {:.2?})",
        a.wall, b.wall
    );
    println!("  requests         {} measured", a.requests + b.requests);
    if step > 1 {
        println!(
            "  extrapolated     {est_wall:.1}s, {est_requests:.0} requests for every member \
             (member part x{scale:.1}, linear: every member has the same lists)"
        );
    }
    let ratio = tool_wall.as_secs_f64() / est_wall.max(f64::EPSILON);
    println!(
        "ratio              tool / kubectl = {ratio:.4} (kubectl is {:.1}x slower); target <= 0.5: {}",
        1.0 / ratio.max(f64::EPSILON),
        if ratio <= 0.5 { "met" } else { "NOT met" }
    );
    println!(
        "  load average     {} at end, {} fds open",
        loadavg(),
        open_fds()
    );
    server.shutdown();
    Ok(())
}
