//! Daily prompts end to end: the real binary against the fake Discord, with the bot's clock
//! moved by the test (`SECUREBASE_CLOCK_FILE`). Subscribing with `/daily start`, the DM that
//! arrives once it is due, its buttons, closed DMs, 429s and restarts.

mod support;

use std::time::Duration;

use serde_json::{Value, json};

use securebase::store::{Store, UserId};
use support::fake_discord::payloads::{MEMBER, Place};
use support::fake_discord::{FakeDiscord, Recorded};
use support::harness::{Harness, Reply};

const ALICE: u64 = 111_111_111_111;
const GUILD: u64 = 700_000_000_001;
const CHANNEL: u64 = 700_000_000_002;
const CHANNEL_MESSAGE: u64 = 4;

fn member() -> Place {
    Place::Server {
        guild: GUILD,
        channel: CHANNEL,
        permissions: MEMBER,
    }
}

fn dm_path(user: u64) -> String {
    format!(
        "/api/v10/channels/{}/messages",
        FakeDiscord::dm_channel(user)
    )
}

fn start_options(zone: &str, time: &str) -> Value {
    json!([{"name": "start", "type": 1, "options": [
        {"name": "zone", "type": 3, "value": zone},
        {"name": "time", "type": 3, "value": time},
    ]}])
}

fn prompts_in(posts: &[Recorded]) -> Vec<Recorded> {
    posts
        .iter()
        .filter(|r| {
            r.body["content"]
                .as_str()
                .is_some_and(|c| c.contains("Today's self-compassion prompt"))
        })
        .cloned()
        .collect()
}

/// The status of every request to `path`, in order.
fn statuses(bot: &Harness, path: &str) -> Vec<u16> {
    bot.fake
        .requests()
        .iter()
        .filter(|r| r.path == path)
        .map(|r| r.status)
        .collect()
}

/// Subscribe `user` at 09:00 London, at 08:00 on 3 Dec 2026.
async fn subscribe(bot: &Harness, user: u64) -> Reply {
    bot.set_clock("2026-12-03T08:00:00Z");
    bot.slash(
        "daily",
        user,
        member(),
        start_options("Europe/London", "09:00"),
    )
    .await
}

/// Wait for the dispatcher to post the prompt to `user`'s DM.
async fn wait_for_prompt(bot: &Harness, user: u64, count: usize) -> Recorded {
    let path = dm_path(user);
    bot.fake
        .wait_until("the daily prompt DM", |_| {
            prompts_in(&bot.posts_to(&path)).len() >= count
        })
        .await;
    prompts_in(&bot.posts_to(&path))[count - 1].clone()
}

