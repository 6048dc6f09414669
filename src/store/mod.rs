//! Per-person and per-server state in sled, written only with consent.
//!
//! ## Layout
//! One tree per kind of record, each keyed by the person's [`UserId`] (or the server id):
//! `consent`, `sessions`, `settings`, `notes` and `results` (keys `user \0 sequence`), `guilds`, and
//! `quarantine` (records that could not be read, kept so nothing is silently lost). The `meta`
//! tree holds `schema_version`. Daily-prompt subscriptions live in `daily`, `daily_due` and
//! `dm_channels` (see the `daily` module: subscribing is its own opt-in).
//!
//! ## Encoding
//! Values are JSON (serde_json). Records are small (a session is a few hundred bytes), so size
//! and speed barely differ from a binary format, while JSON buys what matters here: `/mydata`
//! exports are the stored bytes made readable, an operator can inspect a record by eye, and
//! serde's `#[serde(default)]` lets fields be added without a migration.
//!
//! ## Consent
//! The store itself refuses to write a person's session, settings or notes before a consent
//! record exists for them: the rule is enforced where data is written, not only where it is
//! decided. Consent changes and erasure are flushed to disk before they return.

mod daily;
mod migrate;
mod records;

pub use daily::Tick;

pub use records::{
    ConsentRecord, GuildSettings, PRIVACY_VERSION, SavedNote, SavedResult, UserSettings,
};

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::engine::Session;

/// Who a record belongs to: a transport-qualified id such as `discord:1234` or `terminal:local`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct UserId(String);

