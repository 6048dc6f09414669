//! Daily-prompt subscriptions in sled, and the time-indexed tree that makes a tick cost
//! O(due) rather than O(subscribers).
//!
//! - `daily`: person -> [`Subscription`] (JSON).
//! - `daily_due`: `due (ms since 1970, big-endian u64) ++ person` -> empty. Keys sort by time, so
//!   "who is due by now" is one range scan from the start. The record and its key change
//!   together in one sled transaction.
//! - `dm_channels`: person -> the transport's DM channel id (8 bytes), so each delivery is one
//!   request instead of two.
//!
//! Subscribing is its own opt-in: these trees hold data only for people who asked for daily
//! prompts (the reply says what is kept), without the general "save my progress" consent.
//! `/daily stop`, erase and export cover all three trees.

use chrono::{DateTime, Duration, Utc};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::{Store, StoreError, UserId, describe};
use crate::daily::{Claim, Fired, Notice, Subscription};

/// Marks the due index as built from the records with this layout and time-zone database;
/// anything else is rebuilt at start.
fn index_mark() -> String {
    format!("1 tzdb {}", chrono_tz::IANA_TZDB_VERSION)
}
const INDEX_MARK_KEY: &str = "daily_index";

fn due_key(due: DateTime<Utc>, user: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(8 + user.len());
    key.extend_from_slice(&millis(due).to_be_bytes());
    key.extend_from_slice(user);
    key
}

fn millis(instant: DateTime<Utc>) -> u64 {
    instant.timestamp_millis().max(0) as u64
}

/// What a due key says: when, and whose.
fn parse_due_key(key: &[u8]) -> Option<(u64, UserId)> {
    let (ms, user) = key.split_at_checked(8)?;
    let ms = u64::from_be_bytes(ms.try_into().ok()?);
    let user = UserId::new(std::str::from_utf8(user).ok()?).ok()?;
    Some((ms, user))
}

type TxError = ConflictableTransactionError<StoreError>;

/// What a transaction aborts with on an unreadable record (it is set aside outside it).
const UNREADABLE: StoreError = StoreError::Corrupt {
    tree: "daily",
    reason: String::new(),
};

/// Prompts claimed in one sled transaction.
const CLAIMS_PER_TRANSACTION: usize = 256;

/// Index entries written per batch when rebuilding (bounds memory at any size).
const REBUILD_BATCH: usize = 10_000;

fn encode(sub: &Subscription) -> Result<Vec<u8>, TxError> {
    serde_json::to_vec(sub).map_err(|e| ConflictableTransactionError::Abort(e.into()))
}

fn unwrap_tx<T>(result: Result<T, TransactionError<StoreError>>) -> Result<T, StoreError> {
    result.map_err(|e| match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Sled(e),
    })
}

/// The write half of `Store::update_subscription`, inside its transaction: the old due key
/// out, the changed record and its new due key in.
fn apply_change(
    daily: &sled::transaction::TransactionalTree,
    due: &sled::transaction::TransactionalTree,
    key: &[u8],
    before: Option<Subscription>,
    f: &impl Fn(Option<Subscription>) -> Option<Subscription>,
) -> Result<Option<Subscription>, TxError> {
    if let Some(at) = before.as_ref().and_then(|s| s.next_due) {
        due.remove(due_key(at, key))?;
    }
    let after = f(before);
    match &after {
        Some(sub) => {
            daily.insert(key, encode(sub)?)?;
            if let Some(at) = sub.next_due {
                due.insert(due_key(at, key), &[][..])?;
            }
        }
        None => {
            daily.remove(key)?;
        }
    }
    Ok(after)
}

/// The outcome of a tick.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tick {
    /// Prompts recorded as sent, to deliver now.
    pub claims: Vec<Claim>,
    /// Prompts missed by more than the grace period, not sent.
    pub skipped: usize,
}

impl Store {
    /// The person's subscription. An unreadable record is set aside (kept for export and
    /// erase) and its due key, which names the person, removed with it.
    pub fn subscription(&self, user: &UserId) -> Result<Option<Subscription>, StoreError> {
        let read = self.read(&self.daily, "daily", user);
        if let Err(StoreError::Corrupt { .. }) = &read {
            self.remove_due_keys_of(user)?;
        }
        read
    }

