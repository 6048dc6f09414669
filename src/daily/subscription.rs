//! A person's subscription to daily prompts, and the pure rules that change it: subscribe,
//! change, pause, resume, hold (DMs closed), and what happens when a prompt falls due.
//!
//! The record is the source of truth; the store's due index mirrors `next_due`. Every rule
//! takes `now` as an argument, so tests drive it with a simulated clock.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::schedule::{DailyTime, Due, local_date, local_instant, next_due, parse_zone};

/// The longest pause one request can ask for.
pub const MAX_PAUSE_DAYS: u32 = 365;

/// What is stored for someone who subscribed: when, where, and how far through the pool they
/// are. Never anything they wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// IANA zone name, as chrono-tz spells it.
    pub zone: String,
    pub time: DailyTime,
    /// Orders the pool for this person (see `PromptPool::in_order`).
    pub seed: u64,
    /// How many prompts have been sent: the position in the person's order.
    pub delivered: u64,
    pub state: State,
    /// When the next prompt is due; `None` while held. The due index holds the same instant.
    pub next_due: Option<DateTime<Utc>>,
    /// The local date the next prompt is the prompt of.
    #[serde(default)]
    pub next_date: Option<NaiveDate>,
    /// When the last prompt sent was due (it identifies that delivery).
    pub last_sent: Option<DateTime<Utc>>,
    /// The latest local date whose prompt was sent or skipped: no second prompt that day.
    #[serde(default)]
    pub served: Option<NaiveDate>,
    /// Something to tell the person the next time they use the bot.
    #[serde(default)]
    pub notice: Option<Notice>,
    pub since: DateTime<Utc>,
    /// A claimed prompt whose delivery failed (Discord down), to claim again at `next_due`.
    #[serde(default)]
    pub retry: Option<Retry>,
    /// How many times the last claimed prompt was given back (see [`MAX_RETRIES`]).
    #[serde(default)]
    pub given_back: u32,
}

/// A prompt to send again: its position and the instant it was first due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retry {
    pub index: u64,
    pub due: DateTime<Utc>,
}

/// How many times a failed delivery is given back. Each resend carries the same nonce, which
/// Discord holds for a few minutes, so a message that did arrive despite an error answer is
/// not created twice; more retries would outlast that window.
pub const MAX_RETRIES: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum State {
    Active,
    /// No prompts before `until`.
    Paused {
        until: DateTime<Utc>,
    },
    /// Stopped by the bot until the person resumes (their DMs were closed to it).
    Held,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// A prompt could not be delivered because the person's DMs are closed; prompts are held.
    DmsClosed,
}

/// What became of a prompt that fell due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fired {
    /// Send prompt number `index` of the person's order. `due` identifies this delivery: the
    /// dispatcher sends only while the record still says it was the last one (see
    /// [`Subscription::still_wants`]).
    Send { index: u64, due: DateTime<Utc> },
    /// Missed by more than the grace period (the bot was down): not sent; the next is
    /// tomorrow's.
    Skipped { due: DateTime<Utc> },
}

impl Subscription {
    pub fn new(zone: Tz, time: DailyTime, seed: u64, now: DateTime<Utc>) -> Subscription {
        let mut sub = Subscription {
            zone: zone.name().to_string(),
            time,
            seed,
            delivered: 0,
            state: State::Active,
            next_due: None,
            next_date: None,
            last_sent: None,
            served: None,
            notice: None,
            since: now,
            retry: None,
            given_back: 0,
        };
        sub.set_next(sub.next_after(now));
        sub
    }

    /// The zone; one no longer in the time-zone database reads as UTC (and the person's
    /// status shows it), rather than stopping their prompts.
    pub fn tz(&self) -> Tz {
        parse_zone(&self.zone).unwrap_or(Tz::UTC)
    }

    /// A new time or zone. Place in the pool and the day already served are kept, so changing
    /// the zone never brings a second prompt on the same day; a pause stays in force.
    pub fn change(mut self, zone: Tz, time: DailyTime, now: DateTime<Utc>) -> Subscription {
        self.zone = zone.name().to_string();
        self.time = time;
        // The last prompt's date in the new zone counts as served too: moving east or west
        // never brings a second prompt within the same local day.
        let there = self.last_sent.map(|at| local_date(zone, at));
        self.served = self.served.max(there);
        match self.state {
            State::Paused { until } if until > now => {
                self.retry = None;
                self.set_next(self.next_after(until));
                self
            }
            _ => self.resume(now),
        }
    }

