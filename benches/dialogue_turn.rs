//! One dialogue turn through the core, including the sled write of the session.
//!
//! `cargo bench --bench dialogue_turn` prints criterion's estimate, then p50/p99 over 20,000
//! single turns (criterion reports means and medians of batches, not tail latency).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use securebase::action::{Action, Command};
use securebase::bot::{Bot, BotOptions, Event, Reply};
use securebase::bundle::Bundle;
use securebase::store::{Store, UserId};

/// A bot with saving on for one person, on a real (temporary) sled database.
fn consenting_bot() -> (Bot, UserId) {
    let bundle =
        Bundle::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues")).expect("content");
    let bot = Bot::new(
        bundle,
        Store::temporary().expect("store"),
        BotOptions::default(),
    );
    let user = UserId::new("bench:1").expect("id");
    bot.handle(Event::action(&user, Action::Command(Command::ConsentGive)));
    (bot, user)
}

/// One turn: pick the first dialogue choice on offer (or start the menu), which moves the
/// session and writes it to sled.
fn turn(bot: &Bot, user: &UserId, last: &mut Vec<Reply>) {
    let action = last
        .iter()
        .flat_map(|r| r.options())
        .map(|o| o.action.clone())
        .find(|a| matches!(a, Action::Choose { .. }))
        .unwrap_or(Action::Start {
            dialogue: "checkin".into(),
        });
    *last = bot.handle(Event::action(user, action));
}

fn dialogue_turn(c: &mut Criterion) {
    let (bot, user) = consenting_bot();
    let mut last = Vec::new();
    c.bench_function("dialogue turn incl. sled write", |b| {
        b.iter(|| {
            turn(&bot, &user, &mut last);
            black_box(&last);
        })
    });
}

fn percentiles() {
    let (bot, user) = consenting_bot();
    let mut last = Vec::new();
    for _ in 0..1_000 {
        turn(&bot, &user, &mut last);
    }
    let mut samples: Vec<Duration> = (0..20_000)
        .map(|_| {
            let start = Instant::now();
            turn(&bot, &user, &mut last);
            start.elapsed()
        })
        .collect();
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!(
        "dialogue turn incl. sled write over {} turns: p50 {:?}, p99 {:?}, max {:?}",
        samples.len(),
        at(0.50),
        at(0.99),
        samples[samples.len() - 1]
    );
}

criterion_group!(benches, dialogue_turn);

fn main() {
    benches();
    percentiles();
    Criterion::default().configure_from_args().final_summary();
}
