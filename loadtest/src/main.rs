//! `loadtest`: the contention benchmark's command line. See `lib.rs` and the README.

use std::fmt::Write as _;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;

use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use infra::config::Settings;
use loadtest::report::{latency_svg, Summary};
use loadtest::{fire, purchase_run, Requests, Workload};

// The consumers the drain benchmark runs in this process use the allocator of the deployed
// `consumers` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(about = "Contention benchmark of the ticketing api")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fire the purchase workload, then check both stores (exit 1 on any violation).
    Run {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        workload: WorkloadArgs,
        /// Skip waiting for the consumers and checking the stores.
        #[arg(long)]
        no_verify: bool,
        /// Longest wait for the consumers to store every ticket.
        #[arg(long, default_value_t = 600)]
        drain_timeout_secs: u64,
        /// Write the summary as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Fire `GET /api/v1/health` (the HTTP ceiling of the server) the same way.
    Baseline {
        #[command(flatten)]
        target: Target,
        /// Requests to send.
        #[arg(long, default_value_t = 100_000)]
        requests: usize,
    },
    /// Write the workload as JSON-ready CSV for the JMeter plan.
    Csv {
        #[command(flatten)]
        workload: WorkloadArgs,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Each duplicate ratio from a reset stack, with a baseline right before each; writes
    /// results.json, results.md and latency.svg into `out`.
    Bench {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        workload: WorkloadArgs,
        /// Duplicate ratios to run.
        #[arg(long, value_delimiter = ',', default_value = "0.1,0.5,1.1")]
        ratios: Vec<f64>,
        /// Output directory.
        #[arg(long, default_value = "bench-results")]
        out: PathBuf,
        /// Processes whose CPU time per sold ticket to report, `name=pid,...` (this process
        /// is added as the load generator).
        #[arg(long, default_value = "")]
        cpu: String,
        /// Clock ticks per second of /proc/<pid>/stat (`getconf CLK_TCK`).
        #[arg(long, default_value_t = 100)]
        clock_ticks: u64,
    },
    /// Buyers holding overlapping seats and checking out, then the check from the stores.
    Checkout {
        /// Base URL of the api.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Buyers, registered up front.
        #[arg(long, default_value_t = 300)]
        buyers: usize,
        /// Buyers at work at once.
        #[arg(long, default_value_t = 100)]
        connections: usize,
        #[arg(long, default_value = "Venue1")]
        venue: String,
        #[arg(long, default_value = "Event1")]
        event: String,
        /// The zone every buyer wants.
        #[arg(long, default_value_t = 1)]
        zone: u32,
        /// The first rows of the zone they choose from: few rows, heavy overlap.
        #[arg(long, default_value_t = 4)]
        rows: u32,
        /// Seats per row of the zone.
        #[arg(long, default_value_t = 30)]
        cols: u32,
        /// Share of buyers paying with a declined card first.
        #[arg(long, default_value_t = 0.2)]
        declined: f64,
        /// Share of buyers releasing their hold unpaid.
        #[arg(long, default_value_t = 0.1)]
        abandoned: f64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Skip the check of the stores.
        #[arg(long)]
        no_verify: bool,
        /// Write the figures as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Designs of the DynamoDB write model compared on DynamoDB Local: tickets/s, its CPU per
    /// ticket, and the AWS write units of each.
    Designs {
        /// Tickets per design (one rival for a sold seat is added per hundred).
        #[arg(long, default_value_t = 10_000)]
        tickets: usize,
        /// The designs to run.
        #[arg(
            long,
            value_enum,
            value_delimiter = ',',
            default_value = "transact,claims,seat-items"
        )]
        designs: Vec<loadtest::designs::Design>,
        /// DynamoDB Local's pid, for its CPU time.
        #[arg(long)]
        dynamodb_pid: u32,
        /// Clock ticks per second of /proc/<pid>/stat (`getconf CLK_TCK`).
        #[arg(long, default_value_t = 100)]
        clock_ticks: u64,
        /// Write the figures as Markdown here.
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
    /// Consumer drain rate against raw batched writes, per store.
    Drain {
        /// Tickets per round for MySQL.
        #[arg(long, default_value_t = 200_000)]
        mysql_tickets: usize,
        /// Tickets per round for DynamoDB.
        #[arg(long, default_value_t = 20_000)]
        dynamodb_tickets: usize,
        /// Tickets per batch.
        #[arg(long, default_value_t = 250)]
        batch: usize,
        /// Batches in flight (consumer workers).
        #[arg(long, default_value_t = 2)]
        concurrency: usize,
        /// Rounds per store; the medians are reported.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// The stores to measure.
        #[arg(long, value_enum, value_delimiter = ',', default_value = "mysql,dynamodb")]
        stores: Vec<loadtest::drain::DrainStore>,
        /// Write the figures as Markdown here.
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
}

#[derive(Args, Clone)]
struct Target {
    /// Base URL of the api.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Keep-alive connections.
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    /// Hide the progress bar.
    #[arg(long)]
    quiet: bool,
}

impl Target {
    fn addr(&self) -> anyhow::Result<SocketAddr> {
        let host = self
            .url
            .strip_prefix("http://")
            .context("--url must start with http://")?
            .trim_end_matches('/');
        host.to_socket_addrs()?
            .next()
            .with_context(|| format!("{host} resolves to nothing"))
    }
}

#[derive(Args, Clone)]
struct WorkloadArgs {
    #[arg(long, default_value = "Venue1")]
    venue: String,
    #[arg(long, default_value = "Event1")]
    event: String,
    #[arg(long, default_value_t = 100)]
    zones: u32,
    #[arg(long, default_value_t = 26)]
    rows: u32,
    #[arg(long, default_value_t = 30)]
    cols: u32,
    /// Duplicates as a share of the seats (0.1 = 10 %).
    #[arg(long, default_value_t = 0.1)]
    duplicates: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

impl WorkloadArgs {
    fn workload(&self) -> Workload {
        Workload {
            venue: self.venue.clone(),
            event: self.event.clone(),
            zones: self.zones,
            rows: self.rows,
            cols: self.cols,
            duplicates: self.duplicates,
            seed: self.seed,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = infra::telemetry::init_from(&infra::config::Env::process()) {
        eprintln!("loadtest: {e:#}");
        return ExitCode::from(2);
    }
    match run(cli).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("loadtest: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Ok(false) when an invariant was violated.
async fn run(cli: Cli) -> anyhow::Result<bool> {
    match cli.command {
        Command::Run {
            target,
            workload,
            no_verify,
            drain_timeout_secs,
            json,
        } => {
            let settings = Settings::from_env()?;
            let verify = (!no_verify).then_some((&settings, Duration::from_secs(drain_timeout_secs)));
            let outcome = purchase_run(
                target.addr()?,
                &workload.workload(),
                target.connections,
                verify,
                !target.quiet,
                None,
            )
            .await?;
            let summary = Summary::new("purchase", target.connections, &outcome.measured);
            println!("{}", summary.text());
            if let Some(lag) = &outcome.lag {
                println!(
                    "read-model lag (201 to readable in MySQL): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms over {} samples, {} never seen",
                    lag.p50_ms, lag.p99_ms, lag.max_ms, lag.samples, lag.missing
                );
            }
            if let Some(path) = json {
                std::fs::write(path, serde_json::to_vec_pretty(&summary)?)?;
            }
            Ok(report_verdict(outcome.verdict.as_ref()))
        }
        Command::Baseline { target, requests } => {
            let measured = fire(
                target.addr()?,
                "/api/v1/health",
                Requests::Get(requests),
                target.connections,
                !target.quiet,
            )
            .await?;
            println!("{}", Summary::new("baseline", target.connections, &measured).text());
            Ok(measured.failed == 0 && measured.statuses.keys().all(|s| *s == 200))
        }
        Command::Csv { workload, out } => {
            let lines = workload.workload().write_csv(std::fs::File::create(&out)?)?;
            eprintln!("wrote {lines} requests to {}", out.display());
            Ok(true)
        }
        Command::Designs {
            tickets,
            designs,
            dynamodb_pid,
            clock_ticks,
            markdown,
        } => {
            let settings = Settings::from_env()?;
            let figures = loadtest::designs::compare(&settings, &designs, tickets, dynamodb_pid, clock_ticks).await?;
            let table = loadtest::designs::markdown(&figures);
            print!("{table}");
            if let Some(path) = markdown {
                std::fs::write(path, table)?;
            }
            Ok(true)
        }
        Command::Bench {
            target,
            workload,
            ratios,
            out,
            cpu,
            clock_ticks,
        } => {
            let cpu = (!cpu.is_empty())
                .then(|| loadtest::cpu::Processes::parse(&cpu, clock_ticks))
                .transpose()?;
            bench(&target, &workload, &ratios, &out, cpu.as_ref()).await
        }
        Command::Checkout {
            url,
            buyers,
            connections,
            venue,
            event,
            zone,
            rows,
            cols,
            declined,
            abandoned,
            seed,
            no_verify,
            json,
        } => {
            let options = loadtest::checkout::CheckoutOptions {
                url,
                buyers,
                connections,
                venue,
                event: event.clone(),
                zone,
                rows,
                cols,
                declined,
                abandoned,
                seed,
            };
            let (figures, orders) = loadtest::checkout::run(&options).await?;
            println!(
                "checkout: {} buyers, {} hold requests ({} held) = {:.0} holds/s, p50 {:.1} ms, p99 {:.1} ms; \
                 {} checkouts = {:.0} checkouts/s, p50 {:.1} ms, p99 {:.1} ms; {} declined first, {} abandoned",
                figures.buyers,
                figures.hold_requests,
                figures.held,
                figures.holds_per_sec,
                figures.hold_ms.0,
                figures.hold_ms.1,
                figures.checkouts,
                figures.checkouts_per_sec,
                figures.checkout_ms.0,
                figures.checkout_ms.1,
                figures.declined,
                figures.abandoned
            );
            let mut violations: Vec<String> = figures
                .unexpected
                .iter()
                .map(|u| format!("unexpected answer: {u}"))
                .collect();
            if !no_verify {
                let settings = Settings::from_env()?;
                violations
                    .extend(loadtest::checkout::verify(&settings, &event, &orders, Duration::from_secs(600)).await?);
            }
            if let Some(path) = json {
                let report = serde_json::json!({"figures": figures, "violations": violations});
                std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
            }
            for violation in &violations {
                println!("VIOLATION: {violation}");
            }
            if violations.is_empty() && !no_verify {
                println!("all invariants hold: no seat sold twice, every order in both stores with its buyer, no ticket without an order, one charge per order");
            }
            Ok(violations.is_empty())
        }
        Command::Drain {
            mysql_tickets,
            dynamodb_tickets,
            batch,
            concurrency,
            rounds,
            stores,
            markdown,
        } => {
            let settings = Settings::from_env()?;
            let options = loadtest::drain::DrainOptions {
                stores,
                mysql_tickets,
                dynamodb_tickets,
                batch,
                concurrency,
                rounds: rounds.max(1),
            };
            let figures = loadtest::drain::drain_bench(&settings, &options).await?;
            let mut md = String::from(
                "| store | tickets per round | raw batched writes/s | consumer's store calls/s | consumer drain/s | drain / raw | drain / raw, each round |\n\
                 |---|---|---|---|---|---|---|\n",
            );
            for f in &figures {
                let rounds: Vec<String> = f
                    .raw
                    .iter()
                    .zip(&f.drain)
                    .map(|(r, d)| format!("{:.2}", d / r))
                    .collect();
                let _ = writeln!(
                    md,
                    "| {} | {} | {:.0} | {:.0} | {:.0} | {:.2} | {} |",
                    f.store,
                    f.tickets,
                    f.raw_per_sec(),
                    f.store_per_sec(),
                    f.drain_per_sec(),
                    f.ratio(),
                    rounds.join(" / ")
                );
            }
            print!("{md}");
            if let Some(path) = markdown {
                std::fs::write(path, md)?;
            }
            Ok(true)
        }
    }
}

fn report_verdict(verdict: Option<&loadtest::Verdict>) -> bool {
    let Some(verdict) = verdict else { return true };
    println!(
        "stores: {} tickets in MySQL, {} in DynamoDB, drained {:.2} s after the load",
        verdict.mysql,
        verdict.dynamodb,
        verdict.drain.map_or(f64::NAN, |d| d.as_secs_f64())
    );
    for violation in &verdict.violations {
        println!("VIOLATION: {violation}");
    }
    if verdict.violations.is_empty() {
        println!("all invariants hold: every seat sold once, every ticket once in each store, no 5xx");
    }
    verdict.violations.is_empty()
}

async fn bench(
    target: &Target,
    args: &WorkloadArgs,
    ratios: &[f64],
    out: &std::path::Path,
    cpu: Option<&loadtest::cpu::Processes>,
) -> anyhow::Result<bool> {
    std::fs::create_dir_all(out)?;
    let settings = Settings::from_env()?;
    let addr = target.addr()?;
    let mut rows = Vec::new();
    let mut histograms = Vec::new();
    let mut all_hold = true;
    for ratio in ratios {
        let workload = Workload {
            duplicates: *ratio,
            ..args.workload()
        };
        consumers::reset::reset(&(&settings).into())
            .await
            .context("Failed to reset the stack")?;
        let requests = workload.requests().len();
        let baseline = fire(
            addr,
            "/api/v1/health",
            Requests::Get(requests),
            target.connections,
            !target.quiet,
        )
        .await?;
        let outcome = purchase_run(
            addr,
            &workload,
            target.connections,
            Some((&settings, Duration::from_secs(600))),
            !target.quiet,
            cpu,
        )
        .await?;
        let purchase = Summary::new(
            &format!("purchase {:.0}% duplicates", ratio * 100.0),
            target.connections,
            &outcome.measured,
        );
        let base = Summary::new("baseline", target.connections, &baseline);
        println!("{}\n{}", base.text(), purchase.text());
        all_hold &= report_verdict(outcome.verdict.as_ref());
        let verdict = outcome.verdict.as_ref();
        rows.push(serde_json::json!({
            "duplicates": ratio,
            "baseline": base,
            "purchase": purchase,
            "ratio_to_baseline": purchase.throughput / base.throughput,
            "drain_seconds": verdict.and_then(|v| v.drain).map(|d| d.as_secs_f64()),
            "cpu_us_per_ticket": outcome.cpu,
            "read_lag": outcome.lag,
            "violations": verdict.map(|v| v.violations.clone()).unwrap_or_default(),
        }));
        histograms.push((format!("purchase {:.0}%", ratio * 100.0), outcome.measured.latency));
        if *ratio == ratios[0] {
            histograms.push(("baseline (no-op GET)".to_owned(), baseline.latency));
        }
    }
    std::fs::write(out.join("results.json"), serde_json::to_vec_pretty(&rows)?)?;
    let series: Vec<(&str, &hdrhistogram::Histogram<u64>)> = histograms.iter().map(|(n, h)| (n.as_str(), h)).collect();
    std::fs::write(out.join("latency.svg"), latency_svg(&series))?;
    std::fs::write(out.join("results.md"), markdown(&rows))?;
    std::fs::write(out.join("targets.md"), targets(&rows))?;
    std::fs::write(out.join("cpu.md"), cpu_markdown(&rows))?;
    Ok(all_hold)
}

/// The original system's best throughput, requests/s.
const ORIGINAL_RPS: f64 = 6192.0;

fn targets(rows: &[serde_json::Value]) -> String {
    let mut md = String::from(
        "| duplicates | purchase / no-op >= 0.5 | p99 <= 50 ms | >= 30,960 req/s (5 x original) | x original | invariants |\n\
         |---|---|---|---|---|---|\n",
    );
    let verdict = |ok: bool, value: String| format!("{} ({value})", if ok { "met" } else { "**missed**" });
    for row in rows {
        let p = &row["purchase"];
        let ratio = row["ratio_to_baseline"].as_f64().unwrap_or(0.0);
        let p99 = p["latency_ms"][2][1].as_f64().unwrap_or(f64::INFINITY);
        let rps = p["throughput"].as_f64().unwrap_or(0.0);
        let held = row["violations"].as_array().is_some_and(Vec::is_empty);
        let _ = writeln!(
            md,
            "| {:.0} % | {} | {} | {} | {:.1} | {} |",
            row["duplicates"].as_f64().unwrap_or(0.0) * 100.0,
            verdict(ratio >= 0.5, format!("{ratio:.2}")),
            verdict(p99 <= 50.0, format!("{p99:.1} ms")),
            verdict(rps >= 5.0 * ORIGINAL_RPS, format!("{rps:.0}")),
            rps / ORIGINAL_RPS,
            if held { "all hold" } else { "**violated**" },
        );
    }
    md
}

/// µs of CPU per sold ticket of each process, a column per duplicate ratio.
fn cpu_markdown(rows: &[serde_json::Value]) -> String {
    let accounts: Vec<&serde_json::Value> = rows.iter().map(|r| &r["cpu_us_per_ticket"]).collect();
    let Some(first) = accounts.iter().find_map(|a| a["processes"].as_object()) else {
        return "(no CPU account: the stores did not drain, or no processes were given)\n".to_owned();
    };
    let mut md = String::from("| process |");
    let mut rule = String::from("|---|");
    for row in rows {
        let _ = write!(
            md,
            " {:.0} % duplicates |",
            row["duplicates"].as_f64().unwrap_or(0.0) * 100.0
        );
        rule.push_str("---|");
    }
    md.push('\n');
    md.push_str(&rule);
    md.push('\n');
    let cell = |value: &serde_json::Value| value.as_f64().map_or("?".to_owned(), |us| format!("{us:.0} µs"));
    for name in first.keys() {
        let _ = write!(md, "| {name} |");
        for account in &accounts {
            let _ = write!(md, " {} |", cell(&account["processes"][name]));
        }
        md.push('\n');
    }
    md.push_str("| **total** |");
    for account in &accounts {
        let _ = write!(md, " **{}** |", cell(&account["total"]));
    }
    md.push_str("\n| seconds accounted (burst start to drained) |");
    for account in &accounts {
        let _ = write!(
            md,
            " {} |",
            account["seconds"]
                .as_f64()
                .map_or("?".to_owned(), |s| format!("{s:.1}"))
        );
    }
    md.push('\n');
    md
}

fn markdown(rows: &[serde_json::Value]) -> String {
    let mut md = String::from(
        "| duplicates | requests | purchase req/s | no-op req/s | purchase / no-op | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | 201 | 409 | other | drain s | read lag p50 / p99 ms | invariants |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let p = &row["purchase"];
        let latency = |i: usize| p["latency_ms"][i][1].as_f64().unwrap_or(f64::NAN);
        let status = |code: &str| {
            p["statuses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|s| s[0] == code)
                .map(|s| s[1].as_u64().unwrap_or(0))
                .sum::<u64>()
        };
        let total = p["requests"].as_u64().unwrap_or(0);
        let other = total - status("201") - status("409");
        let violations = row["violations"].as_array().map_or(0, Vec::len);
        let _ = writeln!(
            md,
            "| {:.0} % | {} | {:.0} | {:.0} | {:.2} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} | {} | {:.1} | {:.0} / {:.0} | {} |",
            row["duplicates"].as_f64().unwrap_or(0.0) * 100.0,
            total,
            p["throughput"].as_f64().unwrap_or(0.0),
            row["baseline"]["throughput"].as_f64().unwrap_or(0.0),
            row["ratio_to_baseline"].as_f64().unwrap_or(0.0),
            latency(0),
            latency(1),
            latency(2),
            latency(3),
            latency(4),
            status("201"),
            status("409"),
            other,
            row["drain_seconds"].as_f64().unwrap_or(f64::NAN),
            row["read_lag"]["p50_ms"].as_f64().unwrap_or(f64::NAN),
            row["read_lag"]["p99_ms"].as_f64().unwrap_or(f64::NAN),
            if violations == 0 { "all hold".to_owned() } else { format!("{violations} VIOLATED") },
        );
    }
    md
}
