//! The daily-prompt scheduler at scale: a sled store on disk with 1,000,000 subscribers whose
//! times are spread over the day (about 700 due in any one minute), measuring
//!
//! - import and index rebuild (what a start after a time-zone database update costs),
//! - start-up with a current index (open the store and check the index mark),
//! - a tick that claims one minute's due prompts (~700: each recorded as sent and rescheduled
//!   in a sled transaction, then one flush), over 240 consecutive minutes,
//! - a tick with nothing due (the cost every second between minutes),
//! - peak RSS of this process.
//!
//! `cargo bench --bench daily_scale` (`DAILY_SUBSCRIBERS=N` for another size).

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveTime, Utc};
use securebase::daily::{DEFAULT_GRACE, DailyTime, Subscription};
use securebase::store::{Store, UserId};

const ZONES: [chrono_tz::Tz; 4] = [
    chrono_tz::Europe::London,
    chrono_tz::America::New_York,
    chrono_tz::Asia::Kolkata,
    chrono_tz::Australia::Sydney,
];

fn main() {
    let subscribers: usize = std::env::var("DAILY_SUBSCRIBERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let start: DateTime<Utc> = "2026-12-03T00:00:00Z".parse().expect("instant");
    println!("subscribers: {subscribers}");

    let store = Store::open(dir.path()).expect("store");
    let began = Instant::now();
    let subs = (0..subscribers).map(|i| {
        let minute = (i / ZONES.len()) % 1440;
        let time =
            NaiveTime::from_hms_opt((minute / 60) as u32, (minute % 60) as u32, 0).expect("time");
        let sub = Subscription::new(ZONES[i % ZONES.len()], DailyTime::At(time), i as u64, start);
        (
            UserId::new(format!("discord:{}", 100_000_000_000 + i)).expect("id"),
            sub,
        )
    });
    let indexed = store.import_subscriptions(subs, start).expect("import");
    println!(
        "import {subscribers} records and build the index: {:.2} s ({indexed} indexed)",
        began.elapsed().as_secs_f64()
    );

    let mut rebuilds = Vec::new();
    for _ in 0..3 {
        let began = Instant::now();
        store.rebuild_daily_index(start).expect("rebuild");
        rebuilds.push(began.elapsed());
    }
    rebuilds.sort();
    println!(
        "rebuild the due index from {subscribers} records: median {:.2} s (of 3: {})",
        rebuilds[1].as_secs_f64(),
        list(&rebuilds)
    );
    store.flush().expect("flush");
    drop(store);

    let began = Instant::now();
    let store = Store::open(dir.path()).expect("reopen");
    let opened = began.elapsed();
    let rebuilt = store.ensure_daily_index(start).expect("ensure");
    println!(
        "start-up with a current index: open {:.0} ms + index check {:.3} ms (rebuilt: {})",
        opened.as_secs_f64() * 1000.0,
        (began.elapsed() - opened).as_secs_f64() * 1000.0,
        rebuilt.is_some()
    );

    // Catch up to 05:59:30 (as after a start: what is older than the grace period is skipped,
    // the rest claimed late), untimed; then one tick per minute, 30 s into it, 06:00-10:00.
    let caught_up = store
        .claim_due(
            "discord:",
            start + chrono::Duration::minutes(359) + chrono::Duration::seconds(30),
            DEFAULT_GRACE,
            usize::MAX,
        )
        .expect("catch up");
    println!(
        "catching up to 05:59:30: {} claimed late, {} skipped (untimed)",
        caught_up.claims.len(),
        caught_up.skipped
    );
    let mut ticks = Vec::new();
    let mut claimed = 0;
    for minute in 360..600 {
        let now = start + chrono::Duration::minutes(minute) + chrono::Duration::seconds(30);
        let began = Instant::now();
        let tick = store
            .claim_due("discord:", now, DEFAULT_GRACE, 10_000)
            .expect("tick");
        ticks.push(began.elapsed());
        claimed += tick.claims.len();
    }
    let per_tick = claimed as f64 / ticks.len() as f64;
    ticks.sort();
    println!(
        "tick claiming one minute's prompts ({per_tick:.0} due on average, 240 ticks): p50 {} / p99 {} / max {} ({:.1} µs per prompt at p50)",
        ms(percentile(&ticks, 0.50)),
        ms(percentile(&ticks, 0.99)),
        ms(*ticks.last().expect("ticks")),
        percentile(&ticks, 0.50).as_secs_f64() * 1e6 / per_tick
    );

    // Between minutes: nothing due. This is what every other second costs.
    let idle_now = start + chrono::Duration::minutes(599) + chrono::Duration::seconds(45);
    let mut idle = Vec::new();
    for _ in 0..10_000 {
        let began = Instant::now();
        let tick = store
            .claim_due("discord:", idle_now, DEFAULT_GRACE, 10_000)
            .expect("tick");
        idle.push(began.elapsed());
        assert!(tick.claims.is_empty());
    }
    idle.sort();
    println!(
        "tick with nothing due (10,000 ticks): p50 {:.1} µs / p99 {:.1} µs",
        percentile(&idle, 0.50).as_secs_f64() * 1e6,
        percentile(&idle, 0.99).as_secs_f64() * 1e6
    );

    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!(
            "peak RSS of the benchmark process: {}",
            line.trim_start_matches("VmHWM:").trim()
        );
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn list(ds: &[Duration]) -> String {
    ds.iter()
        .map(|d| format!("{:.2} s", d.as_secs_f64()))
        .collect::<Vec<_>>()
        .join(", ")
}
