//! The SVG chart of ops/s per workload per client, written by hand: a grouped
//! bar chart on a log scale needs a few dozen elements, which is less code
//! than configuring a plotting crate and keeps font handling out of it.

use std::fmt::Write;

use crate::clients::Peer;
use crate::report::{human, Summary};
use crate::workload::Workload;

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 460.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 70.0;
const BOTTOM: f64 = 60.0;

fn colour(peer: Peer) -> &'static str {
    match peer {
        Peer::Tornadis => "#d95f02",
        Peer::RedisRs => "#7570b3",
        Peer::Fred => "#1b9e77",
        Peer::Deadpool => "#e7298a",
    }
}

/// An SVG bar chart: one group per workload, one bar per client (median
/// ops/s, with a line from min to max), log scale. `subtitle` says when and
/// how the numbers were made.
pub fn ops_chart(
    summaries: &[Summary],
    workloads: &[Workload],
    peers: &[Peer],
    subtitle: &str,
) -> String {
    let values = summaries.iter().flat_map(|s| [s.ops.min, s.ops.max]);
    let (lo, hi) = values
        .filter(|v| *v > 0.0)
        .fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo_exp, hi_exp) = if hi > 0.0 {
        (
            lo.log10().floor(),
            hi.log10().ceil().max(lo.log10().floor() + 1.0),
        )
    } else {
        (0.0, 1.0)
    };
    let plot_h = HEIGHT - TOP - BOTTOM;
    let plot_w = WIDTH - LEFT - RIGHT;
    let y = |v: f64| {
        let v = v.max(10f64.powf(lo_exp));
        TOP + plot_h * (1.0 - (v.log10() - lo_exp) / (hi_exp - lo_exp))
    };

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="24" font-size="16" font-weight="bold">ops/s per workload (log scale; bar = median, line = min–max)</text>"#
    );
    let _ = writeln!(
        svg,
        r##"<text x="{LEFT}" y="42" font-size="11" fill="#555">{}</text>"##,
        escape(subtitle)
    );
    // Legend.
    for (i, &p) in peers.iter().enumerate() {
        let x = LEFT + i as f64 * 110.0;
        let _ = writeln!(
            svg,
            r#"<rect x="{x}" y="52" width="12" height="12" fill="{}"/><text x="{}" y="62" font-size="12">{}</text>"#,
            colour(p),
            x + 16.0,
            p.name()
        );
    }
    // Decade grid lines.
    let mut e = lo_exp;
    while e <= hi_exp + 1e-9 {
        let v = 10f64.powf(e);
        let yy = y(v);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            human(v)
        );
        e += 1.0;
    }
    let group_w = plot_w / workloads.len().max(1) as f64;
    let bar_w = group_w * 0.8 / peers.len().max(1) as f64;
    for (g, &w) in workloads.iter().enumerate() {
        let gx = LEFT + g as f64 * group_w + group_w * 0.1;
        for (i, &p) in peers.iter().enumerate() {
            let Some(s) = summaries.iter().find(|s| s.workload == w && s.peer == p) else {
                continue;
            };
            let x = gx + i as f64 * bar_w;
            let top = y(s.ops.median);
            let base = TOP + plot_h;
            let _ = writeln!(
                svg,
                r#"<rect x="{x:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{} {}: {} ops/s</title></rect>"#,
                bar_w - 2.0,
                (base - top).max(0.0),
                colour(p),
                p.name(),
                w,
                human(s.ops.median)
            );
            let cx = x + (bar_w - 2.0) / 2.0;
            let _ = writeln!(
                svg,
                r#"<line x1="{cx:.1}" x2="{cx:.1}" y1="{:.1}" y2="{:.1}" stroke="black"/>"#,
                y(s.ops.min),
                y(s.ops.max)
            );
            let _ = writeln!(
                svg,
                r#"<text x="{cx:.1}" y="{:.1}" font-size="9" text-anchor="middle">{}</text>"#,
                y(s.ops.max) - 4.0,
                human(s.ops.median)
            );
        }
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">{}</text>"#,
            LEFT + (g as f64 + 0.5) * group_w,
            TOP + plot_h + 18.0,
            w
        );
    }
    let _ = writeln!(
        svg,
        r#"<line x1="{LEFT}" x2="{}" y1="{b}" y2="{b}" stroke="black"/>"#,
        WIDTH - RIGHT,
        b = TOP + plot_h
    );
    svg.push_str("</svg>\n");
    svg
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
