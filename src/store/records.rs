//! The records the store keeps, as plain serde types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The version of the privacy text a person agreed to; bump it when what is stored changes.
pub const PRIVACY_VERSION: u32 = 1;

/// That, when and to which privacy text a person agreed to saving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    pub given_at: DateTime<Utc>,
    pub privacy_version: u32,
}

/// A person's own settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSettings {
    /// Region code for crisis contacts (e.g. `UK`), if the person chose one.
    #[serde(default)]
    pub region: Option<String>,
}

/// Something a person typed that a dialogue saves (a journal line), with their consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedNote {
    pub dialogue: String,
    pub name: String,
    pub text: String,
    pub saved_at: DateTime<Utc>,
}

/// Questionnaire scores kept at a result, so a person can see how they change over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedResult {
    pub dialogue: String,
    pub label: String,
    pub scores: std::collections::BTreeMap<String, f64>,
    pub saved_at: DateTime<Utc>,
}

/// A server's configuration, set by its admins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildSettings {
    #[serde(default)]
    pub default_region: Option<String>,
    /// Channel for moderator alerts (off when unset).
    #[serde(default)]
    pub alert_channel: Option<String>,
    /// Channels an admin enabled for monitoring, announced in the channel.
    #[serde(default)]
    pub monitored_channels: Vec<String>,
}
