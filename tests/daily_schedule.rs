//! The daily-prompt scheduler against a real sled store, driven by a simulated clock: a tick
//! every simulated minute, as the drivers do every second. Each test names the situation it
//! checks: daylight-saving changes, zone changes, restarts, downtime, stopping and pausing.

use chrono::{DateTime, Duration, Utc};
use securebase::daily::{DEFAULT_GRACE, DailyTime, Subscription, parse_zone};
use securebase::store::{Store, UserId};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test instant")
        .with_timezone(&Utc)
}

fn user(n: u32) -> UserId {
    UserId::new(format!("discord:{n}")).expect("id")
}

/// Open the store in `dir` again. sled's background thread can hold the file lock for a
/// moment after the previous handle is dropped: wait for it (a bound, not a timing check).
fn reopen(dir: &std::path::Path) -> Store {
    let mut tries = 0;
    loop {
        match Store::open(dir) {
            Ok(store) => return store,
            Err(e) if tries < 200 => {
                tries += 1;
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("reopen: {e}"),
        }
    }
}

/// Subscribe `who` at `time` in `zone`, as of the instant `now` (RFC 3339).
fn subscribe(store: &Store, who: &UserId, zone: &str, time: &str, now: &str) {
    let time: DailyTime = time.parse().expect("time");
    let sub = Subscription::new(parse_zone(zone).expect("zone"), time, 11, utc(now));
    store.save_subscription(who, &sub).expect("save");
}

/// Tick once a minute from `from` to `to`; every claimed prompt, as (person, due, sent at).
fn run(store: &Store, from: &str, to: &str) -> Vec<(UserId, DateTime<Utc>, DateTime<Utc>)> {
    let mut sent = Vec::new();
    let (mut now, to) = (utc(from), utc(to));
    while now <= to {
        let tick = store
            .claim_due("discord:", now, DEFAULT_GRACE, 10_000)
            .expect("tick");
        for claim in tick.claims {
            assert!(store.still_wanted(&claim).expect("check"));
            sent.push((claim.user, claim.due, now));
        }
        now += Duration::minutes(1);
    }
    sent
}

/// [`run`], and when each prompt went out, in `zone`'s local time.
fn sent_local(store: &Store, from: &str, to: &str, zone: &str) -> Vec<String> {
    local(&run(store, from, to), zone)
}

fn local(sent: &[(UserId, DateTime<Utc>, DateTime<Utc>)], zone: &str) -> Vec<String> {
    let zone = parse_zone(zone).expect("zone");
    sent.iter()
        .map(|(_, _, at)| {
            at.with_timezone(&zone)
                .format("%Y-%m-%d %H:%M %Z")
                .to_string()
        })
        .collect()
}

#[test]
fn spring_forward_new_york_a_0230_prompt_goes_out_once_at_0330() {
    let store = Store::temporary().expect("store");
    let who = user(1);
    subscribe(
        &store,
        &who,
        "America/New_York",
        "02:30",
        "2026-03-06T12:00:00Z",
    );
    assert_eq!(
        sent_local(
            &store,
            "2026-03-06T12:00:00Z",
            "2026-03-10T12:00:00Z",
            "America/New_York"
        ),
        [
            "2026-03-07 02:30 EST",
            "2026-03-08 03:30 EDT", // 02:30 does not exist that day
            "2026-03-09 02:30 EDT",
            "2026-03-10 02:30 EDT",
        ]
    );
}

#[test]
fn spring_forward_london() {
    let store = Store::temporary().expect("store");
    subscribe(
        &store,
        &user(1),
        "Europe/London",
        "01:30",
        "2026-03-28T00:00:00Z",
    );
    subscribe(
        &store,
        &user(2),
        "Europe/London",
        "09:00",
        "2026-03-28T00:00:00Z",
    );
    let sent = run(&store, "2026-03-28T00:00:00Z", "2026-03-30T23:00:00Z");
    let mut lines = local(&sent, "Europe/London");
    lines.sort();
    assert_eq!(
        lines,
        [
            "2026-03-28 01:30 GMT",
            "2026-03-28 09:00 GMT",
            "2026-03-29 02:30 BST",
            "2026-03-29 09:00 BST",
            "2026-03-30 01:30 BST",
            "2026-03-30 09:00 BST",
        ]
    );
}

#[test]
fn fall_back_new_york_and_london_the_repeated_hour_sends_once() {
    let store = Store::temporary().expect("store");
    subscribe(
        &store,
        &user(1),
        "America/New_York",
        "01:30",
        "2026-10-31T12:00:00Z",
    );
    subscribe(
        &store,
        &user(2),
        "Europe/London",
        "01:30",
        "2026-10-24T12:00:00Z",
    );
    let sent = run(&store, "2026-10-24T12:00:00Z", "2026-11-02T12:00:00Z");
    let (ny, london): (Vec<_>, Vec<_>) = sent.into_iter().partition(|(u, _, _)| *u == user(1));
    assert_eq!(
        local(&ny, "America/New_York"),
        ["2026-11-01 01:30 EDT", "2026-11-02 01:30 EST"]
    );
    let london = local(&london, "Europe/London");
    assert_eq!(london.len(), 9, "{london:?}");
    assert!(
        london.contains(&"2026-10-25 01:30 BST".to_string()),
        "{london:?}"
    );
    assert!(!london.iter().any(|l| l.starts_with("2026-10-25 01:30 GMT")));
}

#[test]
fn changing_zone_the_same_day_does_not_send_twice() {
    let store = Store::temporary().expect("store");
    let who = user(1);
    subscribe(
        &store,
        &who,
        "Europe/London",
        "09:00",
        "2026-12-03T08:00:00Z",
    );
    let first = run(&store, "2026-12-03T08:00:00Z", "2026-12-03T09:30:00Z");
    assert_eq!(first.len(), 1);
    store
        .update_subscription(&who, |sub| {
            sub.map(|s| {
                s.change(
                    chrono_tz::Asia::Tokyo,
                    "20:00".parse().expect("time"),
                    utc("2026-12-03T09:30:00Z"),
                )
            })
        })
        .expect("change");
    assert_eq!(
        sent_local(
            &store,
            "2026-12-03T09:31:00Z",
            "2026-12-05T12:00:00Z",
            "Asia/Tokyo"
        ),
        ["2026-12-04 20:00 JST", "2026-12-05 20:00 JST"]
    );
}

#[test]
fn a_restart_mid_day_neither_repeats_nor_loses_a_prompt() {
    let dir = tempfile::tempdir().expect("dir");
    let who = user(1);
    {
        let store = Store::open(dir.path()).expect("open");
        // What a driver does at start: a fresh store gets its (empty) index marked.
        assert_eq!(
            store
                .ensure_daily_index(utc("2026-12-03T08:00:00Z"))
                .expect("index"),
            Some(0)
        );
        subscribe(
            &store,
            &who,
            "Europe/London",
            "09:00",
            "2026-12-03T08:00:00Z",
        );
        subscribe(
            &store,
            &user(2),
            "Europe/London",
            "15:00",
            "2026-12-03T08:00:00Z",
        );
        let morning = run(&store, "2026-12-03T08:00:00Z", "2026-12-03T12:00:00Z");
        assert_eq!(morning.len(), 1);
    }
    // Down from 12:00 to 12:30; the 09:00 prompt was recorded before the restart.
    let store = reopen(dir.path());
    assert_eq!(
        store
            .ensure_daily_index(utc("2026-12-03T12:30:00Z"))
            .expect("index"),
        None
    );
    let afternoon = run(&store, "2026-12-03T12:30:00Z", "2026-12-03T23:00:00Z");
    assert_eq!(afternoon.len(), 1);
    assert_eq!(afternoon[0].0, user(2));
}

#[test]
fn five_hours_down_skips_old_prompts_and_sends_recent_ones_late() {
    let store = Store::temporary().expect("store");
    // Due 06:00 (missed by 5 h: skipped) and 09:00 (missed by 2 h: sent late at 11:00).
    subscribe(&store, &user(1), "Etc/UTC", "06:00", "2026-12-03T00:00:00Z");
    subscribe(&store, &user(2), "Etc/UTC", "09:00", "2026-12-03T00:00:00Z");
    let before = run(&store, "2026-12-03T00:00:00Z", "2026-12-03T05:59:00Z");
    assert!(before.is_empty());
    // Down from 06:00 to 11:00: the first tick after is at 11:00.
    let tick = store
        .claim_due(
            "discord:",
            utc("2026-12-03T11:00:00Z"),
            DEFAULT_GRACE,
            10_000,
        )
        .expect("tick");
    assert_eq!(tick.skipped, 1);
    assert_eq!(tick.claims.len(), 1);
    assert_eq!(tick.claims[0].user, user(2));
    assert_eq!(tick.claims[0].due, utc("2026-12-03T09:00:00Z"));
    // Both are back to normal the next day.
    let next = run(&store, "2026-12-03T11:01:00Z", "2026-12-04T10:00:00Z");
    assert_eq!(next.len(), 2);
}

#[test]
fn stopping_between_queueing_and_sending_cancels_the_send() {
    let store = Store::temporary().expect("store");
    let (a, b) = (user(1), user(2));
    subscribe(&store, &a, "Etc/UTC", "09:00", "2026-12-03T00:00:00Z");
    subscribe(&store, &b, "Etc/UTC", "09:00", "2026-12-03T00:00:00Z");
    let tick = store
        .claim_due(
            "discord:",
            utc("2026-12-03T09:00:00Z"),
            DEFAULT_GRACE,
            10_000,
        )
        .expect("tick");
    assert_eq!(tick.claims.len(), 2);
    // Queued; now one stops and the other pauses before the dispatcher gets to them.
    store.unsubscribe(&a).expect("stop");
    store
        .update_subscription(&b, |s| s.map(|s| s.pause(7, utc("2026-12-03T09:00:01Z"))))
        .expect("pause");
    for claim in &tick.claims {
        assert!(!store.still_wanted(claim).expect("check"), "{claim:?}");
    }
    assert!(!store.holds_anything_of(&a).expect("check"));
    let week = run(&store, "2026-12-03T09:01:00Z", "2026-12-10T08:59:00Z");
    assert!(week.is_empty(), "{week:?}");
}

#[test]
fn pause_and_resume_across_midnight() {
    let store = Store::temporary().expect("store");
    let who = user(1);
    subscribe(
        &store,
        &who,
        "Europe/London",
        "09:00",
        "2026-12-03T08:00:00Z",
    );
    assert_eq!(
        run(&store, "2026-12-03T08:00:00Z", "2026-12-03T23:50:00Z").len(),
        1
    );
    store
        .update_subscription(&who, |s| s.map(|s| s.pause(1, utc("2026-12-03T23:50:00Z"))))
        .expect("pause");
    assert!(run(&store, "2026-12-03T23:51:00Z", "2026-12-04T00:10:00Z").is_empty());
    store
        .update_subscription(&who, |s| s.map(|s| s.resume(utc("2026-12-04T00:10:00Z"))))
        .expect("resume");
    assert_eq!(
        sent_local(
            &store,
            "2026-12-04T00:11:00Z",
            "2026-12-04T23:59:00Z",
            "Europe/London"
        ),
        ["2026-12-04 09:00 GMT"]
    );
}

#[test]
fn closed_dms_hold_the_subscription_and_leave_a_notice() {
    let store = Store::temporary().expect("store");
    let who = user(1);
    subscribe(&store, &who, "Etc/UTC", "09:00", "2026-12-03T00:00:00Z");
    store.hold_dms_closed(&who).expect("hold");
    assert!(run(&store, "2026-12-03T00:00:00Z", "2026-12-06T00:00:00Z").is_empty());
    assert_eq!(
        store.take_daily_notice(&who).expect("notice"),
        Some(securebase::daily::Notice::DmsClosed)
    );
    assert_eq!(store.take_daily_notice(&who).expect("notice"), None);
}

#[test]
fn a_stale_or_unreadable_index_is_rebuilt_from_the_records() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path()).expect("open");
    let now = utc("2026-12-03T08:00:00Z");
    // First start: no mark yet, so the (empty) index is built and marked.
    assert_eq!(store.ensure_daily_index(now).expect("index"), Some(0));
    for n in 0..50 {
        subscribe(
            &store,
            &user(n),
            "Europe/London",
            "09:00",
            "2026-12-03T08:00:00Z",
        );
    }
    assert_eq!(store.ensure_daily_index(now).expect("index"), None);
    assert_eq!(store.rebuild_daily_index(now).expect("rebuild"), 50);
    assert_eq!(
        run(&store, "2026-12-03T08:00:00Z", "2026-12-03T09:00:00Z").len(),
        50
    );
}