/// Let the dispatcher run a few ticks (it ticks every second), for checks that something
/// did *not* happen. A bound on waiting, not a timing assertion.
async fn a_few_ticks() {
    tokio::time::sleep(Duration::from_millis(3500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_advance_the_clock_and_the_dm_arrives_with_its_buttons_stop_stops_them() {
    let mut bot = Harness::start().await;
    let reply = subscribe(&bot, ALICE).await;
    assert!(reply.ephemeral(), "answered privately in the server");
    let text = reply.content();
    assert!(text.contains("Daily prompts are on"), "{text}");
    assert!(text.contains("at 09:00 (Europe/London)"), "{text}");
    assert!(text.contains("Thu 3 Dec at 09:00"), "{text}");
    assert!(text.contains("Subscribing is your agreement"), "{text}");

    // Not due yet: nothing is sent.
    a_few_ticks().await;
    assert!(prompts_in(&bot.posts_to(&dm_path(ALICE))).is_empty());

    bot.set_clock("2026-12-03T09:00:20Z");
    let prompt = wait_for_prompt(&bot, ALICE, 1).await;
    let message = Reply::posted(&prompt.body, Place::Dm);
    assert_eq!(
        message.labels(),
        ["Talk about it", "Pause a week", "Stop these"]
    );
    let opened = bot.posts_to("/api/v10/users/@me/channels");
    assert_eq!(opened.len(), 1, "the DM channel is opened once");
    // Prompts are content too: never in the logs, even at trace.
    let words = message
        .content()
        .lines()
        .nth(2)
        .unwrap_or_default()
        .to_string();
    assert!(words.len() > 10, "{}", message.content());
    assert!(
        !bot.log().contains(&words),
        "the prompt's text reached the log"
    );

    // "Talk about it" opens the prompt's follow-up dialogue (the reflection, unless the
    // prompt names another) as a new message under the prompt.
    let talk = bot.press(&message, "Talk about it", ALICE).await;
    assert_eq!(talk.kind, CHANNEL_MESSAGE, "the prompt stays in view");
    assert!(
        !talk.labels().is_empty(),
        "a dialogue step: {}",
        talk.content()
    );
    assert!(!talk.ephemeral());

    let stopped = bot.press(&message, "Stop these", ALICE).await;
    assert_eq!(stopped.kind, CHANNEL_MESSAGE);
    assert!(
        stopped.content().contains("Daily prompts are stopped"),
        "{}",
        stopped.content()
    );

    // The next day: nothing.
    bot.set_clock("2026-12-04T09:00:20Z");
    a_few_ticks().await;
    assert_eq!(prompts_in(&bot.posts_to(&dm_path(ALICE))).len(), 1);

    // Stopping deleted the subscription and the cached DM channel.
    let status = bot.stop().await;
    assert!(status.success());
    let store = Store::open(&bot.data_dir()).expect("store");
    let alice = UserId::new(format!("discord:{ALICE}")).expect("id");
    assert!(!store.holds_anything_of(&alice).expect("check"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_sent_before_a_restart_is_not_sent_again_and_the_cache_saves_a_request() {
    let mut bot = Harness::start().await;
    subscribe(&bot, ALICE).await;
    bot.set_clock("2026-12-03T09:00:20Z");
    wait_for_prompt(&bot, ALICE, 1).await;
    bot.restart().await;
    a_few_ticks().await;
    assert_eq!(prompts_in(&bot.posts_to(&dm_path(ALICE))).len(), 1);

    // Next day, after the restart: one more, through the cached DM channel.
    bot.set_clock("2026-12-04T09:00:20Z");
    wait_for_prompt(&bot, ALICE, 2).await;
    assert_eq!(bot.posts_to("/api/v10/users/@me/channels").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_a_week_from_the_prompt_and_status_says_when() {
    let bot = Harness::start().await;
    subscribe(&bot, ALICE).await;
    bot.set_clock("2026-12-03T09:00:20Z");
    let prompt = wait_for_prompt(&bot, ALICE, 1).await;
    let message = Reply::posted(&prompt.body, Place::Dm);
    let paused = bot.press(&message, "Pause a week", ALICE).await;
    assert!(
        paused
            .content()
            .contains("Paused. The next one is due Fri 11 Dec at 09:00."),
        "{}",
        paused.content()
    );
    let status = bot
        .slash(
            "daily",
            ALICE,
            Place::Dm,
            json!([{"name": "status", "type": 1, "options": []}]),
        )
        .await;
    assert!(
        status.content().contains("paused until"),
        "{}",
        status.content()
    );
    assert!(
        status.content().contains("Prompts so far: 1."),
        "{}",
        status.content()
    );
    bot.set_clock("2026-12-04T09:00:20Z");
    a_few_ticks().await;
    assert_eq!(prompts_in(&bot.posts_to(&dm_path(ALICE))).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_dms_hold_the_prompts_and_the_person_is_told_next_time() {
    let bot = Harness::start().await;
    subscribe(&bot, ALICE).await;
    bot.fake.close_dms(ALICE);
    bot.set_clock("2026-12-03T09:00:20Z");
    bot.fake
        .wait_for("the refused prompt", |r| {
            r.path == dm_path(ALICE) && r.reply_code == 50007
        })
        .await;
    // The hold is written just after Discord's answer: ask until it shows. The first answer
    // that shows it also says why (hold and notice land together), and only that one.
    let status = json!([{"name": "status", "type": 1, "options": []}]);
    let mut held = None;
    for _ in 0..50 {
        let reply = bot.slash("daily", ALICE, member(), status.clone()).await;
        if reply.content().contains("on hold") {
            held = Some(reply);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let held = held.expect("the subscription is held after 50007");
    assert!(
        held.content().contains("couldn't message you directly"),
        "{}",
        held.content()
    );
    assert!(
        held.content().contains("/daily resume"),
        "{}",
        held.content()
    );
    let again = bot.slash("help", ALICE, member(), json!([])).await;
    assert!(
        !again.content().contains("couldn't message you"),
        "told once"
    );
    // Held means no more attempts.
    bot.set_clock("2026-12-04T09:00:20Z");
    a_few_ticks().await;
    assert_eq!(statuses(&bot, &dm_path(ALICE)).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_waited_out_and_the_prompt_arrives_once() {
    let bot = Harness::start().await;
    subscribe(&bot, ALICE).await;
    // More 429s than the dispatcher's attempts at a failing request: a rate limit is waited
    // out, never a reason to drop a prompt that is already recorded as sent.
    bot.fake.fail_next(&dm_path(ALICE), 429, 8);
    bot.set_clock("2026-12-03T09:00:20Z");
    wait_for_prompt(&bot, ALICE, 1).await;
    assert_eq!(
        statuses(&bot, &dm_path(ALICE)),
        [429, 429, 429, 429, 429, 429, 429, 429, 200]
    );
    a_few_ticks().await;
    assert_eq!(prompts_in(&bot.posts_to(&dm_path(ALICE))).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_zone_or_time_is_explained_and_nothing_is_stored() {
    let mut bot = Harness::start().await;
    let reply = bot
        .slash(
            "daily",
            ALICE,
            member(),
            start_options("Mars/Olympus", "09:00"),
        )
        .await;
    assert!(
        reply.content().contains("not a time zone I know"),
        "{}",
        reply.content()
    );
    let reply = bot
        .slash(
            "daily",
            ALICE,
            member(),
            start_options("Europe/London", "25:00"),
        )
        .await;
    assert!(
        reply.content().contains("is not a time"),
        "{}",
        reply.content()
    );
    // A risk message typed back in DMs is still answered with crisis contacts first.
    let answer = bot.dm(ALICE, "i want to kill myself", 1).await;
    assert!(
        answer[0]["content"]
            .as_str()
            .is_some_and(|c| c.contains("automated")),
        "{answer:?}"
    );
    bot.stop().await;
    let store = Store::open(&bot.data_dir()).expect("store");
    let alice = UserId::new(format!("discord:{ALICE}")).expect("id");
    assert_eq!(store.subscription(&alice).expect("read"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discord_outage_delays_the_prompt_instead_of_losing_it() {
    let bot = Harness::start().await;
    subscribe(&bot, ALICE).await;
    // Every attempt fails (500) until the dispatcher gives up and gives the prompt back.
    bot.fake.fail_next(&dm_path(ALICE), 500, 6);
    bot.set_clock("2026-12-03T09:00:20Z");
    bot.fake
        .wait_until("six failed attempts", |_| {
            statuses(&bot, &dm_path(ALICE))
                .iter()
                .filter(|status| **status == 500)
                .count()
                >= 6
        })
        .await;
    // The dispatcher logs the outcome after giving the prompt back (for a minute later, by
    // its clock): wait for that before moving the clock on.
    bot.fake
        .wait_until("the prompt to be given back", |_| {
            bot.log().contains("outcome=Failed")
        })
        .await;
    assert!(prompts_in(&bot.posts_to(&dm_path(ALICE))).is_empty());
    // A couple of minutes later Discord is back: the same prompt goes out, once.
    bot.set_clock("2026-12-03T09:02:00Z");
    wait_for_prompt(&bot, ALICE, 1).await;
    a_few_ticks().await;
    assert_eq!(prompts_in(&bot.posts_to(&dm_path(ALICE))).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_does_not_make_a_second_message() {
    let bot = Harness::start().await;
    subscribe(&bot, ALICE).await;
    // Discord makes the message but answers 500: the dispatcher sends again, with the same
    // nonce, and gets the message it already made instead of a second one.
    bot.fake.lose_answers(&dm_path(ALICE), 500, 1);
    bot.set_clock("2026-12-03T09:00:20Z");
    wait_for_prompt(&bot, ALICE, 1).await;
    assert_eq!(statuses(&bot, &dm_path(ALICE)), [500, 200]);
    a_few_ticks().await;
    assert_eq!(bot.fake.created_in(FakeDiscord::dm_channel(ALICE)), 1);
}