    /// Store `sub` for `user` and index its next due instant, replacing any earlier record.
    pub fn save_subscription(&self, user: &UserId, sub: &Subscription) -> Result<(), StoreError> {
        self.update_subscription(user, |_| Some(sub.clone()))?;
        self.flush()
    }

    /// Change `user`'s record with `f` (given the current one, if readable), keeping the index
    /// in step; `None` from `f` deletes it. Returns what was stored.
    pub fn update_subscription(
        &self,
        user: &UserId,
        f: impl Fn(Option<Subscription>) -> Option<Subscription>,
    ) -> Result<Option<Subscription>, StoreError> {
        let key = user.as_str().as_bytes();
        let change = || {
            (&self.daily, &self.daily_due).transaction(|(daily, due)| {
                let before: Option<Subscription> = match daily.get(key)? {
                    None => None,
                    Some(bytes) => match serde_json::from_slice(&bytes) {
                        Ok(sub) => Some(sub),
                        Err(_) => return Err(ConflictableTransactionError::Abort(UNREADABLE)),
                    },
                };
                apply_change(daily, due, key, before, &f)
            })
        };
        match unwrap_tx(change()) {
            // Set the unreadable record aside (with its due key), never lost, then go on
            // as if there were none.
            Err(StoreError::Corrupt { .. }) => {
                let _ = self.subscription(user);
                unwrap_tx(change())
            }
            other => other,
        }
    }

    /// Every due key naming `user`, whatever its time (O(index); only after a record was
    /// found unreadable).
    fn remove_due_keys_of(&self, user: &UserId) -> Result<(), StoreError> {
        for key in self.daily_due.iter().keys() {
            let key = key?;
            if key.get(8..) == Some(user.as_str().as_bytes()) {
                self.daily_due.remove(key)?;
            }
        }
        Ok(())
    }

    /// A claimed prompt could not be delivered: claim it again at `retry_at` if the person
    /// still wants it and it is still within `grace` then (see `Subscription::give_back`).
    pub fn give_back(
        &self,
        claim: &Claim,
        retry_at: DateTime<Utc>,
        grace: Duration,
    ) -> Result<(), StoreError> {
        self.update_subscription(&claim.user, |sub| {
            sub.map(|s| s.give_back(claim.due, claim.index, retry_at, grace))
        })?;
        self.flush()
    }

    /// Delete `user`'s subscription, its due entry, the cached DM channel and any unreadable
    /// copy set aside; flushed. Whether there was a subscription.
    pub fn unsubscribe(&self, user: &UserId) -> Result<bool, StoreError> {
        let had = self.daily.contains_key(user.as_str())?;
        self.update_subscription(user, |_| None)?;
        self.dm_channels.remove(user.as_str())?;
        let mut set_aside = user.as_str().as_bytes().to_vec();
        set_aside.extend_from_slice(b"\0daily\0");
        let keys: Vec<sled::IVec> = self
            .quarantine
            .scan_prefix(&set_aside)
            .keys()
            .collect::<Result<_, _>>()?;
        let set_aside_copies = keys.len();
        for key in keys {
            self.quarantine.remove(key)?;
        }
        self.flush()?;
        Ok(had || set_aside_copies > 0)
    }

    /// Claim every prompt due by `now` (at most `limit`): each is recorded as sent (or
    /// skipped, if older than `grace`) and rescheduled before this returns, and the store is
    /// flushed, so a crash after it never sends the same prompt twice.
    /// Only people whose id starts with `transport` (`discord:`) are claimed: a terminal
    /// subscriber on the same data folder is left for the terminal.
    pub fn claim_due(
        &self,
        transport: &str,
        now: DateTime<Utc>,
        grace: Duration,
        limit: usize,
    ) -> Result<Tick, StoreError> {
        let end = (millis(now) + 1).to_be_bytes();
        let mut keys = Vec::new();
        for key in self.daily_due.range(..&end[..]).keys() {
            let key = key?;
            if key
                .get(8..)
                .is_some_and(|u| u.starts_with(transport.as_bytes()))
            {
                keys.push(key);
                if keys.len() >= limit {
                    break;
                }
            }
        }
        self.claim_keys(keys, now, grace)
    }