#[test]
fn export_and_erase_cover_the_subscription() {
    let store = Store::temporary().expect("store");
    let who = user(1);
    subscribe(
        &store,
        &who,
        "Europe/London",
        "09:00",
        "2026-12-03T08:00:00Z",
    );
    store.save_dm_channel(&who, 555).expect("dm");
    let export = store.export(&who).expect("export");
    assert_eq!(export["daily_prompts"]["zone"], "Europe/London");
    assert_eq!(export["daily_prompts"]["time"], "09:00");
    assert_eq!(export["dm_channel"], "555");
    store.erase(&who).expect("erase");
    assert!(!store.holds_anything_of(&who).expect("check"));
    // Non-subscribers' DM channels are never kept.
    store.save_dm_channel(&user(2), 556).expect("dm");
    assert_eq!(store.dm_channel(&user(2)).expect("dm"), None);
}

#[test]
fn two_days_down_skips_the_old_prompt_and_sends_todays_late() {
    let store = Store::temporary().expect("store");
    subscribe(
        &store,
        &user(1),
        "Europe/London",
        "09:00",
        "2026-11-30T08:00:00Z",
    );
    // Down from Mon 08:00 to Wed 10:00: the first tick skips Monday's and finds Wednesday's.
    assert_eq!(
        sent_local(
            &store,
            "2026-12-02T10:00:00Z",
            "2026-12-03T10:00:00Z",
            "Europe/London"
        ),
        ["2026-12-02 10:01 GMT", "2026-12-03 09:00 GMT"]
    );
}

