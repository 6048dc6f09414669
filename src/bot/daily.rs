//! The core's side of daily prompts: subscribe, change, pause, resume, stop and status, the
//! text of a delivered prompt with its buttons, and the notice left when delivery failed.
//! Adapters call [`Bot::claim_due`] (or [`Bot::due_prompts_for`]) and deliver what it returns.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::action::{Action, Command, Offer};
use crate::daily::schedule::hhmm;
use crate::daily::{
    Claim, DailyTime, MAX_PAUSE_DAYS, Notice, State, Subscription, TimeError, parse_zone,
};
use crate::store::{StoreError, Tick, UserId};

use super::{Bot, Person, Reply, menu, texts};

/// The window "surprise me" uses when the person gives none.
pub const DEFAULT_WINDOW: &str = "09:00-12:00";
/// How many prompts "Pause a week" skips.
pub const PAUSE_A_WEEK: u16 = 7;

impl Bot {
    /// Subscribe, or change the time or zone of an existing subscription. `zone` empty means
    /// the deployment's default zone (the terminal's own), if there is one.
    pub(super) fn daily_start(
        &self,
        user: &UserId,
        person: &mut Person,
        zone: &str,
        time: &str,
    ) -> Vec<Reply> {
        if self.bundle.prompts.is_empty() {
            return vec![
                self.remember(person, Reply::with_options(texts::NO_PROMPTS, vec![menu()])),
            ];
        }
        let zone = match (zone.trim(), self.options.default_zone) {
            ("", Some(zone)) => Ok(zone),
            ("", None) => Err(texts::DAILY_NEED_ZONE.to_string()),
            (name, _) => parse_zone(name).map_err(|e| e.to_string()),
        };
        let time = match time.trim() {
            "" => DEFAULT_WINDOW.parse::<DailyTime>(),
            text => text.parse(),
        }
        .map_err(|e: TimeError| e.to_string());
        let (zone, time) = match (zone, time) {
            (Ok(zone), Ok(time)) => (zone, time),
            (Err(problem), _) | (_, Err(problem)) => {
                return vec![self.remember(
                    person,
                    Reply::with_options(
                        format!("{problem}\n\n{}", texts::DAILY_START_HOW),
                        vec![menu()],
                    ),
                )];
            }
        };
        let now = self.now();
        let seed: u64 = rand::random();
        let result = self.store.update_subscription(user, |current| {
            Some(match current {
                Some(sub) => sub.change(zone, time, now),
                None => Subscription::new(zone, time, seed, now),
            })
        });
        match result.and_then(|sub| self.store.flush().map(|()| sub)) {
            Ok(Some(sub)) => {
                tracing::info!("daily prompts: subscribed or changed");
                vec![self.remember(
                    person,
                    Reply::with_options(
                        format!(
                            "{}\n\n{}",
                            texts::daily_on(&plan(&sub), &when(&sub)),
                            texts::DAILY_WHAT_IS_KEPT
                        ),
                        vec![
                            Offer::command("Pause a week", pause(PAUSE_A_WEEK)),
                            Offer::command("Stop these", Command::DailyStop),
                            menu(),
                        ],
                    ),
                )]
            }
            Ok(None) => self.daily_off(person),
            Err(e) => vec![self.storage_failed(&e)],
        }
    }

    /// What someone without daily prompts sees, with how to start them.
    fn daily_off(&self, person: &mut Person) -> Vec<Reply> {
        let mut options = Vec::new();
        if let Some(zone) = self.options.default_zone {
            // Where the zone is known (the terminal), one choice starts them.
            options.push(Offer::new(
                format!("Start: a surprise time, {DEFAULT_WINDOW} ({})", zone.name()),
                Action::DailyStart {
                    zone: String::new(),
                    time: String::new(),
                },
            ));
        }
        options.push(menu());
        let text = format!("{}\n\n{}", texts::DAILY_OFF, texts::DAILY_START_HOW);
        vec![self.remember(person, Reply::with_options(text, options))]
    }

