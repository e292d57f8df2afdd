//! Presenting a run: a text summary, a JSON record for `scripts/bench.sh`, and an SVG plot of
//! the latency distribution.

use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::fire::Measured;

/// The latency percentiles reported, as (label, quantile).
pub const PERCENTILES: [(&str, f64); 5] = [
    ("p50", 0.50),
    ("p90", 0.90),
    ("p99", 0.99),
    ("p99.9", 0.999),
    ("max", 1.0),
];

/// One run, summarised.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// What ran: `purchase` or `baseline`.
    pub name: String,
    /// Open connections.
    pub connections: usize,
    /// Requests sent.
    pub requests: u64,
    /// Requests answered per second.
    pub throughput: f64,
    /// Seconds from first request to last answer.
    pub seconds: f64,
    /// Milliseconds at each of [`PERCENTILES`].
    pub latency_ms: Vec<(String, f64)>,
    /// Answers per status code, plus `failed` for no answer.
    pub statuses: Vec<(String, u64)>,
}

impl Summary {
    /// Summarises `measured`.
    pub fn new(name: &str, connections: usize, measured: &Measured) -> Self {
        let mut statuses: Vec<(String, u64)> = measured.statuses.iter().map(|(s, n)| (s.to_string(), *n)).collect();
        if measured.failed > 0 {
            statuses.push(("failed".into(), measured.failed));
        }
        Self {
            name: name.to_owned(),
            connections,
            requests: measured.answered + measured.failed,
            throughput: measured.throughput(),
            seconds: measured.elapsed.as_secs_f64(),
            latency_ms: PERCENTILES
                .iter()
                .map(|(label, q)| {
                    (
                        (*label).to_owned(),
                        measured.latency.value_at_quantile(*q) as f64 / 1000.0,
                    )
                })
                .collect(),
            statuses,
        }
    }

    /// A few lines for a terminal.
    pub fn text(&self) -> String {
        let mut out = format!(
            "{}: {} requests over {} connections in {:.2} s = {:.0} requests/s\n  latency ms:",
            self.name, self.requests, self.connections, self.seconds, self.throughput
        );
        for (label, ms) in &self.latency_ms {
            let _ = write!(out, " {label} {ms:.2}");
        }
        out.push_str("\n  statuses:");
        for (status, n) in &self.statuses {
            let _ = write!(out, " {status}: {n}");
        }
        out
    }
}

/// An SVG of latency against percentile (log scale of 1 / (1 - q), as HdrHistogram plots
/// do), one line per histogram.
pub fn latency_svg(series: &[(&str, &Histogram<u64>)]) -> String {
    const W: f64 = 720.0;
    const H: f64 = 400.0;
    const LEFT: f64 = 70.0;
    const BOTTOM: f64 = 50.0;
    const COLORS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];
    // x: 0 = p0, 1 = p90, 2 = p99, 3 = p99.9, 4 = p99.99.
    let quantiles: Vec<f64> = (0..=80).map(|i| 1.0 - 10f64.powf(-(f64::from(i) / 20.0))).collect();
    let max_ms = series.iter().map(|(_, h)| h.max() as f64 / 1000.0).fold(1.0, f64::max);
    let x = |q: f64| LEFT + (-(1.0 - q).max(1e-4).log10()) / 4.0 * (W - LEFT - 20.0);
    let y = |ms: f64| H - BOTTOM - ms / max_ms * (H - BOTTOM - 20.0);
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<line x1="{LEFT}" y1="{}" x2="{}" y2="{}" stroke="black"/><line x1="{LEFT}" y1="20" x2="{LEFT}" y2="{}" stroke="black"/>
<text x="{}" y="{}" text-anchor="middle">percentile</text>
<text x="15" y="{}" transform="rotate(-90 15 {})" text-anchor="middle">latency (ms)</text>
"##,
        H - BOTTOM,
        W - 20.0,
        H - BOTTOM,
        H - BOTTOM,
        (W + LEFT) / 2.0,
        H - 10.0,
        H / 2.0,
        H / 2.0
    );
    for (label, q) in [
        ("0%", 0.0),
        ("90%", 0.9),
        ("99%", 0.99),
        ("99.9%", 0.999),
        ("99.99%", 0.9999),
    ] {
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{label}</text>"#,
            x(q),
            H - BOTTOM + 18.0
        );
    }
    for step in 0..=4 {
        let ms = max_ms * f64::from(step) / 4.0;
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{ms:.1}</text>"#,
            LEFT - 6.0,
            y(ms) + 4.0
        );
    }
    for (i, (name, histogram)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let points: Vec<String> = quantiles
            .iter()
            .map(|q| format!("{:.1},{:.1}", x(*q), y(histogram.value_at_quantile(*q) as f64 / 1000.0)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
            points.join(" ")
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" fill="{color}">{name}</text>"#,
            LEFT + 10.0,
            35.0 + 16.0 * i as f64
        );
    }
    svg.push_str("</svg>\n");
    svg
}
