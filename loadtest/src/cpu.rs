//! The CPU time of each process of the stack, read from `/proc/<pid>/stat` (user plus system
//! time of all its threads), so a run can say what each one costs per sold ticket. Unlike a
//! rate, CPU time per ticket barely depends on what else the machine is doing.

use std::collections::BTreeMap;

use anyhow::Context;
use serde::Serialize;

/// The processes to account for, by name.
#[derive(Debug, Clone)]
pub struct Processes {
    procs: Vec<(String, u32)>,
    /// Clock ticks per second (`getconf CLK_TCK`), the unit of `/proc/<pid>/stat`.
    ticks_per_sec: u64,
}

/// CPU time of each process at one moment, in clock ticks.
#[derive(Debug, Clone)]
pub struct Sample(Vec<Option<u64>>);

/// Microseconds of CPU per sold ticket, per process and in total.
#[derive(Debug, Clone, Serialize)]
pub struct PerTicket {
    /// Per process, in the order given; `None` where a process could not be read (it exited).
    pub processes: BTreeMap<String, Option<f64>>,
    /// The sum of those that could be read.
    pub total: f64,
    /// Seconds the account covers.
    pub seconds: f64,
}

impl Processes {
    /// `spec` is `name=pid,name=pid,...`; this process is added as `load generator`.
    pub fn parse(spec: &str, ticks_per_sec: u64) -> anyhow::Result<Self> {
        let mut procs = Vec::new();
        for part in spec.split(',').filter(|p| !p.trim().is_empty()) {
            let (name, pid) = part
                .split_once('=')
                .with_context(|| format!("`{part}`: expected name=pid"))?;
            let pid = pid.trim().parse().with_context(|| format!("`{part}`: not a pid"))?;
            procs.push((name.trim().to_owned(), pid));
        }
        procs.push(("load generator".to_owned(), std::process::id()));
        anyhow::ensure!(ticks_per_sec > 0, "clock ticks per second must be positive");
        Ok(Self { procs, ticks_per_sec })
    }

    /// The CPU time of every process now.
    pub fn sample(&self) -> Sample {
        Sample(self.procs.iter().map(|(_, pid)| cpu_ticks(*pid)).collect())
    }

    /// What each process spent between `before` and `after`, per ticket of `tickets`, over
    /// `seconds` of wall-clock time.
    pub fn per_ticket(&self, before: &Sample, after: &Sample, tickets: u64, seconds: f64) -> PerTicket {
        let micros = |ticks: u64| ticks as f64 * 1e6 / self.ticks_per_sec as f64;
        let processes: BTreeMap<String, Option<f64>> = self
            .procs
            .iter()
            .zip(before.0.iter().zip(&after.0))
            .map(|((name, _), (b, a))| {
                let spent = match (b, a) {
                    (Some(b), Some(a)) => Some(micros(a.saturating_sub(*b)) / tickets.max(1) as f64),
                    _ => None,
                };
                (name.clone(), spent)
            })
            .collect();
        let total = processes.values().flatten().sum();
        PerTicket {
            processes,
            total,
            seconds,
        }
    }
}

/// utime + stime of `pid` (fields 14 and 15 of its stat line), or None if it is gone.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat)
}

/// The command name (field 2) is in parentheses and may hold spaces: count from after it.
fn parse_stat(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name, field 3 (state) is index 0, so field 14 (utime) is index 11.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_are_read_after_the_command_name() {
        let line = "4242 (beam.smp (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 70 0 0 20 0 30 0 1000 0";
        assert_eq!(parse_stat(line), Some(320));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn cpu_per_ticket_is_each_process_share_divided_by_the_tickets() {
        let procs = Processes::parse("api=1, redis=2", 100).unwrap();
        let before = Sample(vec![Some(100), Some(50), Some(0)]);
        let after = Sample(vec![Some(300), None, Some(10)]);
        let account = procs.per_ticket(&before, &after, 1000, 8.0);
        // 200 ticks = 2 s = 2,000,000 us over 1000 tickets.
        assert_eq!(account.processes["api"], Some(2000.0));
        assert_eq!(account.processes["redis"], None, "exited: not counted");
        assert_eq!(account.processes["load generator"], Some(100.0));
        assert_eq!(account.total, 2100.0);
        assert!(Processes::parse("api", 100).is_err());
        assert!(Processes::parse("api=x", 100).is_err());
    }
}