    pub(super) fn daily_command(
        &self,
        user: &UserId,
        person: &mut Person,
        command: Command,
    ) -> Vec<Reply> {
        let now = self.now();
        if command == Command::DailyStop {
            // Whatever is stored (even an unreadable record) goes.
            return match self.store.unsubscribe(user) {
                Ok(had) => {
                    tracing::info!("daily prompts: stopped");
                    let text = if had {
                        texts::DAILY_STOPPED.to_string()
                    } else {
                        format!(
                            "{}\n\n{}",
                            texts::DAILY_STOPPED_ALREADY,
                            texts::DAILY_START_HOW
                        )
                    };
                    vec![self.remember(person, Reply::with_options(text, vec![menu()]))]
                }
                Err(e) => vec![self.storage_failed(&e)],
            };
        }
        let current = match self.store.subscription(user) {
            Ok(current) => current,
            Err(StoreError::Corrupt { .. }) => None,
            Err(e) => return vec![self.storage_failed(&e)],
        };
        let Some(current) = current else {
            return self.daily_off(person);
        };
        let changed = match command {
            Command::DailyPause { days } => {
                let days = u32::from(days).clamp(1, MAX_PAUSE_DAYS);
                self.store
                    .update_subscription(user, |s| s.map(|s| s.pause(days, now)))
            }
            Command::DailyResume => self
                .store
                .update_subscription(user, |s| s.map(|s| s.resume(now))),
            _ => Ok(Some(current)),
        };
        let sub = match changed.and_then(|sub| self.store.flush().map(|()| sub)) {
            Ok(Some(sub)) => sub,
            // Stopped at the same moment.
            Ok(None) => return self.daily_off(person),
            Err(e) => return vec![self.storage_failed(&e)],
        };
        let text = match command {
            Command::DailyPause { .. } => format!("Paused. {}", when(&sub)),
            Command::DailyResume => format!("Daily prompts are back on. {}", when(&sub)),
            _ => status(&sub),
        };
        let toggle = match sub.state {
            State::Active => Offer::command("Pause a week", pause(PAUSE_A_WEEK)),
            State::Paused { .. } | State::Held => {
                Offer::command("Resume now", Command::DailyResume)
            }
        };
        vec![self.remember(
            person,
            Reply::with_options(
                text,
                vec![
                    toggle,
                    Offer::command("Stop these", Command::DailyStop),
                    menu(),
                ],
            ),
        )]
    }

    /// Claim the prompts due now of everyone whose id starts with `transport` (at most
    /// `limit`), recorded as sent before this returns. The Discord dispatcher calls it every
    /// second with `discord:`.
    pub fn claim_due(&self, transport: &str, limit: usize) -> Result<Tick, StoreError> {
        self.store
            .claim_due(transport, self.now(), self.options.daily_grace, limit)
    }

    /// A claimed prompt could not be delivered: claim it again in a minute, while in time.
    pub fn daily_give_back(&self, claim: &Claim) {
        let retry_at = self.now() + chrono::Duration::minutes(1);
        if let Err(e) = self
            .store
            .give_back(claim, retry_at, self.options.daily_grace)
        {
            tracing::warn!(error = %e, "cannot give a daily prompt back for a retry");
        }
    }

    /// The message for a claimed prompt, or `None` if it should no longer go out (stopped or
    /// paused since it was claimed, or the pool is empty).
    pub fn daily_prompt(&self, claim: &Claim) -> Option<Reply> {
        let sub = match self.store.subscription(&claim.user) {
            Ok(Some(sub)) if sub.still_wants(claim.due) => sub,
            Ok(_) => return None,
            Err(e) => {
                tracing::warn!(error = %e, "cannot check a subscription; not sending");
                return None;
            }
        };
        let prompt = self.bundle.prompts.in_order(sub.seed, claim.index)?;
        Some(Reply::with_options(
            texts::daily_prompt(&prompt.text),
            vec![
                Offer::new(
                    "Talk about it",
                    Action::Start {
                        dialogue: prompt.follow_up().to_string(),
                    },
                ),
                Offer::command("Pause a week", pause(PAUSE_A_WEEK)),
                Offer::command("Stop these", Command::DailyStop),
            ],
        ))
    }

    /// For a transport that shows prompts only while the person is there (the terminal):
    /// claim this person's prompt if it is due, and return it. Not in the middle of a
    /// dialogue, where its choices would take over the numbers the person is answering with:
    /// it waits until the dialogue ends or they are back at the menu (within the grace
    /// period, as after downtime).
    pub fn due_prompts_for(&self, user: &UserId) -> Vec<Reply> {
        // Cheap checks first: this runs after every line typed in the terminal.
        let due = matches!(
            self.store.subscription(user),
            Ok(Some(Subscription { next_due: Some(at), .. })) if at <= self.now()
        );
        if !due || self.mid_dialogue(user) {
            return Vec::new();
        }
        let tick = match self
            .store
            .claim_due_for(user, self.now(), self.options.daily_grace)
        {
            Ok(tick) => tick,
            Err(e) => {
                tracing::warn!(error = %e, "cannot check for a due prompt");
                return Vec::new();
            }
        };
        let replies: Vec<Reply> = tick
            .claims
            .iter()
            .filter_map(|claim| self.daily_prompt(claim))
            .collect();
        if let Some(last) = replies.last() {
            let slot = self.slot(user, self.now());
            let mut person = slot.lock().unwrap_or_else(|e| e.into_inner());
            person.offers = last.options().to_vec();
        }
        replies
    }

    fn mid_dialogue(&self, user: &UserId) -> bool {
        let slot = self.slot(user, self.now());
        let person = slot.lock().unwrap_or_else(|e| e.into_inner());
        let Some(session) = &person.session else {
            return false;
        };
        session.dialogue != crate::content::MENU_DIALOGUE
            && crate::engine::current(&self.bundle.library, session)
                .is_ok_and(|turn| !turn.prompt.finished)
    }

