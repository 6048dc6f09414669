//! The daily-prompt dispatcher: the tokio driver of the scheduler core. Every second it asks
//! the core what is due (the store records each prompt as sent before handing it over, so a
//! crash never sends one twice), then delivers each as a DM within a REST budget.
//!
//! - **Budget**: requests are paced evenly at `requests_per_second` (default 40 of Discord's
//!   50 per bot, leaving room for interactive replies); a 429 pauses every delivery for its
//!   `retry_after`, then the request is retried.
//! - **DM channels** are cached in the store, so a delivery is one request, not two.
//! - **Stop and pause win**: the subscription is checked again just before sending, so a
//!   prompt already queued is dropped if the person stopped or paused meanwhile.
//! - **50007** (DMs closed) holds the subscription; the core tells the person why next time.
//!
//! It talks HTTP with reqwest directly rather than through serenity's `Http`: with a proxy,
//! serenity's ratelimiter must be off, and its errors then drop a 429's `retry_after`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use crate::bot::Bot;
use crate::daily::Claim;
use crate::store::UserId;

use super::custom_id::ClickKey;
use super::render::{self, Surface};
use super::send::{self, CANNOT_DM};

/// How often the dispatcher asks what is due.
const TICK: Duration = Duration::from_secs(1);
/// Deliveries under way at once (Discord answers in tens of milliseconds; a few in flight
/// keep the budget full).
const MAX_IN_FLIGHT: usize = 32;
/// Attempts per request on 5xx and network errors before a delivery is given up. A 429 is
/// not a failure: it is waited out and retried, for up to [`GIVE_UP_AFTER`] (a claimed prompt
/// is already recorded as sent, so giving up loses it).
const ATTEMPTS: u32 = 6;
/// How long one request may keep being rate limited before the delivery is given up.
const GIVE_UP_AFTER: Duration = Duration::from_secs(30 * 60);
/// Discord's "Unknown Channel": a cached DM channel that is gone.
const UNKNOWN_CHANNEL: i64 = 10003;
/// How long shutdown waits for deliveries under way.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Requests paced evenly at a rate: each `acquire` takes the next free slot. A 429 means
/// something else shares the bot's limit: the pace slows by a quarter (down to an eighth of
/// the budget) and creeps back with each success, so the bot does not keep hitting the limit
/// (Discord bans an address after 10,000 refused requests in ten minutes).
pub struct Budget {
    base: Duration,
    pace: Mutex<Pace>,
}

struct Pace {
    next: Instant,
    interval: Duration,
}

