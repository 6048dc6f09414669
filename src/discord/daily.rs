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

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use serenity::all::Nonce;
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
/// The id prefix of the people this dispatcher delivers to.
const TRANSPORT: &str = "discord:";
/// Consecutive failed deliveries after which the dispatcher claims one prompt per tick.
const FAILURES_BEFORE_PROBING: usize = 3;
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
    /// No request leaves before this, even one whose slot was given out earlier.
    paused_until: Instant,
}

impl Budget {
    pub fn new(per_second: u32) -> Budget {
        let base = Duration::from_secs(1) / per_second.max(1);
        Budget {
            base,
            pace: Mutex::new(Pace {
                next: Instant::now(),
                interval: base,
                paused_until: Instant::now(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pace> {
        self.pace.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait for this request's slot. A request whose slot falls inside a pause that began
    /// meanwhile takes a new slot after it, so the requests held by a 429 leave one by one,
    /// not all at once when it ends.
    pub async fn acquire(&self) {
        loop {
            let at = self.reserve();
            tokio::time::sleep_until(at).await;
            if self.lock().paused_until <= Instant::now() {
                return;
            }
        }
    }

    fn reserve(&self) -> Instant {
        let mut pace = self.lock();
        let at = pace.next.max(Instant::now()).max(pace.paused_until);
        pace.next = at + pace.interval;
        at
    }

    /// Discord refused a request (429): no request before `wait` from now, and a slower pace.
    pub fn pause(&self, wait: Duration) {
        let mut pace = self.lock();
        let until = Instant::now() + wait;
        pace.next = pace.next.max(until);
        pace.paused_until = pace.paused_until.max(until);
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
    /// Turned on at shutdown: waits for the budget or a backoff end at once, unsent.
    stopping: watch::Sender<bool>,
}

/// Why a request was not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unsent {
    /// The subscription changed while the request waited (stopped, paused, held).
    Unwanted,
    /// Retries ran out (5xx, network) or the rate limit lasted too long.
    GaveUp,
    /// The dispatcher is stopping; the request was not sent.
    Stopping,
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
            stopping: watch::channel(false).0,
        })
    }

    /// Shutting down: requests still waiting to go are not sent (their prompts are given
    /// back); one already on the wire is answered as usual.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Wait `for_what`, unless the dispatcher stops first (then `Err(Stopping)`).
    async fn wait<T>(&self, for_what: impl std::future::Future<Output = T>) -> Result<T, Unsent> {
        let mut stopping = self.stopping.subscribe();
        tokio::select! {
            biased;
            _ = stopping.wait_for(|stopped| *stopped) => Err(Unsent::Stopping),
            done = for_what => Ok(done),
        }
    }

    /// POST `body` to `path` within the budget, retrying 429 (after `retry_after`) and 5xx.
    /// `wanted` is asked right before every attempt (after any wait for the budget): when it
    /// says no, nothing is sent and the answer is `Err(Unwanted)`.
    async fn post(
        &self,
        path: &str,
        body: Vec<u8>,
        wanted: &(dyn Fn() -> bool + Sync),
    ) -> Result<Answer, Unsent> {
        let url = format!("{}{path}", self.base);
        let give_up = Instant::now() + GIVE_UP_AFTER;
        let mut attempt = 0;
        while attempt < ATTEMPTS && Instant::now() < give_up {
            self.wait(self.budget.acquire()).await?;
            if !wanted() {
                return Err(Unsent::Unwanted);
            }
            let sent = self
                .client
                .post(&url)
                .header(reqwest::header::AUTHORIZATION, &self.authorization)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let header_wait = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    let body: Value = response
                        .bytes()
                        .await
                        .ok()
                        .and_then(|b| serde_json::from_slice(&b).ok())
                        .unwrap_or(Value::Null);
                    if status == 429 {
                        let wait = retry_wait(&body, header_wait.as_deref());
                        tracing::warn!(
                            retry_after_ms = wait.as_millis() as u64,
                            global = body["global"].as_bool().unwrap_or(false),
                            "rate limited; pausing daily prompts"
                        );
                        self.budget.pause(wait);
                        continue;
                    }
                    if !(500..=599).contains(&status) {
                        self.budget.succeeded();
                        return Ok(Answer { status, body });
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e.without_url(), attempt, "daily prompt request failed");
                }
            }
            // A 5xx or a network error: back off, unless that was the last attempt.
            attempt += 1;
            if attempt < ATTEMPTS {
                self.wait(tokio::time::sleep(backoff(attempt - 1))).await?;
            }
        }
        Err(Unsent::GaveUp)
    }
}

/// How long a 429 asks to wait: the body's `retry_after`, else the `Retry-After` header, else
/// a second; never negative, NaN or more than ten minutes (a proxy's page can say anything).
fn retry_wait(body: &Value, header: Option<&str>) -> Duration {
    let seconds = body["retry_after"]
        .as_f64()
        .filter(|w| w.is_finite())
        .or_else(|| {
            header
                .and_then(|h| h.trim().parse::<f64>().ok())
                .filter(|w| w.is_finite())
        })
        .unwrap_or(1.0);
    Duration::from_secs_f64(seconds.clamp(0.0, 600.0))
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250 * 2u64.pow(attempt.min(6)))
}