    /// Skip the next `days` prompts (today's among them if it is still to come): "pause a
    /// week" on today's prompt means the next one is eight days from today's, at the usual time.
    pub fn pause(mut self, days: u32, now: DateTime<Utc>) -> Subscription {
        let days = i64::from(days.clamp(1, MAX_PAUSE_DAYS));
        let first_skipped = self.next_after(now).date;
        let resume_on = first_skipped
            .checked_add_signed(Duration::days(days))
            .unwrap_or(first_skipped);
        let until = local_instant(self.tz(), resume_on, NaiveTime::MIN);
        self.state = State::Paused { until };
        self.retry = None;
        self.set_next(self.next_after(until));
        self
    }

    /// The same plan with its next instant computed afresh (after a time-zone database
    /// update); state and notices are kept.
    pub fn reschedule(mut self, now: DateTime<Utc>) -> Subscription {
        if self.retry.is_some() {
            // The retry's instant is not a schedule: leave it for the next claim.
            return self;
        }
        let after = match self.state {
            State::Paused { until } if until > now => until,
            State::Held => return self,
            _ => now,
        };
        self.set_next(self.next_after(after));
        self
    }

    /// Prompts again from now: today's if its time is still ahead and today is not served.
    pub fn resume(mut self, now: DateTime<Utc>) -> Subscription {
        self.state = State::Active;
        self.notice = None;
        // A prompt waiting to be retried (only possible while active) stays on its way.
        if self.retry.is_none() {
            self.set_next(self.next_after(now));
        }
        self
    }

    /// The person's DMs are closed: hold prompts until they resume, and tell them next time.
    pub fn hold_dms_closed(mut self) -> Subscription {
        self.state = State::Held;
        self.next_due = None;
        self.next_date = None;
        self.retry = None;
        self.notice = Some(Notice::DmsClosed);
        self
    }

    /// The claimed prompt `due` could not be delivered (Discord failing): claim it again at
    /// `retry_at`, if the person still wants it and it would still be inside `grace` then.
    pub fn give_back(
        mut self,
        due: DateTime<Utc>,
        index: u64,
        retry_at: DateTime<Utc>,
        grace: Duration,
    ) -> Subscription {
        if !self.still_wants(due) || retry_at - due > grace || self.given_back >= MAX_RETRIES {
            return self;
        }
        self.given_back += 1;
        self.retry = Some(Retry { index, due });
        // The regular next prompt is computed again once the retry has gone.
        self.next_due = Some(retry_at);
        self
    }

    /// The prompt due at `next_due` fell due at `now`: send it if it is less than `grace`
    /// late, otherwise skip it; either way, schedule the next. The returned record is what
    /// must be stored before anything is sent.
    pub fn on_due(mut self, now: DateTime<Utc>, grace: Duration) -> (Subscription, Option<Fired>) {
        let Some(due) = self.next_due else {
            return (self, None);
        };
        if due > now {
            return (self, None);
        }
        if let State::Paused { until } = self.state {
            if until > now {
                // Paused after this instant was queued: move to after the pause.
                self.set_next(self.next_after(until));
                return (self, None);
            }
        }
        if matches!(self.state, State::Held) {
            self.next_due = None;
            self.next_date = None;
            return (self, None);
        }
        if let Some(retry) = self.retry.take() {
            // A delivery that failed earlier: the same prompt, if still in time.
            let (fired, after) = if now - retry.due <= grace {
                let fired = Fired::Send {
                    index: retry.index,
                    due: retry.due,
                };
                (fired, now)
            } else {
                // Too late (the bot was down): look back for a later day's, as below.
                (Fired::Skipped { due: retry.due }, now - grace)
            };
            self.set_next(self.next_after(after));
            return (self, Some(fired));
        }
        self.state = State::Active;
        let fired = if now - due <= grace {
            let index = self.delivered;
            self.delivered += 1;
            self.last_sent = Some(due);
            self.given_back = 0;
            Fired::Send { index, due }
        } else {
            Fired::Skipped { due }
        };
        // A skipped day counts as served too: its prompt is not sent later.
        let date = self.next_date.unwrap_or_else(|| local_date(self.tz(), due));
        self.served = self.served.max(Some(date));
        // Looking back by the grace period finds a later day's prompt that is itself only a
        // little late (after days of downtime, today's): the next tick sends it.
        let after = if matches!(fired, Fired::Skipped { .. }) {
            now - grace
        } else {
            now
        };
        self.set_next(self.next_after(after));
        (self, Some(fired))
    }

    /// Whether the delivery claimed for `due` should still go out: the person has not
    /// stopped, paused or been held since it was claimed.
    pub fn still_wants(&self, due: DateTime<Utc>) -> bool {
        self.state == State::Active && self.last_sent == Some(due)
    }