impl Budget {
    pub fn new(per_second: u32) -> Budget {
        let base = Duration::from_secs(1) / per_second.max(1);
        Budget {
            base,
            pace: Mutex::new(Pace {
                next: Instant::now(),
                interval: base,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pace> {
        self.pace.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait for this request's slot.
    pub async fn acquire(&self) {
        let at = {
            let mut pace = self.lock();
            let at = pace.next.max(Instant::now());
            pace.next = at + pace.interval;
            at
        };
        tokio::time::sleep_until(at).await;
    }

    /// Discord refused a request (429): no request before `wait` from now, and a slower pace.
    pub fn pause(&self, wait: Duration) {
        let mut pace = self.lock();
        pace.next = pace.next.max(Instant::now() + wait);
        pace.interval = (pace.interval * 5 / 4).min(self.base * 8);
    }

    /// A request went through: back towards the budget's own pace.
    pub fn succeeded(&self) {
        let mut pace = self.lock();
        let excess = pace.interval.saturating_sub(self.base);
        pace.interval -= excess / 32;
    }
}

/// The REST calls the dispatcher makes.
pub struct Rest {
    client: reqwest::Client,
    base: String,
    authorization: String,
    budget: Budget,
    /// 429s received (counts only; for logs and the benchmark).
    pub rate_limited: AtomicU64,
}

/// What Discord said to a request, after retries.
struct Answer {
    status: u16,
    body: Value,
}

impl Answer {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn code(&self) -> i64 {
        self.body["code"].as_i64().unwrap_or(0)
    }
}

impl Rest {
    pub fn new(api_url: &str, token: &str, per_second: u32) -> anyhow::Result<Rest> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .user_agent(concat!(
                "DiscordBot (https://github.com/securebase/securebase, ",
                env!("CARGO_PKG_VERSION"),
                ")"
            ))
            .build()?;
        Ok(Rest {
            client,
            base: format!("{}/api/v10", api_url.trim_end_matches('/')),
            authorization: format!("Bot {token}"),
            budget: Budget::new(per_second),
            rate_limited: AtomicU64::new(0),
        })
    }

    /// POST `body` to `path` within the budget, retrying 429 (after `retry_after`) and 5xx.
    async fn post(&self, path: &str, body: Vec<u8>) -> Option<Answer> {
        let url = format!("{}{path}", self.base);
        let give_up = Instant::now() + GIVE_UP_AFTER;
        let mut attempt = 0;
        while attempt < ATTEMPTS && Instant::now() < give_up {
            self.budget.acquire().await;
            let sent = self
                .client
                .post(&url)
                .header(reqwest::header::AUTHORIZATION, &self.authorization)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(e) => {
                    tracing::warn!(error = %e.without_url(), attempt, "daily prompt request failed");
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                    continue;
                }
            };
            let status = response.status().as_u16();
            let header_wait = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok());
            let body: Value = response
                .bytes()
                .await
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or(Value::Null);
            match status {
                429 => {
                    self.rate_limited.fetch_add(1, Ordering::Relaxed);
                    let wait = body["retry_after"].as_f64().or(header_wait).unwrap_or(1.0);
                    let wait = Duration::from_secs_f64(wait.clamp(0.0, 600.0));
                    tracing::warn!(
                        retry_after_ms = wait.as_millis() as u64,
                        global = body["global"].as_bool().unwrap_or(false),
                        "rate limited; pausing daily prompts"
                    );
                    self.budget.pause(wait);
                }
                500..=599 => {
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                _ => {
                    self.budget.succeeded();
                    return Some(Answer { status, body });
                }
            }
        }
        None
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250 * 2u64.pow(attempt.min(6)))
}

/// What delivering one prompt came to (for the tick's log line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Sent,
    /// Stopped or paused since it was claimed.
    Dropped,
    DmsClosed,
    Failed,
}

enum Refused {
    DmsClosed,
    UnknownChannel,
    Other,
}

/// Everything a delivery needs.
pub struct Dispatcher {
    pub bot: Arc<Bot>,
    pub key: ClickKey,
    pub rest: Arc<Rest>,
    /// At most this many claims wait or are under way: claims are recorded as sent, so the
    /// dispatcher never claims much more than it can send in the next couple of seconds.
    pub queue_limit: usize,
}

impl Dispatcher {
    /// Claim and deliver until `stop` turns true, then let deliveries under way finish.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let queued = Arc::new(AtomicUsize::new(0));
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        tracing::info!("daily prompts: dispatcher started");
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stop.changed() => break,
            }
            let room = self
                .queue_limit
                .saturating_sub(queued.load(Ordering::Relaxed));
            if room == 0 {
                continue;
            }
            let bot = self.bot.clone();
            let tick = match tokio::task::spawn_blocking(move || bot.claim_due(room)).await {
                Ok(Ok(tick)) => tick,
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "daily prompts: cannot read what is due");
                    continue;
                }
                Err(_) => {
                    tracing::error!("daily prompts: claiming panicked");
                    continue;
                }
            };
            if tick.skipped > 0 {
                tracing::info!(
                    skipped = tick.skipped,
                    "daily prompts missed by more than the grace period; next ones tomorrow"
                );
            }
            if !tick.claims.is_empty() {
                tracing::info!(claimed = tick.claims.len(), "daily prompts due");
            }
            for claim in tick.claims {
                queued.fetch_add(1, Ordering::Relaxed);
                let (this, slots, queued) = (self.clone(), slots.clone(), queued.clone());
                tokio::spawn(async move {
                    if let Ok(_slot) = slots.acquire_owned().await {
                        let outcome = this.deliver(&claim).await;
                        tracing::debug!(?outcome, "daily prompt");
                    }
                    queued.fetch_sub(1, Ordering::Relaxed);
                });
            }
        }
        let waited =
            tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(MAX_IN_FLIGHT as u32)).await;
        if waited.is_err() {
            tracing::warn!("daily prompts: stopped with deliveries under way");
        }
        tracing::info!("daily prompts: dispatcher stopped");
    }

    async fn deliver(&self, claim: &Claim) -> Outcome {
        let Some(owner) = discord_user(&claim.user) else {
            // Someone subscribed from the terminal chat on this data folder.
            return Outcome::Dropped;
        };
        let bot = self.bot.clone();
        let for_claim = claim.clone();
        let reply = tokio::task::spawn_blocking(move || bot.daily_prompt(&for_claim))
            .await
            .ok()
            .flatten();
        let Some(reply) = reply else {
            return Outcome::Dropped;
        };
        let surface = Surface {
            owner,
            in_server: false,
            alert_server: None,
            key: &self.key,
        };
        let messages = render::daily_prompt(&reply, &surface);
        for attempt in 0..2 {
            let Some(channel) = self.dm_channel(&claim.user, owner).await else {
                return Outcome::Failed;
            };
            // The budget wait may have been long: stop and pause still win.
            if !self.bot.store().still_wanted(claim).unwrap_or(false) {
                return Outcome::Dropped;
            }
            match self.send_all(channel, &messages).await {
                Ok(()) => return Outcome::Sent,
                Err(Refused::DmsClosed) => {
                    tracing::info!("daily prompt: DMs closed; holding the subscription");
                    self.bot.daily_dms_closed(&claim.user);
                    return Outcome::DmsClosed;
                }
                Err(Refused::UnknownChannel) if attempt == 0 => {
                    // The cached channel is gone: open the DM again, once.
                    let _ = self.bot.store().forget_dm_channel(&claim.user);
                }
                Err(_) => return Outcome::Failed,
            }
        }
        Outcome::Failed
    }

    async fn send_all(&self, channel: u64, messages: &[render::Outgoing]) -> Result<(), Refused> {
        for message in messages {
            let body =
                serde_json::to_vec(&send::channel_message(message)).map_err(|_| Refused::Other)?;
            let answer = self
                .rest
                .post(&format!("/channels/{channel}/messages"), body)
                .await;
            match answer {
                Some(answer) if answer.ok() => {}
                Some(answer) if answer.code() == CANNOT_DM as i64 => {
                    return Err(Refused::DmsClosed);
                }
                Some(answer) if answer.code() == UNKNOWN_CHANNEL => {
                    return Err(Refused::UnknownChannel);
                }
                Some(answer) => {
                    tracing::warn!(
                        status = answer.status,
                        code = answer.code(),
                        "daily prompt refused"
                    );
                    return Err(Refused::Other);
                }
                None => {
                    tracing::warn!("daily prompt not delivered after retries");
                    return Err(Refused::Other);
                }
            }
        }
        Ok(())
    }

    /// The cached DM channel, or a new one (cached for next time).
    async fn dm_channel(&self, user: &UserId, owner: u64) -> Option<u64> {
        if let Ok(Some(channel)) = self.bot.store().dm_channel(user) {
            return Some(channel);
        }
        let body =
            serde_json::to_vec(&serde_json::json!({ "recipient_id": owner.to_string() })).ok()?;
        let answer = self.rest.post("/users/@me/channels", body).await?;
        if answer.code() == CANNOT_DM as i64 {
            self.bot.daily_dms_closed(user);
            return None;
        }
        let channel = answer.body["id"].as_str()?.parse::<u64>().ok()?;
        if let Err(e) = self.bot.store().save_dm_channel(user, channel) {
            tracing::warn!(error = %e, "cannot cache a DM channel");
        }
        Some(channel)
    }
}