    /// A prompt could not be delivered because the person's DMs are closed: hold the
    /// subscription and flag the notice. Done under the person's lock, so their next event
    /// sees both or neither.
    pub fn daily_dms_closed(&self, user: &UserId) {
        let slot = self.slot(user, self.now());
        let mut person = slot.lock().unwrap_or_else(|e| e.into_inner());
        match self.store.hold_dms_closed(user) {
            Ok(()) => person.daily_notice = true,
            Err(e) => tracing::warn!(error = %e, "cannot hold a subscription"),
        }
    }

    /// Whatever delivery left to tell this person, said once.
    pub(super) fn daily_notice(&self, user: &UserId) -> Option<Reply> {
        match self.store.take_daily_notice(user) {
            Ok(Some(Notice::DmsClosed)) => Some(Reply::text(texts::DAILY_DMS_CLOSED)),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read a daily-prompt notice");
                None
            }
        }
    }

    /// The core's clock (simulated in tests).
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }
}

fn pause(days: u16) -> Command {
    Command::DailyPause { days }
}

/// "at 08:30" or "at a surprise time between 09:00 and 12:00", with the zone.
fn plan(sub: &Subscription) -> String {
    let at = match sub.time {
        DailyTime::At(time) => format!("at {}", hhmm(time)),
        DailyTime::Window { from, to } => {
            format!("at a surprise time between {} and {}", hhmm(from), hhmm(to))
        }
    };
    format!("{at} ({})", sub.tz().name())
}

/// When the next prompt comes, in the person's zone.
fn when(sub: &Subscription) -> String {
    match (sub.state, sub.next_due) {
        (State::Held, _) | (_, None) => "They are on hold until you resume them.".to_string(),
        // A surprise stays a surprise: the day and the window, not the minute.
        (_, Some(at)) => match sub.time {
            DailyTime::Window { from, to } => format!(
                "The next one comes on {}, between {} and {}.",
                at.with_timezone(&sub.tz()).format("%a %-d %b"),
                hhmm(from),
                hhmm(to)
            ),
            DailyTime::At(_) => format!("The next one is due {}.", local(sub.tz(), at)),
        },
    }
}

fn local(zone: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&zone)
        .format("%a %-d %b at %H:%M")
        .to_string()
}

fn status(sub: &Subscription) -> String {
    let state = match sub.state {
        State::Active => "on".to_string(),
        State::Paused { until } => format!("paused until {}", local(sub.tz(), until)),
        State::Held => "on hold (I could not reach you by DM)".to_string(),
    };
    format!(
        "**Daily prompts**: {state}, {}. {}\nPrompts so far: {}.\n\n{}",
        plan(sub),
        when(sub),
        sub.delivered,
        texts::DAILY_WHAT_IS_KEPT
    )
}

/// `daily ...` typed as text: `daily`, `daily status|stop|resume`, `daily pause N`,
/// `daily start [HH:MM | HH:MM-HH:MM] [Zone/Name]` (either order).
pub(super) fn parse_text_command(text: &str) -> Option<Action> {
    let lower = text.trim().trim_start_matches(['/', '!']).to_lowercase();
    let mut words = lower.split_whitespace();
    if words.next()? != "daily" {
        return None;
    }
    let rest: Vec<&str> = words.collect();
    let command = |c| Some(Action::Command(c));
    match rest.as_slice() {
        [] | ["status"] => command(Command::Daily),
        ["stop"] => command(Command::DailyStop),
        ["resume"] => command(Command::DailyResume),
        ["pause"] => command(pause(PAUSE_A_WEEK)),
        ["pause", days] => {
            let days = days.parse::<u16>().ok()?;
            command(pause(days))
        }
        ["start", args @ ..] if args.len() <= 2 => {
            // Zone names are case-sensitive in display but matched without case.
            let (time, zone): (Vec<&str>, Vec<&str>) = args
                .iter()
                .partition(|a| a.starts_with(|c: char| c.is_ascii_digit()));
            let original: Vec<&str> = text.split_whitespace().collect();
            let zone = zone
                .first()
                .and_then(|z| original.iter().find(|o| o.eq_ignore_ascii_case(z)))
                .map_or(String::new(), |z| z.to_string());
            Some(Action::DailyStart {
                zone,
                time: time.first().map_or(String::new(), |t| t.to_string()),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_text_commands() {
        assert_eq!(
            parse_text_command("daily start 08:30 Europe/London"),
            Some(Action::DailyStart {
                zone: "Europe/London".into(),
                time: "08:30".into()
            })
        );
        assert_eq!(
            parse_text_command("/daily start"),
            Some(Action::DailyStart {
                zone: String::new(),
                time: String::new()
            })
        );
        assert_eq!(
            parse_text_command("daily pause 3"),
            Some(Action::Command(Command::DailyPause { days: 3 }))
        );
        assert_eq!(
            parse_text_command("Daily"),
            Some(Action::Command(Command::Daily))
        );
        assert_eq!(parse_text_command("daily bread"), None);
        assert_eq!(parse_text_command("I walk daily"), None);
        assert_eq!(parse_text_command("daily pause lots"), None);
    }
}
