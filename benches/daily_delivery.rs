//! Delivery of 10,000 due daily prompts by the real bot to a fake Discord that enforces
//! Discord's global limit of 50 requests per second (429 with `retry_after` beyond it).
//!
//! The store is prepared before the bot starts: 10,000 subscribers due at 09:00 UTC with their
//! DM channels cached (the steady state: a channel is opened once, at the first delivery), and
//! the bot's clock set to 09:00. Reported: prompts delivered per second from the first to the
//! last, as a share of the bot's budget (`daily.requests_per_second`, default 40), and how many
//! 429s the fake had to send.
//!
//! `cargo bench --bench daily_delivery` (`DAILY_BENCH_PROMPTS=N`, `DAILY_BENCH_RATE=R` for the
//! bot's budget, `DAILY_BENCH_LIMIT=L` for the fake's limit). At the defaults it takes about four minutes: 10,000 / 40 per second.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use securebase::daily::{DailyTime, Subscription};
use securebase::store::{Store, UserId};
use support::fake_discord::FakeDiscord;
use support::harness::{Harness, Options};

/// Discord's global limit, which the fake enforces (`DAILY_BENCH_LIMIT` for another, to watch
/// the dispatcher honour 429s when its budget is set above what the server allows).
const DISCORD_LIMIT: u32 = 50;

fn main() {
    let env = |name: &str, default: u32| -> u32 {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&v| v > 0)
            .unwrap_or(default)
    };
    let prompts = env("DAILY_BENCH_PROMPTS", 10_000) as usize;
    let rate = env("DAILY_BENCH_RATE", 40);
    let limit = env("DAILY_BENCH_LIMIT", DISCORD_LIMIT);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(measure(prompts, rate, limit));
}

async fn measure(prompts: usize, rate: u32, limit: u32) {
    let fake = FakeDiscord::start().await;
    fake.enforce_rate(limit);
    let mut bot = Harness::unstarted(
        Options {
            log_level: "info".to_string(),
            daily_requests_per_second: Some(rate),
            ..Options::default()
        },
        fake,
    );
    prepare(&bot, prompts);
    bot.set_clock("2026-12-03T09:00:00Z");
    println!("bot binary: {}", env!("CARGO_BIN_EXE_securebase"));
    println!("{prompts} prompts due; bot budget {rate} requests/s; fake enforces {limit}/s");
    bot.spawn().await;

    let started = Instant::now();
    let patience = Duration::from_secs_f64(prompts as f64 / f64::from(rate) * 3.0 + 60.0);
    let delivered = loop {
        let delivered = deliveries(&bot);
        if delivered.len() >= prompts || started.elapsed() > patience {
            break delivered;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let requests = bot.fake.requests();
    let rate_limited = requests.iter().filter(|r| r.status == 429).count();
    let opened = requests
        .iter()
        .filter(|r| r.path == "/api/v10/users/@me/channels")
        .count();
    let (first, last) = (delivered[0], delivered[delivered.len() - 1]);
    let span = last.duration_since(first).as_secs_f64();
    let per_second = (delivered.len() - 1) as f64 / span;
    println!(
        "delivered {} of {prompts} in {span:.1} s (first to last): {per_second:.2} prompts/s = {:.1}% of the {rate}/s budget",
        delivered.len(),
        per_second / f64::from(rate) * 100.0
    );
    println!("429 responses: {rate_limited}; DM channels opened: {opened}");
    // Steadiness: the busiest and quietest whole seconds.
    let mut per_window = std::collections::BTreeMap::<u64, u32>::new();
    for at in &delivered {
        *per_window
            .entry(at.duration_since(first).as_secs())
            .or_default() += 1;
    }
    let full: Vec<u32> = per_window
        .iter()
        .filter(|(second, _)| (**second as f64) < span.floor())
        .map(|(_, n)| *n)
        .collect();
    if let (Some(min), Some(max)) = (full.iter().min(), full.iter().max()) {
        println!("requests in each whole second: min {min}, max {max}");
    }
    bot.stop().await;
}

/// When each prompt reached the fake, in order.
fn deliveries(bot: &Harness) -> Vec<Instant> {
    let mut at: Vec<Instant> = bot
        .fake
        .requests()
        .iter()
        .filter(|r| {
            r.method == "POST"
                && r.status == 200
                && r.path.starts_with("/api/v10/channels/")
                && r.path.ends_with("/messages")
        })
        .map(|r| r.at)
        .collect();
    at.sort();
    at
}

/// `prompts` subscribers due at 09:00 UTC, DM channels cached.
fn prepare(bot: &Harness, prompts: usize) {
    let store = Store::open(&bot.data_dir()).expect("store");
    let now = "2026-12-03T08:00:00Z".parse().expect("instant");
    let nine = DailyTime::At(chrono::NaiveTime::from_hms_opt(9, 0, 0).expect("time"));
    let people: Vec<u64> = (0..prompts as u64).map(|i| 200_000_000_000 + i).collect();
    let subs = people.iter().map(|&id| {
        (
            UserId::new(format!("discord:{id}")).expect("id"),
            Subscription::new(chrono_tz::UTC, nine, id, now),
        )
    });
    store.import_subscriptions(subs, now).expect("import");
    for &id in &people {
        let user = UserId::new(format!("discord:{id}")).expect("id");
        store
            .save_dm_channel(&user, FakeDiscord::dm_channel(id))
            .expect("cache");
    }
    store.flush().expect("flush");
}
