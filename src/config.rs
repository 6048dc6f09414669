//! `config.toml`: where data and content live, Discord connection, default region, logging.
//!
//! Every key has a default, so `securebase chat` runs with no file at all. A bad file is an error
//! that names the key (serde reports unknown and mistyped keys with their line), never a panic.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

/// The Discord API's address (serenity's own default).
pub const DISCORD_API_URL: &str = "https://discord.com";
/// Where the bot token is read from; it is never stored in the config file.
pub const TOKEN_ENV: &str = "DISCORD_TOKEN";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub storage: StorageConfig,
    pub content: ContentConfig,
    pub discord: DiscordConfig,
    pub safety: SafetyConfig,
    pub logging: LoggingConfig,
    pub daily: DailyConfig,
}

/// Daily self-compassion prompts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DailyConfig {
    /// After downtime, prompts missed by at most this many minutes still go out (late);
    /// older ones are skipped to the next day.
    pub grace_minutes: u32,
    /// REST requests per second the prompt dispatcher may use (Discord allows 50 per bot;
    /// the rest is left for interactive replies).
    pub requests_per_second: u32,
    /// The terminal chat's time zone for `daily start` without one (default: the system's).
    pub terminal_zone: Option<String>,
}

impl Default for DailyConfig {
    fn default() -> Self {
        Self {
            grace_minutes: 180,
            requests_per_second: 40,
            terminal_zone: None,
        }
    }
}

/// Discord's global REST limit per bot.
pub const DISCORD_REQUESTS_PER_SECOND: u32 = 50;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    pub data_dir: PathBuf,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContentConfig {
    pub dir: PathBuf,
}

impl Default for ContentConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("dialogues"),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiscordConfig {
    /// Base URL of a Discord-compatible API (a rate-limiting proxy or a test server).
    pub api_url: String,
    /// Register slash commands in this server only (instant, for testing).
    pub guild_id: Option<std::num::NonZeroU64>,
    /// A file holding the bot token (a mounted secret), used when `DISCORD_TOKEN` is unset.
    pub token_file: Option<PathBuf>,
    /// Let server admins enable risk monitoring of channels. Requests Discord's privileged
    /// MESSAGE_CONTENT intent, which must also be switched on in the Developer Portal.
    pub channel_monitoring: bool,
}

impl Default for DiscordConfig {
    fn default() -> Self {
        Self {
            api_url: DISCORD_API_URL.to_string(),
            guild_id: None,
            token_file: None,
            channel_monitoring: false,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SafetyConfig {
    /// Region code for crisis contacts when neither the person nor their server chose one.
    pub default_region: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingConfig {
    /// A tracing filter: `error`, `warn`, `info`, `debug`, `trace`, or per-module directives.
    pub level: String,
    pub format: LogFormat,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        Self {
            level: "info".to_string(),
            format: LogFormat::Pretty,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Pretty,
    Json,
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{col}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
}

impl DiscordConfig {
    /// The bot token: `DISCORD_TOKEN`, else the contents of `token_file`. Never logged.
    pub fn token(&self) -> Result<String, String> {
        if let Ok(token) = std::env::var(TOKEN_ENV) {
            if !token.trim().is_empty() {
                return Ok(token.trim().to_string());
            }
        }
        if let Some(path) = &self.token_file {
            return match std::fs::read_to_string(path) {
                Ok(token) if !token.trim().is_empty() => Ok(token.trim().to_string()),
                Ok(_) => Err(format!("discord.token_file: {} is empty", path.display())),
                Err(e) => Err(format!(
                    "discord.token_file: cannot read {}: {e}",
                    path.display()
                )),
            };
        }
        Err(format!(
            "no Discord bot token: set the {TOKEN_ENV} environment variable (or discord.token_file in the config); the README's \"Running on Discord\" section shows where to find it"
        ))
    }
}

impl Config {
    /// Load `path`, or the defaults when no path is given.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let invalid = |offset: usize, message: String| {
            let (line, col) = crate::content::diagnostic::line_col(text, offset);
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                col,
                message,
            }
        };
        let config: Config = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            invalid(offset, e.message().trim().replace('\n', " "))
        })?;
        let key_at = |section: &str, key: &str| key_offset(text, section, key);
        if !is_log_filter(&config.logging.level) {
            return Err(invalid(
                key_at("logging", "level"),
                format!(
                    "logging.level: `{}` is not a log filter; use error, warn, info, debug or trace (or `module=level` pairs separated by commas)",
                    config.logging.level
                ),
            ));
        }
        if !(1..=DISCORD_REQUESTS_PER_SECOND).contains(&config.daily.requests_per_second) {
            return Err(invalid(
                key_at("daily", "requests_per_second"),
                format!(
                    "daily.requests_per_second: {} must be 1 to {DISCORD_REQUESTS_PER_SECOND} (Discord's limit per bot); the default 40 leaves room for replies",
                    config.daily.requests_per_second
                ),
            ));
        }
        if !(1..=24 * 60).contains(&config.daily.grace_minutes) {
            return Err(invalid(
                key_at("daily", "grace_minutes"),
                format!(
                    "daily.grace_minutes: {} must be 1 to 1440: prompts are checked every second, so 0 would skip nearly all of them, and more than a day would land on the next day's",
                    config.daily.grace_minutes
                ),
            ));
        }
        if let Some(zone) = &config.daily.terminal_zone {
            if let Err(e) = crate::daily::parse_zone(zone) {
                return Err(invalid(
                    key_at("daily", "terminal_zone"),
                    format!("daily.terminal_zone: {e}"),
                ));
            }
        }
        if !config.discord.api_url.starts_with("http://")
            && !config.discord.api_url.starts_with("https://")
        {
            return Err(invalid(
                key_at("discord", "api_url"),
                format!(
                    "discord.api_url: `{}` must start with http:// or https://",
                    config.discord.api_url
                ),
            ));
        }
        if let Some(region) = &config.safety.default_region {
            if region.is_empty() || !region.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(invalid(
                    key_at("safety", "default_region"),
                    format!(
                        "safety.default_region: `{region}` should be a region code such as UK, US or INTL"
                    ),
                ));
            }
        }
        Ok(config)
    }
}