    fn next_after(&self, after: DateTime<Utc>) -> Due {
        next_due(self.tz(), &self.time, self.seed, after, self.served)
    }

    fn set_next(&mut self, due: Due) {
        self.next_due = Some(due.at);
        self.next_date = Some(due.date);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daily::test_instant as utc;

    fn london_at(time: &str, now: &str) -> Subscription {
        Subscription::new(
            chrono_tz::Europe::London,
            time.parse().unwrap(),
            7,
            utc(now),
        )
    }

    const GRACE: Duration = Duration::hours(3);

    #[test]
    fn a_due_prompt_is_sent_once_and_the_next_is_tomorrow() {
        let sub = london_at("09:00", "2026-12-03T08:00:00Z");
        assert_eq!(sub.next_due, Some(utc("2026-12-03T09:00:00Z")));
        let (early, fired) = sub.clone().on_due(utc("2026-12-03T08:59:59Z"), GRACE);
        assert_eq!(fired, None);
        assert_eq!(early, sub);
        let (sub, fired) = sub.on_due(utc("2026-12-03T09:00:01Z"), GRACE);
        let due = utc("2026-12-03T09:00:00Z");
        assert_eq!(fired, Some(Fired::Send { index: 0, due }));
        assert!(sub.still_wants(due));
        assert_eq!(sub.next_due, Some(utc("2026-12-04T09:00:00Z")));
        assert_eq!(sub.delivered, 1);
    }

    #[test]
    fn late_within_grace_goes_out_older_is_skipped() {
        let sub = london_at("09:00", "2026-12-03T08:00:00Z");
        let (_, fired) = sub.clone().on_due(utc("2026-12-03T11:59:00Z"), GRACE);
        assert!(matches!(fired, Some(Fired::Send { .. })));
        let (after, fired) = sub.on_due(utc("2026-12-03T14:00:00Z"), GRACE);
        assert_eq!(
            fired,
            Some(Fired::Skipped {
                due: utc("2026-12-03T09:00:00Z")
            })
        );
        assert_eq!(after.delivered, 0);
        assert_eq!(after.next_due, Some(utc("2026-12-04T09:00:00Z")));
    }

    #[test]
    fn pausing_after_a_prompt_was_claimed_cancels_its_delivery() {
        let sub = london_at("09:00", "2026-12-03T08:00:00Z");
        let (sub, fired) = sub.on_due(utc("2026-12-03T09:00:00Z"), GRACE);
        let Some(Fired::Send { due, .. }) = fired else {
            panic!("{fired:?}")
        };
        let paused = sub.pause(7, utc("2026-12-03T09:00:01Z"));
        assert!(!paused.still_wants(due));
        // Today's was sent; the next seven (4th to 10th) are skipped.
        assert_eq!(paused.next_due, Some(utc("2026-12-11T09:00:00Z")));
    }

    #[test]
    fn pause_and_resume_across_midnight_never_serve_a_day_twice() {
        // Served at 09:00 on the 3rd; paused at 23:50 for one day; resumed at 00:10 on the 4th.
        let sub = london_at("09:00", "2026-12-03T08:00:00Z");
        let (sub, _) = sub.on_due(utc("2026-12-03T09:00:00Z"), GRACE);
        let paused = sub.pause(1, utc("2026-12-03T23:50:00Z"));
        assert_eq!(paused.next_due, Some(utc("2026-12-05T09:00:00Z")));
        let resumed = paused.resume(utc("2026-12-04T00:10:00Z"));
        assert_eq!(resumed.next_due, Some(utc("2026-12-04T09:00:00Z")));
        // Resumed the same evening instead: the 3rd is served, so the 4th.
        let sub = london_at("09:00", "2026-12-03T08:00:00Z");
        let (sub, _) = sub.on_due(utc("2026-12-03T09:00:00Z"), GRACE);
        let again = sub.pause(1, utc("2026-12-03T23:50:00Z"));
        let again = again.resume(utc("2026-12-03T23:55:00Z"));
        assert_eq!(again.next_due, Some(utc("2026-12-04T09:00:00Z")));
    }

    #[test]
    fn changing_zone_keeps_the_served_day() {
        // Sent 09:00 London (18:00 Tokyo) on the 3rd; moving to Tokyo 20:00 the same day must
        // not bring a second prompt at 20:00 Tokyo on the 3rd.
        let sub = london_at("09:00", "2026-12-03T08:00:00Z");
        let (sub, _) = sub.on_due(utc("2026-12-03T09:00:00Z"), GRACE);
        let moved = sub.change(
            chrono_tz::Asia::Tokyo,
            "20:00".parse().unwrap(),
            utc("2026-12-03T09:30:00Z"),
        );
        assert_eq!(moved.next_due, Some(utc("2026-12-04T11:00:00Z"))); // 20:00 JST on the 4th
        assert_eq!(moved.zone, "Asia/Tokyo");
        assert_eq!(moved.delivered, 1);
    }

    #[test]
    fn after_days_of_downtime_todays_prompt_still_goes_if_within_grace() {
        // Down from Mon 08:00 to Wed 10:00: Monday's is skipped, Tuesday's never came due,
        // Wednesday's 09:00 is one hour late and goes out.
        let sub = london_at("09:00", "2026-11-30T08:00:00Z");
        let (sub, fired) = sub.on_due(utc("2026-12-02T10:00:00Z"), GRACE);
        assert!(matches!(fired, Some(Fired::Skipped { .. })), "{fired:?}");
        assert_eq!(sub.next_due, Some(utc("2026-12-02T09:00:00Z")));
        let (sub, fired) = sub.on_due(utc("2026-12-02T10:00:01Z"), GRACE);
        assert_eq!(
            fired,
            Some(Fired::Send {
                index: 0,
                due: utc("2026-12-02T09:00:00Z")
            })
        );
        assert_eq!(sub.next_due, Some(utc("2026-12-03T09:00:00Z")));
    }

    #[test]
    fn a_failed_delivery_is_claimed_again_and_still_sent_once() {
        let sub = london_at("09:00", "2026-12-03T08:00:00Z");
        let (sub, fired) = sub.on_due(utc("2026-12-03T09:00:00Z"), GRACE);
        let Some(Fired::Send { index, due }) = fired else {
            panic!("{fired:?}")
        };
        let retry_at = utc("2026-12-03T09:01:00Z");
        let sub = sub.give_back(due, index, retry_at, GRACE);
        assert_eq!(sub.next_due, Some(retry_at));
        let (sub, fired) = sub.on_due(retry_at, GRACE);
        assert_eq!(fired, Some(Fired::Send { index, due }));
        assert!(sub.still_wants(due));
        assert_eq!(sub.delivered, 1, "the same prompt, not a second one");
        assert_eq!(sub.next_due, Some(utc("2026-12-04T09:00:00Z")));
        // Given back at most MAX_RETRIES times for one prompt.
        let mut again = sub.clone();
        for minute in 1..=5 {
            let at = retry_at + Duration::minutes(minute);
            again = again.give_back(due, index, at, GRACE);
            if again.retry.is_some() {
                again = again.on_due(at, GRACE).0;
            }
        }
        assert_eq!(again.given_back, MAX_RETRIES);
        // Too late to retry: not given back. Stopped or paused since: not given back.
        let late = sub
            .clone()
            .give_back(due, index, utc("2026-12-03T12:30:00Z"), GRACE);
        assert_eq!(late.retry, None);
        let paused = sub
            .pause(1, retry_at)
            .give_back(due, index, retry_at, GRACE);
        assert_eq!(paused.retry, None);
    }

    #[test]
    fn changing_the_time_keeps_a_pause() {
        let sub = london_at("09:00", "2026-12-03T08:00:00Z").pause(7, utc("2026-12-03T08:00:00Z"));
        let changed = sub.change(
            chrono_tz::Europe::London,
            "20:00".parse().unwrap(),
            utc("2026-12-03T08:30:00Z"),
        );
        assert!(matches!(changed.state, State::Paused { .. }));
        assert_eq!(changed.next_due, Some(utc("2026-12-10T20:00:00Z")));
    }

    #[test]
    fn held_subscriptions_have_nothing_due_until_resumed() {
        let sub = london_at("09:00", "2026-12-03T08:00:00Z").hold_dms_closed();
        assert_eq!(sub.next_due, None);
        assert_eq!(sub.notice, Some(Notice::DmsClosed));
        let resumed = sub.resume(utc("2026-12-03T10:00:00Z"));
        assert_eq!(resumed.notice, None);
        assert_eq!(resumed.next_due, Some(utc("2026-12-04T09:00:00Z")));
    }

    #[test]
    fn records_survive_a_round_trip_and_unknown_zones_read_as_utc() {
        let sub =
            london_at("09:00-12:00", "2026-12-03T08:00:00Z").pause(3, utc("2026-12-03T08:00:00Z"));
        let json = serde_json::to_string(&sub).unwrap();
        assert_eq!(serde_json::from_str::<Subscription>(&json).unwrap(), sub);
        let mut odd = sub;
        odd.zone = "Atlantis/Capital".into();
        assert_eq!(odd.tz(), Tz::UTC);
    }
}