/// The Discord user id in a store id `discord:<id>`.
fn discord_user(user: &UserId) -> Option<u64> {
    user.as_str().strip_prefix("discord:")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_budget_paces_requests_and_a_pause_holds_them() {
        let budget = Budget::new(40);
        let start = Instant::now();
        for _ in 0..41 {
            budget.acquire().await;
        }
        // 41 slots at 25 ms apart: the last at 1 s (virtual time, not a timing threshold).
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        budget.pause(Duration::from_secs(5));
        budget.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(6));
        // After the 429 the pace is a quarter slower (31.25 ms), then eases back.
        budget.acquire().await;
        // (31.25 ms after; tokio's timer rounds up to whole milliseconds.)
        assert_eq!(start.elapsed(), Duration::from_millis(6_032));
        for _ in 0..500 {
            budget.succeeded();
        }
        assert!(budget.lock().interval < Duration::from_micros(25_010));
        for _ in 0..100 {
            budget.pause(Duration::ZERO);
        }
        assert_eq!(
            budget.lock().interval,
            Duration::from_millis(200),
            "at most 8x slower"
        );
    }

    #[test]
    fn only_discord_users_get_dms() {
        assert_eq!(discord_user(&UserId::new("discord:42").unwrap()), Some(42));
        assert_eq!(discord_user(&UserId::new("terminal:local").unwrap()), None);
    }
}