/// Byte offset of `key = ...` inside `[section]` (comments and other sections skipped), so a
/// semantic error points at the right line; 0 if not found.
fn key_offset(text: &str, section: &str, key: &str) -> usize {
    let mut offset = 0;
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            current = name.trim().to_string();
        } else if current == section
            && trimmed
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        {
            return offset + (line.len() - line.trim_start().len());
        }
        offset += line.len();
    }
    0
}

/// `info`, or comma-separated `module=level` directives (a plain level may appear too).
fn is_log_filter(filter: &str) -> bool {
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    let is_level = |word: &str| LEVELS.contains(&word.trim().to_ascii_lowercase().as_str());
    !filter.trim().is_empty()
        && filter.split(',').all(|part| match part.split_once('=') {
            Some((target, level)) => {
                !target.trim().is_empty()
                    && target
                        .trim()
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                    && is_level(level)
            }
            None => is_level(part),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("config.toml"), text)
    }

    #[test]
    fn empty_file_gives_defaults() {
        let config = parse("").unwrap();
        assert_eq!(config.storage.data_dir, PathBuf::from("data"));
        assert_eq!(config.discord.api_url, DISCORD_API_URL);
    }

    #[test]
    fn shipped_example_parses() {
        let text = include_str!("../config.example.toml");
        parse(text).expect("config.example.toml is valid");
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = parse("[storage]\ndata_dir = \"x\"\ndatadir = \"y\"\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("datadir"), "{text}");
        assert!(text.starts_with("config.toml:3:"), "{text}");
    }

    #[test]
    fn a_zero_server_id_is_an_error_not_a_panic_later() {
        let err = parse("[discord]\nguild_id = 0\n").unwrap_err();
        assert!(err.to_string().starts_with("config.toml:2:"), "{err}");
        assert!(parse("[discord]\nguild_id = 42\n").is_ok());
    }

    #[test]
    fn wrong_type_is_named() {
        let err = parse("[discord]\nguild_id = \"abc\"\n").unwrap_err();
        assert!(err.to_string().contains("config.toml:2:"), "{err}");
    }

    #[test]
    fn semantic_errors_point_at_the_key_not_a_comment() {
        let text = "# the log level is set below\n[storage]\ndata_dir = \"level\"\n[logging]\n  level = \"loud\"\n";
        let err = parse(text).unwrap_err().to_string();
        assert!(err.starts_with("config.toml:5:3:"), "{err}");
    }

    #[test]
    fn log_filters() {
        assert!(is_log_filter("info"));
        assert!(is_log_filter("securebase=debug,serenity=warn"));
        assert!(!is_log_filter("loud"));
        assert!(!is_log_filter("x=loud"));
    }

    #[test]
    fn semantic_errors_name_the_key() {
        let err = parse("[logging]\nlevel = \"loud!!\"\n").unwrap_err();
        assert!(err.to_string().contains("logging.level"), "{err}");
        let err = parse("[discord]\napi_url = \"discord.com\"\n").unwrap_err();
        assert!(err.to_string().contains("discord.api_url"), "{err}");
        let err = parse("[safety]\ndefault_region = \"U K\"\n").unwrap_err();
        assert!(err.to_string().contains("safety.default_region"), "{err}");
    }

    #[test]
    fn daily_settings_are_checked_with_their_line() {
        for (text, key) in [
            ("[daily]\ngrace_minutes = 0\n", "daily.grace_minutes"),
            ("[daily]\ngrace_minutes = 2000\n", "daily.grace_minutes"),
            (
                "[daily]\nrequests_per_second = 60\n",
                "daily.requests_per_second",
            ),
            (
                "[daily]\nrequests_per_second = 0\n",
                "daily.requests_per_second",
            ),
            (
                "[daily]\nterminal_zone = \"Mars/Olympus\"\n",
                "daily.terminal_zone",
            ),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(key) && err.contains(":2:"), "{text}: {err}");
        }
        let ok = parse("[daily]\ngrace_minutes = 1\nrequests_per_second = 50\n").unwrap();
        assert_eq!(ok.daily.grace_minutes, 1);
    }
}
