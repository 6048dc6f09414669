//! Daily self-compassion prompts: the pure core of subscriptions and their schedule.
//!
//! - [`schedule`]: local times in IANA zones to instants (DST gaps and overlaps).
//! - [`subscription`]: the stored record and the rules that change it.
//!
//! The store keeps a time-indexed tree of who is due when (see `Store::claim_due`); the tokio
//! drivers (Discord's dispatcher, the terminal chat) only ask it what is due and deliver.

pub mod schedule;
pub mod subscription;

pub use schedule::{DailyTime, TimeError, parse_zone};
pub use subscription::{Fired, MAX_PAUSE_DAYS, MAX_RETRIES, Notice, Retry, State, Subscription};

/// A prompt that was claimed for delivery and recorded as sent (before sending, so a crash
/// never sends it twice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub user: crate::store::UserId,
    /// Position in the person's order of the pool.
    pub index: u64,
    /// The instant it was due; the dispatcher checks it against the record before sending.
    pub due: chrono::DateTime<chrono::Utc>,
}

/// How late a prompt may go out after downtime before it is skipped, by default.
pub const DEFAULT_GRACE: chrono::Duration = chrono::Duration::hours(3);

/// An instant from RFC 3339 text, for the tests of this module's parts.
#[cfg(test)]
fn test_instant(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("a test instant")
        .with_timezone(&chrono::Utc)
}
