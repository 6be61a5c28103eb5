//! Live collection over a large fleet on the loopback fake API server: wall time,
//! request count and the most requests in flight at once (bounded by --concurrency).
//!
//! Run: `cargo bench --bench live_fleet` (defaults: 500 members, 20 ms latency per
//! request, concurrency 16), or with options:
//! `cargo bench --bench live_fleet -- --members 500 --objects 5000 --latency-ms 20 --concurrency 16`.
//! A benchmark, not a test: it prints figures and asserts nothing about time.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use fakeapi::{generate_fleet, RunningServer, ServerConfig};
use karmada_preflight::rules::Catalog;
use karmada_preflight::sources::live::{self, ConnectOptions, LiveOptions};

struct Opts {
    members: usize,
    objects: usize,
    latency_ms: u64,
    concurrency: usize,
}

fn parse() -> Opts {
    let mut o = Opts {
        members: 500,
        objects: 5000,
        latency_ms: 20,
        concurrency: 16,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let val = args.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        match (args[i].as_str(), val) {
            ("--members", Some(v)) => o.members = v as usize,
            ("--objects", Some(v)) => o.objects = v as usize,
            ("--latency-ms", Some(v)) => o.latency_ms = v,
            ("--concurrency", Some(v)) => o.concurrency = v.max(1) as usize,
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

fn main() -> anyhow::Result<()> {
    let o = parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let fleet = generate_fleet(o.members, o.objects, 42);
        let member_names: Vec<String> = fleet.iter().skip(2).map(|c| c.name.clone()).collect();
        let server = RunningServer::start(ServerConfig {
            clusters: fleet,
            faults: vec![],
            default_latency: Some(Duration::from_millis(o.latency_ms)),
            // Members are read through their own contexts here, as before.
            proxy_members: false,
        })
        .await?;
        let dir = tempfile::tempdir()?;
        let kc = dir.path().join("kubeconfig");
        server.write_kubeconfig(&kc)?;

        // What the bundled rules read, plus typical member reads (agent RBAC, workloads,
        // EndpointSlices), so members cost what they will once member rules exist.
        let catalog = Catalog::embedded().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let mut plan = karmada_preflight::rules::RuleFilter::default().live_plan(&catalog);
        plan.karmada.insert("Cluster".into());
        let member_kinds: BTreeSet<String> = [
            "Deployment",
            "ClusterRole",
            "ClusterRoleBinding",
            "ServiceAccount",
            "Secret",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        plan.member.extend(member_kinds);
        let opts = LiveOptions {
            connect: ConnectOptions {
                kubeconfig: Some(kc.clone()),
                members: member_names
                    .iter()
                    .map(|n| (n.clone(), n.clone()))
                    .collect(),
                ..Default::default()
            },
            concurrency: o.concurrency,
            request_timeout: Duration::from_secs(30),
            progress: false,
            ..Default::default()
        };
        let started = Instant::now();
        let col = live::collect(&plan, &opts).await?;
        let wall = started.elapsed();
        let failed = col.clusters.iter().filter(|c| c.error.is_some()).count();
        let log = server.request_log();
        let non_get = log.iter().filter(|r| r.method != "GET").count();
        println!(
            "live_fleet: {} members, {} filler objects, {} ms latency per request, concurrency {}",
            o.members, o.objects, o.latency_ms, o.concurrency
        );
        println!("  wall time        {wall:.2?}");
        println!(
            "  clusters read    {} ({} failed)",
            col.clusters.len(),
            failed
        );
        println!("  objects          {}", col.inv.len());
        println!(
            "  requests         {} (server saw {}, {} retries, {} non-GET)",
            col.stats.requests,
            log.len(),
            col.stats.retries,
            non_get
        );
        println!("  max in flight    {}", col.stats.max_in_flight);
        println!("  gaps             {}", col.inv.gaps.len());
        let floor = Duration::from_millis(o.latency_ms) * (col.stats.requests as u32)
            / (o.concurrency as u32);
        println!("  latency floor    {floor:.2?} (requests x latency / concurrency)");
        server.shutdown().await;
        Ok(())
    })
}