impl UserId {
    /// A user id; it must be non-empty and hold no NUL (NUL separates key parts).
    pub fn new(id: impl Into<String>) -> Result<UserId, StoreError> {
        let id = id.into();
        if id.is_empty() || id.contains('\0') || id.len() > 128 {
            return Err(StoreError::BadUserId);
        }
        Ok(UserId(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn prefix(&self) -> Vec<u8> {
        let mut key = self.0.as_bytes().to_vec();
        key.push(0);
        key
    }
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("the data store failed: {0}")]
    Sled(#[from] sled::Error),
    #[error("a stored {tree} record could not be read ({reason}); it was set aside, not deleted")]
    Corrupt { tree: &'static str, reason: String },
    #[error("nothing can be saved for this person: they have not agreed to saving")]
    NoConsent,
    #[error("a user id must be 1-128 characters without NUL")]
    BadUserId,
    #[error(
        "the data directory was written by a newer securebase (schema {found}, this build knows up to {known})"
    )]
    TooNew { found: u32, known: u32 },
    #[error("could not encode a record: {0}")]
    Encode(#[from] serde_json::Error),
}

/// A decoding error described without its message: serde's messages can quote the offending
/// value, which could be something a person wrote, and this text reaches logs and replies.
fn describe(error: &serde_json::Error) -> String {
    format!(
        "{:?} error at line {}, column {}",
        error.classify(),
        error.line(),
        error.column()
    )
}

/// The sled database and its trees.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    consent: sled::Tree,
    sessions: sled::Tree,
    settings: sled::Tree,
    notes: sled::Tree,
    results: sled::Tree,
    guilds: sled::Tree,
    quarantine: sled::Tree,
    daily: sled::Tree,
    daily_due: sled::Tree,
    dm_channels: sled::Tree,
}

/// The trees that hold one record per person under the exact user key.
const PERSON_TREES: [&str; 5] = ["consent", "sessions", "settings", "daily", "dm_channels"];

impl Store {
    /// Open (or create) the store in `dir`, migrating it to the current schema.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::from_db(sled::open(dir)?)
    }

    /// A store that lives in memory and a temp file, gone when dropped (tests, benchmarks).
    pub fn temporary() -> Result<Store, StoreError> {
        Store::from_db(sled::Config::new().temporary(true).open()?)
    }

    fn from_db(db: sled::Db) -> Result<Store, StoreError> {
        migrate::to_current(&db, migrate::MIGRATIONS)?;
        Ok(Store {
            consent: db.open_tree("consent")?,
            sessions: db.open_tree("sessions")?,
            settings: db.open_tree("settings")?,
            notes: db.open_tree("notes")?,
            results: db.open_tree("results")?,
            guilds: db.open_tree("guilds")?,
            quarantine: db.open_tree("quarantine")?,
            daily: db.open_tree("daily")?,
            daily_due: db.open_tree("daily_due")?,
            dm_channels: db.open_tree("dm_channels")?,
            db,
        })
    }

    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    // --- consent -------------------------------------------------------------------------

    pub fn consent(&self, user: &UserId) -> Result<Option<ConsentRecord>, StoreError> {
        self.read(&self.consent, "consent", user)
    }

    pub fn has_consent(&self, user: &UserId) -> Result<bool, StoreError> {
        Ok(self.consent.contains_key(user.as_str())?)
    }

    /// Record consent and flush before returning, so an acknowledged "yes" survives a crash.
    pub fn give_consent(&self, user: &UserId, record: &ConsentRecord) -> Result<(), StoreError> {
        self.consent
            .insert(user.as_str(), serde_json::to_vec(record)?)?;
        self.flush()
    }

    // --- sessions, settings, notes (consent required) ------------------------------------

    pub fn session(&self, user: &UserId) -> Result<Option<Session>, StoreError> {
        self.read(&self.sessions, "session", user)
    }

    pub fn save_session(&self, user: &UserId, session: &Session) -> Result<(), StoreError> {
        self.write_personal(&self.sessions, user, session)
    }

    pub fn settings(&self, user: &UserId) -> Result<Option<UserSettings>, StoreError> {
        self.read(&self.settings, "settings", user)
    }

    pub fn save_settings(&self, user: &UserId, settings: &UserSettings) -> Result<(), StoreError> {
        self.write_personal(&self.settings, user, settings)
    }

    pub fn add_note(&self, user: &UserId, note: &SavedNote) -> Result<(), StoreError> {
        self.append_personal(&self.notes, user, note)
    }

    pub fn notes(&self, user: &UserId) -> Result<Vec<SavedNote>, StoreError> {
        self.list(&self.notes, "notes", user)
    }

    pub fn add_result(&self, user: &UserId, result: &SavedResult) -> Result<(), StoreError> {
        self.append_personal(&self.results, user, result)
    }

    /// A person's kept results, oldest first.
    pub fn results(&self, user: &UserId) -> Result<Vec<SavedResult>, StoreError> {
        self.list(&self.results, "results", user)
    }

    // --- servers ---------------------------------------------------------------------------

    pub fn guild_settings(&self, guild: &str) -> Result<Option<GuildSettings>, StoreError> {
        match self.guilds.get(guild)? {
            None => Ok(None),
            Some(bytes) => match serde_json::from_slice(&bytes) {
                Ok(settings) => Ok(Some(settings)),
                Err(e) => {
                    self.set_aside("guilds", guild.as_bytes(), &bytes, &e)?;
                    Err(StoreError::Corrupt {
                        tree: "guild settings",
                        reason: describe(&e),
                    })
                }
            },
        }
    }

    /// Server settings are an admin's configuration, not personal data: no consent needed.
    pub fn save_guild_settings(
        &self,
        guild: &str,
        settings: &GuildSettings,
    ) -> Result<(), StoreError> {
        self.guilds.insert(guild, serde_json::to_vec(settings)?)?;
        self.flush()
    }

    // --- deployment secrets ------------------------------------------------------------------

    /// The secret that signs Discord component ids, made on first use and kept in `meta` so
    /// buttons keep working across restarts. Not personal data. An unreadable key is replaced
    /// (old buttons then read as out of date, which the adapter explains).
    pub fn click_key(&self) -> Result<[u8; 32], StoreError> {
        const NAME: &str = "click_key";
        let meta = self.db.open_tree("meta")?;
        if let Some(bytes) = meta.get(NAME)? {
            if let Ok(key) = <[u8; 32]>::try_from(bytes.as_ref()) {
                return Ok(key);
            }
            tracing::warn!("the stored button key is unreadable; making a new one");
        }
        let key: [u8; 32] = rand::random();
        meta.insert(NAME, &key[..])?;
        self.flush()?;
        Ok(key)
    }

    // --- export and erase ------------------------------------------------------------------

    /// Everything stored about `user`, as one JSON document.
    pub fn export(&self, user: &UserId) -> Result<serde_json::Value, StoreError> {
        let raw = |tree: &sled::Tree| -> Result<serde_json::Value, StoreError> {
            Ok(match tree.get(user.as_str())? {
                Some(bytes) => serde_json::from_slice(&bytes)
                    .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned().into()),
                None => serde_json::Value::Null,
            })
        };
        let listed = |tree: &sled::Tree| -> Result<Vec<serde_json::Value>, StoreError> {
            let mut out = Vec::new();
            for entry in tree.scan_prefix(user.prefix()) {
                let (_, value) = entry?;
                out.push(
                    serde_json::from_slice::<serde_json::Value>(&value)
                        .unwrap_or_else(|_| String::from_utf8_lossy(&value).into_owned().into()),
                );
            }
            Ok(out)
        };
        let notes = listed(&self.notes)?;
        let results = listed(&self.results)?;
        let mut unreadable = Vec::new();
        for entry in self.quarantine.scan_prefix(user.prefix()) {
            let (_, value) = entry?;
            unreadable.push(String::from_utf8_lossy(&value).into_owned());
        }
        Ok(serde_json::json!({
            "user": user.as_str(),
            "consent": raw(&self.consent)?,
            "session": raw(&self.sessions)?,
            "settings": raw(&self.settings)?,
            "notes": notes,
            "results": results,
            "daily_prompts": raw(&self.daily)?,
            "dm_channel": self.dm_channel(user)?.map(|c| c.to_string()),
            "unreadable_records": unreadable,
        }))
    }

    /// Remove every key of `user` from every tree, then flush. Returns how many were removed.
    pub fn erase(&self, user: &UserId) -> Result<usize, StoreError> {
        let unsubscribed = usize::from(self.unsubscribe(user)?);
        Ok(unsubscribed + self.erase_saved(user)?)
    }

