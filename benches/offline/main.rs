//! Offline throughput and memory benchmark (`cargo bench --bench offline`).
//!
//! For each corpus (10k, 100k and 1M objects, irrelevant and relevant mixes; see
//! `corpus.rs`) it times, each in a fresh child process so peak RSS is per run:
//! * `parse`: the baseline — walk the same files, read them on all cores the way the
//!   loader does (one shared work index, one thread per core) and run saphyr-parser's
//!   event parser over each, building nothing (the baseline #15 was filed against);
//! * `scan`: the same walk with the loader's own readers (the fast line reader, saphyr
//!   where it stops), building nothing;
//! * `check`: the full `check` command through the library (`cli::check::run`: load,
//!   rules, JSON report written to /dev/null). The relevant mix's detected release is
//!   the seed's (v0.10); users on v1.12-v1.18 check their next hop, whose packs read
//!   more of each object (CEL rules), so the relevant mix also gets a row `rel-hop`:
//!   the same check with `--from v1.17 --to v1.18`, against the same parse baseline.
//!
//! It prints objects/s, MB/s, check/parse ratio (`b/a`), peak RSS (VmHWM), CPU use (cpu
//! seconds / wall seconds: ~2.0 on two cores means both were busy), and the scan's time
//! with check/scan (`b/s`): what everything after reading costs.
//!
//! Options (after `--`): `--sizes 10000,100000,1000000`, `--mixes irrelevant,relevant`,
//! `--runs 3` (median reported), `gen DIR N [--relevant]` (write a corpus and exit).

mod corpus;

// The allocator of the binary (src/main.rs), so `check` here costs what it costs there.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use corpus::Mix;

fn main() {
    // As the binary does (src/main.rs).
    karmada_preflight::alloc::tune();
    // cargo passes `--bench`; libtest-style flags are not ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let code = match args.first().map(String::as_str) {
        Some("gen") => gen(&args[1..]),
        Some("child") => child(&args[1..]),
        _ => run_all(&args),
    };
    std::process::exit(code);
}

fn opt<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn gen(args: &[String]) -> i32 {
    let (Some(dir), Some(n)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: cargo bench --bench offline -- gen DIR N [--relevant]");
        return 2;
    };
    let mix = if args.iter().any(|a| a == "--relevant") {
        Mix::Relevant
    } else {
        Mix::Irrelevant
    };
    match corpus::generate(Path::new(dir), n, mix, 42) {
        Ok(w) => {
            println!(
                "wrote {} objects in {} files ({} bytes) to {dir}",
                w.objects, w.files, w.bytes
            );
            0
        }
        Err(e) => {
            eprintln!("gen: {e}");
            1
        }
    }
}

/// Where corpora are cached between runs (generation is not what we measure).
fn corpus_dir(mix: Mix, n: usize) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target
        .join("bench-corpus")
        .join(format!("{}-{n}-v{}", mix.name(), corpus::GENERATOR_VERSION))
}

/// Generate (or reuse) a corpus; returns (objects, bytes).
fn ensure_corpus(mix: Mix, n: usize) -> std::io::Result<(PathBuf, usize, u64)> {
    let dir = corpus_dir(mix, n);
    let stamp = dir.with_extension("done");
    if let Ok(s) = std::fs::read_to_string(&stamp) {
        let mut it = s.split_whitespace().filter_map(|x| x.parse::<u64>().ok());
        if let (Some(o), Some(b)) = (it.next(), it.next()) {
            return Ok((dir, o as usize, b));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("generating {} ...", dir.display());
    let w = corpus::generate(&dir, n, mix, 42)?;
    std::fs::write(&stamp, format!("{} {}\n", w.objects, w.bytes))?;
    Ok((dir, w.objects, w.bytes))
}

#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    secs: f64,
    cpu_secs: f64,
    hwm_kib: u64,
}

/// Peak resident set of this process, from the kernel's own accounting.
fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// User + system CPU seconds of this process (fields 14 and 15 of /proc/self/stat,
/// in clock ticks; USER_HZ is 100 on every mainstream Linux build).
fn cpu_secs() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The command name (field 2) may contain spaces; fields are counted after its ')'.
    let rest = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn child(args: &[String]) -> i32 {
    let (Some(mode), Some(dir)) = (args.first(), args.get(1)) else {
        return 2;
    };
    let t = Instant::now();
    match mode.as_str() {
        "parse" => parse_only(dir, false),
        "scan" => parse_only(dir, true),
        "check" => full_check(dir, &[]),
        "check-hop" => full_check(dir, &["--from", "v1.17", "--to", "v1.18"]),
        _ => return 2,
    }
    let secs = t.elapsed().as_secs_f64();
    println!("{secs} {} {}", cpu_secs(), vm_hwm_kib());
    0
}

/// The baselines: same walk, same threads, nothing built; saphyr-parser's events over
/// every file (`parse`, the baseline #15 was measured against) or the loader's own
/// readers' (`scan`: the fast reader, saphyr where it stops).
fn parse_only(dir: &str, own_reader: bool) {
    let mut problems = Vec::new();
    let specs = karmada_preflight::sources::files::expand(&[dir.to_string()], &mut problems);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(specs.len().max(1));
    let next = AtomicUsize::new(0);
    let events = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(spec) = specs.get(i) else { break };
                let Some(path) = &spec.path else { continue };
                let Ok(bytes) = std::fs::read(path) else {
                    continue;
                };
                let Ok(text) = std::str::from_utf8(&bytes) else {
                    continue;
                };
                let n = if own_reader {
                    karmada_preflight::sources::yaml::count_events(text)
                } else {
                    let mut parser = saphyr_parser::Parser::new_from_str(text);
                    let mut n = 0usize;
                    while let Some(Ok(_)) = parser.next_event() {
                        n += 1;
                    }
                    n
                };
                events.fetch_add(n, Ordering::Relaxed);
            });
        }
    });
    // Keep the work observable so it cannot be optimised away.
    std::hint::black_box(events.load(Ordering::Relaxed));
}