    /// [`Store::claim_due`] for one person only (the terminal chat, which may share a data
    /// folder with the Discord bot and must not take anyone else's prompts).
    pub fn claim_due_for(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
        grace: Duration,
    ) -> Result<Tick, StoreError> {
        let keys = match self.subscription(user) {
            Ok(Some(Subscription {
                next_due: Some(at), ..
            })) if at <= now => vec![due_key(at, user.as_str().as_bytes()).into()],
            Ok(_) | Err(StoreError::Corrupt { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        self.claim_keys(keys, now, grace)
    }

    fn claim_keys(
        &self,
        keys: Vec<sled::IVec>,
        now: DateTime<Utc>,
        grace: Duration,
    ) -> Result<Tick, StoreError> {
        let mut tick = Tick::default();
        // Many prompts per transaction: one sled transaction each cost most of a tick.
        for chunk in keys.chunks(CLAIMS_PER_TRANSACTION) {
            let result = (&self.daily, &self.daily_due).transaction(|(daily, due)| {
                let mut fired = Vec::new();
                let mut unreadable = Vec::new();
                for key in chunk {
                    due.remove(key)?;
                    let Some((ms, user)) = parse_due_key(key) else {
                        continue;
                    };
                    let person = user.as_str().as_bytes();
                    let Some(bytes) = daily.get(person)? else {
                        continue;
                    };
                    let sub: Subscription = match serde_json::from_slice(&bytes) {
                        Ok(sub) => sub,
                        Err(_) => {
                            unreadable.push(user);
                            continue;
                        }
                    };
                    // A key that no longer matches its record (changed since) is just dropped.
                    if sub.next_due.map(millis) != Some(ms) {
                        continue;
                    }
                    let (sub, outcome) = sub.on_due(now, grace);
                    daily.insert(person, encode(&sub)?)?;
                    if let Some(at) = sub.next_due {
                        due.insert(due_key(at, person), &[][..])?;
                    }
                    if let Some(outcome) = outcome {
                        fired.push((user, outcome));
                    }
                }
                Ok((fired, unreadable))
            });
            let (fired, unreadable) = match unwrap_tx(result) {
                Ok(done) => done,
                // Earlier chunks are committed: hand those over rather than lose them.
                Err(e) if !tick.claims.is_empty() => {
                    tracing::error!(error = %e, "claiming stopped part way; delivering what was claimed");
                    break;
                }
                Err(e) => return Err(e),
            };
            for user in unreadable {
                // Read again outside the transaction so it is set aside, never lost.
                let _ = self.subscription(&user);
            }
            for (user, outcome) in fired {
                match outcome {
                    Fired::Send { index, due } => tick.claims.push(Claim { user, index, due }),
                    Fired::Skipped { .. } => tick.skipped += 1,
                }
            }
        }
        if !tick.claims.is_empty() || tick.skipped > 0 {
            self.flush()?;
        }
        Ok(tick)
    }

    /// Whether a claimed delivery should still go out (not stopped, paused or held since).
    pub fn still_wanted(&self, claim: &Claim) -> Result<bool, StoreError> {
        Ok(self
            .subscription(&claim.user)?
            .is_some_and(|s| s.still_wants(claim.due)))
    }

    /// The person's DMs are closed: hold their prompts and leave them a notice.
    pub fn hold_dms_closed(&self, user: &UserId) -> Result<(), StoreError> {
        self.update_subscription(user, |sub| sub.map(Subscription::hold_dms_closed))?;
        self.flush()
    }

    /// Take (and clear) the notice left for `user`, if any.
    pub fn take_daily_notice(&self, user: &UserId) -> Result<Option<Notice>, StoreError> {
        let Ok(Some(sub)) = self.subscription(user) else {
            return Ok(None);
        };
        let Some(notice) = sub.notice else {
            return Ok(None);
        };
        self.update_subscription(user, |sub| {
            sub.map(|mut s| {
                s.notice = None;
                s
            })
        })?;
        Ok(Some(notice))
    }

    // --- DM channels -------------------------------------------------------------------------

    pub fn dm_channel(&self, user: &UserId) -> Result<Option<u64>, StoreError> {
        Ok(self
            .dm_channels
            .get(user.as_str())?
            .and_then(|bytes| <[u8; 8]>::try_from(bytes.as_ref()).ok())
            .map(u64::from_be_bytes))
    }

    /// Remember the DM channel for a subscriber (nobody else: it is personal data). Checked
    /// and written in one transaction, so a stop at the same moment leaves nothing behind.
    pub fn save_dm_channel(&self, user: &UserId, channel: u64) -> Result<(), StoreError> {
        let key = user.as_str().as_bytes();
        let result = (&self.daily, &self.dm_channels).transaction(|(daily, channels)| {
            if daily.get(key)?.is_some() {
                channels.insert(key, &channel.to_be_bytes())?;
            }
            Ok(())
        });
        unwrap_tx(result)
    }

    pub fn forget_dm_channel(&self, user: &UserId) -> Result<(), StoreError> {
        self.dm_channels.remove(user.as_str())?;
        Ok(())
    }

    /// Write many subscriptions at once (a restore, a migration, a benchmark), then rebuild
    /// the due index from them. Far faster than one transaction each; not atomic, so the
    /// index is rebuilt last, from whatever was written.
    pub fn import_subscriptions(
        &self,
        subs: impl IntoIterator<Item = (UserId, Subscription)>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let mut batch = sled::Batch::default();
        let mut pending = 0;
        for (user, sub) in subs {
            batch.insert(user.as_str().as_bytes(), serde_json::to_vec(&sub)?);
            pending += 1;
            if pending == 10_000 {
                self.daily.apply_batch(std::mem::take(&mut batch))?;
                pending = 0;
            }
        }
        self.daily.apply_batch(batch)?;
        let count = self.rebuild_daily_index(now)?;
        self.db
            .open_tree("meta")?
            .insert(INDEX_MARK_KEY, index_mark().as_bytes())?;
        self.flush()?;
        Ok(count)
    }

    // --- the index at start ------------------------------------------------------------------

    /// Rebuild the due index from the records if it was built by another layout or another
    /// time-zone database (which can move local times); returns how many were indexed, or
    /// `None` when the index was already current.
    pub fn ensure_daily_index(&self, now: DateTime<Utc>) -> Result<Option<usize>, StoreError> {
        let meta = self.db.open_tree("meta")?;
        let mark = index_mark();
        if meta.get(INDEX_MARK_KEY)?.as_deref() == Some(mark.as_bytes()) {
            return Ok(None);
        }
        let count = self.rebuild_daily_index(now)?;
        meta.insert(INDEX_MARK_KEY, mark.as_bytes())?;
        self.flush()?;
        Ok(Some(count))
    }

    /// Recompute the due index from every record: instants still ahead are recomputed (the
    /// zone rules may have changed); ones already past keep their time so the grace period
    /// decides. Unreadable records are set aside.
    pub fn rebuild_daily_index(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        self.daily_due.clear()?;
        let mut index = sled::Batch::default();
        let mut records = sled::Batch::default();
        let mut count = 0;
        let mut pending = 0;
        for entry in self.daily.iter() {
            let (key, bytes) = entry?;
            let mut sub: Subscription = match serde_json::from_slice(&bytes) {
                Ok(sub) => sub,
                Err(e) => {
                    self.set_aside("daily", &key, &bytes, &e)?;
                    self.daily.remove(&key)?;
                    tracing::warn!(error = %describe(&e), "set aside an unreadable subscription");
                    continue;
                }
            };
            if let Some(at) = sub.next_due {
                if at > now {
                    let fresh = sub.clone().reschedule(now);
                    if fresh.next_due != sub.next_due {
                        sub = fresh;
                        records.insert(&key, serde_json::to_vec(&sub)?);
                    }
                }
                if let Some(at) = sub.next_due {
                    index.insert(due_key(at, &key), &[][..]);
                    count += 1;
                    pending += 1;
                }
            }
            if pending >= REBUILD_BATCH {
                self.daily.apply_batch(std::mem::take(&mut records))?;
                self.daily_due.apply_batch(std::mem::take(&mut index))?;
                pending = 0;
            }
        }
        self.daily.apply_batch(records)?;
        self.daily_due.apply_batch(index)?;
        Ok(count)
    }
}
