//! Prints the ratio table of the latest criterion run (medians), as Markdown for
//! `BENCHMARKS.md`: `cargo run --release -p booking-benches --bin report [CRITERION_DIR]`.
//!
//! The criterion directory defaults to `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`
//! (where criterion writes when the target directory is moved), else `target/criterion`.

use std::path::{Path, PathBuf};

/// The median of a benchmark, in nanoseconds per iteration, or `None` if it did not run.
fn median(dir: &Path, id: &str) -> Option<f64> {
    let text = std::fs::read_to_string(dir.join(id).join("new").join("estimates.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}

/// A figure for a table cell.
fn fmt(v: Option<f64>, unit: f64, digits: usize) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{:.*}", digits, v / unit))
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? / b?)
}

fn verdict(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "met",
        Some(false) => "**missed**",
        None => "n/a",
    }
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("CRITERION_HOME").map(PathBuf::from))
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(|t| PathBuf::from(t).join("criterion")))
        .unwrap_or_else(|| PathBuf::from("target/criterion"));
    let m = |id: &str| median(&dir, id);
    const US: f64 = 1e3;
    const MS: f64 = 1e6;
    let mut rows: Vec<[String; 5]> = Vec::new();
    let mut row = |what: &str, figure: String, baseline: String, ratio: String, target: String| {
        rows.push([what.to_owned(), figure, baseline, ratio, target]);
    };

    // Item 1: the in-memory engine.
    for op in ["book", "cancel"] {
        let engine = m(&format!("engine_many_sessions/{op}"));
        let floor = m(&format!("engine_many_sessions/{op}_floor"));
        let r = ratio(engine, floor);
        row(
            &format!("{op} a seat, 10,000 sessions x 10 seats (per command)"),
            format!("{} µs", fmt(engine, US, 3)),
            format!("floor {} µs", fmt(floor, US, 3)),
            format!("engine/floor **{}x**", fmt(r, 1.0, 1)),
            format!("<= 4x: {}", verdict(r.map(|r| r <= 4.0))),
        );
    }
    let commands = 120.0;
    let one = m("engine_hot_session/1_thread");
    let two = m("engine_hot_session/2_threads");
    let f1 = m("engine_hot_session/floor_1_thread");
    let f2 = m("engine_hot_session/floor_2_threads");
    let throughput = ratio(one, two);
    row(
        "hot session, 60 students book + cancel, 1 thread (per command)",
        format!("{} µs", fmt(one, US * commands, 3)),
        format!("floor {} µs", fmt(f1, US * commands, 3)),
        format!("engine/floor {}x", fmt(ratio(one, f1), 1.0, 1)),
        String::new(),
    );
    row(
        "hot session, same work from 2 threads (per command)",
        format!("{} µs", fmt(two, US * commands, 3)),
        format!("floor {} µs (floor 2/1 threads: {}x)", fmt(f2, US * commands, 3), fmt(ratio(f1, f2), 1.0, 2)),
        format!("throughput 2 threads/1 thread **{}x**", fmt(throughput, 1.0, 2)),
        format!(">= 0.8x: {}", verdict(throughput.map(|r| r >= 0.8))),
    );
    let two_sessions = m("engine_hot_session/2_threads_2_sessions");
    let no_queue = m("engine_hot_session/2_threads_no_queue");
    row(
        "diagnostic: 2 threads, each on a session of its own (per command)",
        format!("{} µs", fmt(two_sessions, US * 2.0 * commands, 3)),
        String::new(),
        format!("throughput vs 1 thread {}x", fmt(ratio(one.map(|v| 2.0 * v), two_sessions), 1.0, 2)),
        String::new(),
    );
    row(
        "diagnostic: 2 threads on one session, in-process queue off (per command)",
        format!("{} µs", fmt(no_queue, US * commands, 3)),
        String::new(),
        format!("throughput vs 1 thread {}x", fmt(ratio(one, no_queue), 1.0, 2)),
        String::new(),
    );
    let spin = m("engine_hot_session/2_threads_spin_turns");
    row(
        "diagnostic: 2 threads on one session, turns taken on a spinning lock before the engine (per command)",
        format!("{} µs", fmt(spin, US * commands, 3)),
        String::new(),
        format!("throughput vs 1 thread {}x", fmt(ratio(one, spin), 1.0, 2)),
        String::new(),
    );

    // Item 2: availability listing.
    let engine = |d: u32| m(&format!("listing_one_teacher/engine/{d}d"));
    let floor = |d: u32| m(&format!("listing_one_teacher/floor/{d}d"));
    let expand = |d: u32| m(&format!("listing_one_teacher/expand_only/{d}d"));
    for d in [30, 90, 365] {
        let target =
            if d == 90 { format!("< 50 µs: {}", verdict(engine(d).map(|v| v < 50.0 * US))) } else { String::new() };
        row(
            &format!("list one teacher, {d} days"),
            format!("{} µs", fmt(engine(d), US, 1)),
            format!("floor {} µs; expansion alone {} µs", fmt(floor(d), US, 1), fmt(expand(d), US, 1)),
            format!("engine/floor {}x", fmt(ratio(engine(d), floor(d)), 1.0, 1)),
            target,
        );
    }
    let r1 = ratio(engine(90), engine(30));
    let r2 = ratio(engine(365), engine(90));
    row(
        "listing growth with the window",
        format!("90d/30d **{}x**, 365d/90d **{}x**", fmt(r1, 1.0, 2), fmt(r2, 1.0, 2)),
        format!("floor: {}x, {}x", fmt(ratio(floor(90), floor(30)), 1.0, 2), fmt(ratio(floor(365), floor(90)), 1.0, 2)),
        "window ratio 3.00x, 4.06x".to_owned(),
        format!("linear (<= window ratio): {}", verdict(Some(r1.zip(r2).is_some_and(|(a, b)| a <= 3.3 && b <= 4.5)))),
    );
    let many = m("listing_1000_teachers/engine_30d");
    let many_floor = m("listing_1000_teachers/floor_30d");
    row(
        "list 1,000 teachers, 30 days each",
        format!("{} ms", fmt(many, MS, 2)),
        format!("floor {} ms", fmt(many_floor, MS, 2)),
        format!("engine/floor {}x", fmt(ratio(many, many_floor), 1.0, 1)),
        format!("< 100 ms: {}", verdict(many.map(|v| v < 100.0 * MS))),
    );

    println!("| what | median | baseline (same run) | ratio | target |");
    println!("|---|---|---|---|---|");
    for [a, b, c, d, e] in rows {
        println!("| {a} | {b} | {c} | {d} | {e} |");
    }
}