/// What delivering one prompt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Sent,
    /// Stopped or paused since it was claimed.
    Dropped,
    DmsClosed,
    /// Not delivered (Discord failing, or shutting down first): given back for a retry.
    Failed,
}

enum Refused {
    DmsClosed,
    UnknownChannel,
    Unwanted,
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
    /// Claim and deliver until `stop` turns true, then let deliveries under way finish;
    /// claims that had not started are given back (claimed again at the next start).
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let queued = Arc::new(AtomicUsize::new(0));
        let failing = Arc::new(AtomicUsize::new(0));
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        tracing::info!("daily prompts: dispatcher started");
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stop.changed() => break,
            }
            let mut room = self
                .queue_limit
                .saturating_sub(queued.load(Ordering::Relaxed));
            // While deliveries keep failing (Discord down), claim one at a time: a probe, not
            // a flood of prompts marked sent that will only be given back.
            if failing.load(Ordering::Relaxed) >= FAILURES_BEFORE_PROBING {
                let idle = queued.load(Ordering::Relaxed) == 0;
                room = if idle { room.min(1) } else { 0 };
            }
            if room == 0 {
                continue;
            }
            let bot = self.bot.clone();
            let claimed = tokio::task::spawn_blocking(move || bot.claim_due(TRANSPORT, room)).await;
            let tick = match claimed {
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
                    "daily prompts missed by more than the grace period; not sent"
                );
            }
            if !tick.claims.is_empty() {
                tracing::info!(claimed = tick.claims.len(), "daily prompts due");
            }
            for claim in tick.claims {
                let waiting = Waiting::new(queued.clone());
                let (this, slots, failing) = (self.clone(), slots.clone(), failing.clone());
                let mut stop = stop.clone();
                tokio::spawn(async move {
                    let _waiting = waiting;
                    let slot = tokio::select! {
                        biased;
                        _ = stop.wait_for(|stopped| *stopped) => None,
                        slot = slots.acquire_owned() => slot.ok(),
                    };
                    let outcome = match slot {
                        Some(_slot) => this.deliver(&claim).await,
                        None => Outcome::Failed,
                    };
                    match outcome {
                        Outcome::Failed => {
                            failing.fetch_add(1, Ordering::Relaxed);
                            this.blocking(move |bot| bot.daily_give_back(&claim)).await;
                        }
                        Outcome::Sent => failing.store(0, Ordering::Relaxed),
                        Outcome::Dropped | Outcome::DmsClosed => {}
                    }
                    tracing::debug!(?outcome, "daily prompt");
                });
            }
        }
        // Requests still waiting for the budget or a backoff give up now (given back).
        self.rest.stop();
        // Every claim counts until its task is done: delivered, dropped or given back.
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        while queued.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let unfinished = queued.load(Ordering::Relaxed);
        if unfinished > 0 {
            tracing::warn!(
                unfinished,
                "daily prompts: stopped with deliveries under way"
            );
        }
        tracing::info!("daily prompts: dispatcher stopped");
    }

    /// Run store work (it may flush to disk) off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Bot) -> T + Send + 'static,
    ) -> Option<T> {
        let bot = self.bot.clone();
        tokio::task::spawn_blocking(move || work(&bot)).await.ok()
    }

    async fn deliver(&self, claim: &Claim) -> Outcome {
        let Some(owner) = discord_user(&claim.user) else {
            return Outcome::Dropped;
        };
        let for_claim = claim.clone();
        let reply = self
            .blocking(move |bot| bot.daily_prompt(&for_claim))
            .await
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
        // Asked right before every request, after any wait for the budget or a 429: stop,
        // pause and hold win over a prompt already on its way. (A sled read: memory-speed.)
        let store = self.bot.store();
        let wanted = || store.still_wanted(claim).unwrap_or(false);
        for attempt in 0..2 {
            let channel = match self.dm_channel(&claim.user, owner, &wanted).await {
                Ok(channel) => channel,
                Err(Refused::DmsClosed) => return self.hold(claim).await,
                Err(Refused::Unwanted) => return Outcome::Dropped,
                Err(_) => return Outcome::Failed,
            };
            match self.send_all(channel, &messages, &wanted, claim).await {
                Ok(()) => return Outcome::Sent,
                Err(Refused::DmsClosed) => return self.hold(claim).await,
                Err(Refused::Unwanted) => return Outcome::Dropped,
                Err(Refused::UnknownChannel) if attempt == 0 => {
                    // The cached channel is gone: open the DM again, once.
                    let user = claim.user.clone();
                    self.blocking(move |bot| bot.store().forget_dm_channel(&user))
                        .await;
                }
                Err(_) => return Outcome::Failed,
            }
        }
        Outcome::Failed
    }

    async fn hold(&self, claim: &Claim) -> Outcome {
        tracing::info!("daily prompt: DMs closed; holding the subscription");
        let user = claim.user.clone();
        self.blocking(move |bot| bot.daily_dms_closed(&user)).await;
        Outcome::DmsClosed
    }

    async fn send_all(
        &self,
        channel: u64,
        messages: &[render::Outgoing],
        wanted: &(dyn Fn() -> bool + Sync),
        claim: &Claim,
    ) -> Result<(), Refused> {
        for (part, message) in messages.iter().enumerate() {
            // The same nonce on every resend of this prompt: Discord returns the message it
            // already made (for a few minutes) instead of a second one, when an answer was
            // lost after the message was created.
            let built = send::channel_message(message)
                .nonce(Nonce::String(nonce(claim, part)))
                .enforce_nonce(true);
            let body = serde_json::to_vec(&built).map_err(|_| Refused::Other)?;
            let answer = self
                .rest
                .post(&format!("/channels/{channel}/messages"), body, wanted)
                .await;
            match answer {
                Ok(answer) if answer.ok() => {}
                Ok(answer) => return Err(refusal(&answer)),
                Err(Unsent::Unwanted) => return Err(Refused::Unwanted),
                Err(Unsent::GaveUp) => {
                    tracing::warn!("daily prompt not delivered after retries");
                    return Err(Refused::Other);
                }
                Err(Unsent::Stopping) => return Err(Refused::Other),
            }
        }
        Ok(())
    }

    /// The cached DM channel, or a new one (cached for next time).
    async fn dm_channel(
        &self,
        user: &UserId,
        owner: u64,
        wanted: &(dyn Fn() -> bool + Sync),
    ) -> Result<u64, Refused> {
        if let Ok(Some(channel)) = self.bot.store().dm_channel(user) {
            return Ok(channel);
        }
        let body = serde_json::to_vec(&serde_json::json!({ "recipient_id": owner.to_string() }))
            .map_err(|_| Refused::Other)?;
        let answer = match self.rest.post("/users/@me/channels", body, wanted).await {
            Ok(answer) => answer,
            Err(Unsent::Unwanted) => return Err(Refused::Unwanted),
            Err(Unsent::GaveUp | Unsent::Stopping) => return Err(Refused::Other),
        };
        if !answer.ok() {
            return Err(refusal(&answer));
        }
        let channel = answer.body["id"]
            .as_str()
            .and_then(|id| id.parse::<u64>().ok())
            .ok_or(Refused::Other)?;
        let user = user.clone();
        let cached = self
            .blocking(move |bot| bot.store().save_dm_channel(&user, channel))
            .await;
        if let Some(Err(e)) = cached {
            tracing::warn!(error = %e, "cannot cache a DM channel");
        }
        Ok(channel)
    }
}