#[test]
fn a_failed_delivery_is_given_back_and_sent_once_later() {
    let store = Store::temporary().expect("store");
    let who = user(1);
    subscribe(&store, &who, "Etc/UTC", "09:00", "2026-12-03T00:00:00Z");
    let tick = store
        .claim_due("discord:", utc("2026-12-03T09:00:00Z"), DEFAULT_GRACE, 10)
        .expect("tick");
    let claim = tick.claims[0].clone();
    // Discord is down: give it back for 09:05.
    store
        .give_back(&claim, utc("2026-12-03T09:05:00Z"), DEFAULT_GRACE)
        .expect("give back");
    let sent = run(&store, "2026-12-03T09:01:00Z", "2026-12-04T10:00:00Z");
    let times: Vec<String> = sent
        .iter()
        .map(|(_, due, at)| format!("{due} {at}"))
        .collect();
    assert_eq!(
        times,
        [
            "2026-12-03 09:00:00 UTC 2026-12-03 09:05:00 UTC",
            "2026-12-04 09:00:00 UTC 2026-12-04 09:00:00 UTC",
        ]
    );
    let sub = store.subscription(&who).expect("read").expect("sub");
    assert_eq!(sub.delivered, 2, "the retry was the same prompt");
}

#[test]
fn each_transport_claims_only_its_own_people() {
    let store = Store::temporary().expect("store");
    let terminal = UserId::new("terminal:local").expect("id");
    subscribe(&store, &user(1), "Etc/UTC", "09:00", "2026-12-03T00:00:00Z");
    subscribe(
        &store,
        &terminal,
        "Etc/UTC",
        "09:00",
        "2026-12-03T00:00:00Z",
    );
    let now = utc("2026-12-03T09:00:00Z");
    let discord = store
        .claim_due("discord:", now, DEFAULT_GRACE, 10)
        .expect("tick");
    assert_eq!(discord.claims.len(), 1);
    assert_eq!(discord.claims[0].user, user(1));
    let mine = store
        .claim_due_for(&terminal, now, DEFAULT_GRACE)
        .expect("tick");
    assert_eq!(mine.claims.len(), 1);
}