fn full_check(dir: &str, extra: &[&str]) {
    use clap::Parser;
    use karmada_preflight::cli::{check::run, Cli, Command};
    // Parsed like the command line, so new flags get their defaults here too.
    let args = [
        "karmada-preflight",
        "check",
        dir,
        "-o",
        "json=/dev/null",
        "--fail-on",
        "never",
    ];
    let cli = Cli::try_parse_from(args.iter().chain(extra)).expect("static arguments parse");
    let Command::Check(args) = cli.command else {
        unreachable!("parsed a check command")
    };
    if let Err(e) = run(args) {
        eprintln!("check failed: {e:#}");
        std::process::exit(1);
    }
}

fn spawn(mode: &str, dir: &Path) -> Option<Sample> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new(exe)
        .args(["child", mode])
        .arg(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let s = String::from_utf8_lossy(&out.stdout);
    let mut it = s.split_whitespace();
    Some(Sample {
        secs: it.next()?.parse().ok()?,
        cpu_secs: it.next()?.parse().ok()?,
        hwm_kib: it.next()?.parse().ok()?,
    })
}

/// The 1, 5 and 15 minute load averages, as `uptime` prints them.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

fn median(mut v: Vec<Sample>) -> Sample {
    v.sort_by(|a, b| a.secs.total_cmp(&b.secs));
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn run_all(args: &[String]) -> i32 {
    let sizes: Vec<usize> = opt(args, "--sizes")
        .unwrap_or("10000,100000,1000000")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let mixes: Vec<Mix> = opt(args, "--mixes")
        .unwrap_or("irrelevant,relevant")
        .split(',')
        .filter_map(|m| match m.trim() {
            "irrelevant" => Some(Mix::Irrelevant),
            "relevant" => Some(Mix::Relevant),
            _ => None,
        })
        .collect();
    let runs: usize = opt(args, "--runs")
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!("offline benchmark: {cores} core(s), {cpu}; median of {runs} run(s) each");
    // Figures taken on a busy machine are not comparable: say how busy it was.
    println!("load average before: {}", load_average());
    println!(
        "{:<10} {:>8} {:>7} | {:>8} {:>9} {:>7} {:>8} {:>4} | {:>8} {:>9} {:>7} {:>8} {:>4} | {:>5} | {:>7} {:>9} {:>5}",
        "mix", "objects", "MB", "parse s", "obj/s", "MB/s", "RSS MiB", "cpu", "check s", "obj/s", "MB/s", "RSS MiB", "cpu", "b/a", "scan s", "obj/s", "b/s"
    );
    let mut rss_irrelevant: Vec<(usize, u64)> = Vec::new();
    for &mix in &mixes {
        for &n in &sizes {
            let (dir, objects, bytes) = match ensure_corpus(mix, n) {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("cannot generate corpus: {e}");
                    return 1;
                }
            };
            // Warm the page cache so neither side pays for the first read from disk.
            let _ = spawn("parse", &dir);
            let hop = mix == Mix::Relevant;
            let (mut a, mut b, mut c, mut d) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for _ in 0..runs {
                a.extend(spawn("parse", &dir));
                d.extend(spawn("scan", &dir));
                b.extend(spawn("check", &dir));
                if hop {
                    c.extend(spawn("check-hop", &dir));
                }
            }
            let (a, b, c, d) = (median(a), median(b), median(c), median(d));
            let mb = bytes as f64 / 1e6;
            let row = |s: &Sample| {
                format!(
                    "{:>8.3} {:>9.0} {:>7.1} {:>8.1} {:>4.1}",
                    s.secs,
                    objects as f64 / s.secs,
                    mb / s.secs,
                    s.hwm_kib as f64 / 1024.0,
                    s.cpu_secs / s.secs
                )
            };
            // `scan` is the loader's own reader with nothing built: check over it says
            // what everything after reading costs.
            let scan = |s: &Sample| {
                format!(
                    "{:>7.3} {:>9.0} {:>5.2}",
                    d.secs,
                    objects as f64 / d.secs,
                    s.secs / d.secs
                )
            };
            println!(
                "{:<10} {:>8} {:>7.1} | {} | {} | {:>5.2} | {}",
                mix.name(),
                objects,
                mb,
                row(&a),
                row(&b),
                b.secs / a.secs,
                scan(&b)
            );
            if hop {
                println!(
                    "{:<10} {:>8} {:>7.1} | {} | {} | {:>5.2} | {}",
                    "rel-hop",
                    objects,
                    mb,
                    row(&a),
                    row(&c),
                    c.secs / a.secs,
                    scan(&c)
                );
            }
            if mix == Mix::Irrelevant {
                rss_irrelevant.push((n, b.hwm_kib));
            }
        }
    }
    println!("load average after: {}", load_average());
    if let (Some(lo), Some(hi)) = (rss_irrelevant.iter().min(), rss_irrelevant.iter().max()) {
        if lo.0 != hi.0 {
            println!(
                "peak RSS of check, irrelevant mix: {} objects {:.1} MiB, {} objects {:.1} MiB ({:+.1}%)",
                lo.0,
                lo.1 as f64 / 1024.0,
                hi.0,
                hi.1 as f64 / 1024.0,
                (hi.1 as f64 / lo.1.max(1) as f64 - 1.0) * 100.0
            );
        }
    }
    0
}