    /// Remove what saving kept (consent, progress, settings, notes, results, set-aside
    /// records), but not a daily-prompt subscription, which is its own agreement.
    pub fn erase_saved(&self, user: &UserId) -> Result<usize, StoreError> {
        // Consent goes last: if this is interrupted, what is left is still known to be theirs
        // (the bot loads it, `export` shows it) and a second `forget` finishes the job.
        let mut removed = 0;
        for tree in [&self.sessions, &self.settings] {
            removed += usize::from(tree.remove(user.as_str())?.is_some());
        }
        for tree in [&self.notes, &self.results, &self.quarantine] {
            let keys: Vec<_> = tree
                .scan_prefix(user.prefix())
                .keys()
                .collect::<Result<_, _>>()?;
            for key in keys {
                removed += usize::from(tree.remove(key)?.is_some());
            }
        }
        self.flush()?;
        removed += usize::from(self.consent.remove(user.as_str())?.is_some());
        self.flush()?;
        Ok(removed)
    }

    /// Whether any key in any tree belongs to `user` (for tests and operators' checks).
    pub fn holds_anything_of(&self, user: &UserId) -> Result<bool, StoreError> {
        for name in self.db.tree_names() {
            let tree = self.db.open_tree(&name)?;
            let by_person = PERSON_TREES.iter().any(|t| t.as_bytes() == &*name);
            if by_person && tree.contains_key(user.as_str())? {
                return Ok(true);
            }
            if tree.scan_prefix(user.prefix()).next().is_some() {
                return Ok(true);
            }
            if &*name == b"daily_due" {
                // Keys are `time ++ person`: check every suffix.
                for key in tree.iter().keys() {
                    if key?.get(8..) == Some(user.as_str().as_bytes()) {
                        return Ok(true);
                    }
                }
            }
        }
        Ok(false)
    }

    // --- helpers -----------------------------------------------------------------------------

    fn write_personal<T: Serialize>(
        &self,
        tree: &sled::Tree,
        user: &UserId,
        value: &T,
    ) -> Result<(), StoreError> {
        self.insert_personal(tree, user, user.as_str().as_bytes().to_vec(), value)
    }

    /// Append a record under `user \0 sequence`, with consent.
    fn append_personal<T: Serialize>(
        &self,
        tree: &sled::Tree,
        user: &UserId,
        value: &T,
    ) -> Result<(), StoreError> {
        let mut key = user.prefix();
        key.extend_from_slice(&self.db.generate_id()?.to_be_bytes());
        self.insert_personal(tree, user, key, value)
    }

    /// The one place a person's record is written: only after they agreed to saving.
    fn insert_personal<T: Serialize>(
        &self,
        tree: &sled::Tree,
        user: &UserId,
        key: Vec<u8>,
        value: &T,
    ) -> Result<(), StoreError> {
        if !self.has_consent(user)? {
            return Err(StoreError::NoConsent);
        }
        tree.insert(key, serde_json::to_vec(value)?)?;
        Ok(())
    }

    /// Every readable record of `user` in `tree`, in key order; unreadable ones are set aside.
    fn list<T: DeserializeOwned>(
        &self,
        tree: &sled::Tree,
        what: &str,
        user: &UserId,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        for entry in tree.scan_prefix(user.prefix()) {
            let (key, value) = entry?;
            match serde_json::from_slice(&value) {
                Ok(record) => out.push(record),
                Err(e) => {
                    self.set_aside(what, &key, &value, &e)?;
                    tree.remove(&key)?;
                }
            }
        }
        Ok(out)
    }

    fn read<T: DeserializeOwned>(
        &self,
        tree: &sled::Tree,
        what: &'static str,
        user: &UserId,
    ) -> Result<Option<T>, StoreError> {
        let Some(bytes) = tree.get(user.as_str())? else {
            return Ok(None);
        };
        match serde_json::from_slice(&bytes) {
            Ok(value) => Ok(Some(value)),
            Err(e) => {
                self.set_aside(what, user.as_str().as_bytes(), &bytes, &e)?;
                tree.remove(user.as_str())?;
                Err(StoreError::Corrupt {
                    tree: what,
                    reason: describe(&e),
                })
            }
        }
    }

    /// Move an unreadable record to `quarantine` (kept for export and erasure, never lost).
    fn set_aside(
        &self,
        what: &str,
        key: &[u8],
        bytes: &[u8],
        error: &serde_json::Error,
    ) -> Result<(), StoreError> {
        let owner = key.split(|b| *b == 0).next().unwrap_or(key);
        let mut qkey = owner.to_vec();
        qkey.push(0);
        qkey.extend_from_slice(what.as_bytes());
        qkey.push(0);
        qkey.extend_from_slice(&self.db.generate_id()?.to_be_bytes());
        self.quarantine.insert(qkey, bytes)?;
        tracing::warn!(tree = what, error = %describe(error), "set aside an unreadable record");
        Ok(())
    }

    #[cfg(test)]
    fn raw_insert(&self, tree: &str, key: &str, value: &[u8]) {
        self.db
            .open_tree(tree)
            .and_then(|t| t.insert(key, value))
            .expect("raw insert");
    }
}

#[cfg(test)]
mod tests;