#[test]
fn an_unreadable_subscription_is_set_aside_and_stop_leaves_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let who = user(1);
    {
        let store = Store::open(dir.path()).expect("open");
        subscribe(&store, &who, "Etc/UTC", "09:00", "2026-12-03T00:00:00Z");
        store.save_dm_channel(&who, 77).expect("dm");
        store.flush().expect("flush");
    }
    {
        // Corrupt the record behind the store's back.
        let mut tries = 0;
        let db = loop {
            // As in `reopen`: wait for the previous handle's lock.
            match sled::open(dir.path()) {
                Ok(db) => break db,
                Err(e) if tries < 200 => {
                    tries += 1;
                    let _ = e;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => panic!("sled: {e}"),
            }
        };
        db.open_tree("daily")
            .expect("tree")
            .insert(who.as_str(), &b"{not json"[..])
            .expect("insert");
        db.flush().expect("flush");
    }
    let store = reopen(dir.path());
    // A tick drops the unreadable record's key without a panic or a send.
    let tick = store
        .claim_due("discord:", utc("2026-12-03T09:00:00Z"), DEFAULT_GRACE, 10)
        .expect("tick");
    assert!(tick.claims.is_empty());
    assert!(store.export(&who).expect("export")["unreadable_records"][0].is_string());
    store.unsubscribe(&who).expect("stop");
    assert!(!store.holds_anything_of(&who).expect("check"));
}