/// A nonce for part `part` of the prompt of `claim`: 16 hex digits of a hash of who, when
/// and which part (Discord allows 25 characters).
fn nonce(claim: &Claim, part: usize) -> String {
    let text = format!("{}|{}|{part}", claim.user, claim.due.timestamp_millis());
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{:016x}", crate::daily::schedule::mix(hash))
}

/// What a refusal from Discord means for a delivery.
fn refusal(answer: &Answer) -> Refused {
    match answer.code() {
        code if code == CANNOT_DM as i64 => Refused::DmsClosed,
        UNKNOWN_CHANNEL => Refused::UnknownChannel,
        code => {
            tracing::warn!(status = answer.status, code, "daily prompt refused");
            Refused::Other
        }
    }
}

/// Counts a claim as waiting or under way for as long as it lives, whatever happens to the
/// task holding it (a panic included), so the queue never fills with ghosts.
struct Waiting(Arc<AtomicUsize>);

impl Waiting {
    fn new(count: Arc<AtomicUsize>) -> Waiting {
        count.fetch_add(1, Ordering::Relaxed);
        Waiting(count)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
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

    use super::super::send::fake_discord::FakeDiscord;

    #[tokio::test]
    async fn a_request_that_is_no_longer_wanted_is_not_sent_after_a_429() {
        let fake = FakeDiscord::start().await;
        fake.fail_next("/channels/9/messages", 429, 3);
        let rest = Rest::new(&fake.rest_url, "test-token", 40).expect("client");
        let asked = std::sync::atomic::AtomicUsize::new(0);
        // Wanted for the first attempt only: the person stops during the 429 wait.
        let wanted = || asked.fetch_add(1, Ordering::Relaxed) == 0;
        let answer = rest
            .post("/channels/9/messages", b"{}".to_vec(), &wanted)
            .await;
        assert_eq!(answer.err(), Some(Unsent::Unwanted));
        let sent: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
        assert_eq!(sent, [429], "nothing after the stop");
    }

    #[tokio::test]
    async fn stopping_ends_a_wait_without_sending() {
        let fake = FakeDiscord::start().await;
        let rest = Rest::new(&fake.rest_url, "test-token", 40).expect("client");
        rest.budget.pause(Duration::from_secs(3600));
        rest.stop();
        let answer = rest
            .post("/channels/9/messages", b"{}".to_vec(), &|| true)
            .await;
        assert_eq!(answer.err(), Some(Unsent::Stopping));
        assert!(fake.requests().is_empty());
    }

    #[test]
    fn a_nonsense_retry_after_is_a_second_not_a_panic() {
        let none = Value::Null;
        assert_eq!(retry_wait(&none, Some("nan")), Duration::from_secs(1));
        assert_eq!(retry_wait(&none, Some("inf")), Duration::from_secs(1));
        assert_eq!(retry_wait(&none, Some("<html>")), Duration::from_secs(1));
        assert_eq!(retry_wait(&none, Some("-5")), Duration::ZERO);
        assert_eq!(retry_wait(&none, Some("1e9")), Duration::from_secs(600));
        assert_eq!(
            retry_wait(&none, Some(" 2.5 ")),
            Duration::from_millis(2500)
        );
        let body = serde_json::json!({"retry_after": 0.25});
        assert_eq!(retry_wait(&body, Some("9")), Duration::from_millis(250));
    }

    #[test]
    fn a_prompts_nonce_is_stable_short_and_its_own() {
        let claim = Claim {
            user: UserId::new("discord:42").unwrap(),
            index: 3,
            due: chrono::DateTime::from_timestamp(1_796_288_400, 0).unwrap(),
        };
        assert_eq!(nonce(&claim, 0), nonce(&claim.clone(), 0));
        assert!(nonce(&claim, 0).len() <= 25);
        assert_ne!(nonce(&claim, 0), nonce(&claim, 1));
        let next_day = Claim {
            due: claim.due + chrono::Duration::days(1),
            ..claim.clone()
        };
        assert_ne!(nonce(&claim, 0), nonce(&next_day, 0));
    }

    #[test]
    fn only_discord_users_get_dms() {
        assert_eq!(discord_user(&UserId::new("discord:42").unwrap()), Some(42));
        assert_eq!(discord_user(&UserId::new("terminal:local").unwrap()), None);
    }
}
