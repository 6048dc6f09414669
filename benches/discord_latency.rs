//! Interaction-to-callback latency of the real bot over loopback, and its peak memory.
//!
//! Runs the release `securebase run` against the fake Discord of `tests/support` and sends
//! interactions one at a time, timing each from the moment the fake puts it on the gateway to
//! the moment the bot's callback reaches the fake's REST side. Then a burst of concurrent
//! clicks. Prints p50/p99/max per kind and the bot's peak RSS (VmHWM) from /proc.
//!
//! `cargo bench --bench discord_latency` (set `LATENCY_ROUNDS` for another count).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Duration;

use serde_json::json;

use support::fake_discord::payloads::{self, MEMBER, Place};
use support::harness::{Component, Harness, Options};

const USER: u64 = 111_111_111_111;
const PLACE: Place = Place::Server {
    guild: 700_000_000_001,
    channel: 700_000_000_002,
    permissions: MEMBER,
};

fn main() {
    let rounds: usize = std::env::var("LATENCY_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|&r| r > 0)
        .unwrap_or(1000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(measure(rounds));
}

async fn measure(rounds: usize) {
    // Logging as in production (the default `info`).
    let mut bot = Harness::start_with(Options {
        log_level: "info".to_string(),
        ..Options::default()
    })
    .await;
    let pid = bot.pid().expect("bot pid");
    println!("bot binary: {}", env!("CARGO_BIN_EXE_securebase"));

    // Warm up: content and caches.
    let menu = bot.slash("start", USER, PLACE, json!([])).await;
    for _ in 0..50 {
        bot.press(&menu, "What is this bot?", USER).await;
    }
    bot.fake.clear();

    let mut slash = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        slash.push(bot.slash("start", USER, PLACE, json!([])).await.latency);
        bot.fake.clear();
    }
    report("slash command /start (new ephemeral message)", &mut slash);

    let mut clicks = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        clicks.push(bot.press(&menu, "What is this bot?", USER).await.latency);
        bot.fake.clear();
    }
    report("select-menu click (update in place)", &mut clicks);

    let mut burst = concurrent_clicks(&bot, rounds).await;
    report(
        &format!("{rounds} clicks sent at once (100 people), time to each callback"),
        &mut burst,
    );

    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    for field in ["VmHWM", "VmRSS"] {
        if let Some(line) = status.lines().find(|l| l.starts_with(field)) {
            println!("{line}");
        }
    }
    let stopped = bot.stop().await;
    println!("stopped: {stopped}");
}

/// All clicks dispatched back to back from 100 different people, then every callback awaited.
async fn concurrent_clicks(bot: &Harness, rounds: usize) -> Vec<Duration> {
    let mut menus = Vec::new();
    for person in 0..100u64 {
        menus.push(
            bot.slash("start", USER + 1 + person, PLACE, json!([]))
                .await,
        );
    }
    bot.fake.clear();
    let mut sent = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let menu = &menus[i % menus.len()];
        let user = USER + 1 + (i % menus.len()) as u64;
        let Some(Component::Option { select, value }) = menu.component("What is this bot?") else {
            panic!("no menu option");
        };
        let id = bot.fake.next_id();
        let payload = payloads::select(id, &select, &value, user, PLACE, menu.as_message());
        sent.push((id, std::time::Instant::now()));
        bot.fake.dispatch("INTERACTION_CREATE", payload);
    }
    let mut latencies = Vec::with_capacity(rounds);
    for (id, at) in sent {
        let response = bot.fake.response_to(id).await;
        latencies.push(response.at.duration_since(at));
    }
    latencies
}

fn report(what: &str, latencies: &mut [Duration]) {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let mean = latencies.iter().sum::<Duration>() / latencies.len() as u32;
    println!(
        "{what}: n={} p50={:.2?} p99={:.2?} max={:.2?} mean={:.2?}",
        latencies.len(),
        at(0.50),
        at(0.99),
        latencies[latencies.len() - 1],
        mean
    );
}
