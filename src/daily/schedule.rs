//! When a daily prompt is due: a person's wall-clock time in their IANA zone, turned into an
//! instant with chrono-tz, correct across daylight-saving gaps and overlaps.
//!
//! - A time that does not exist on a spring-forward day (02:30 when clocks jump from 02:00 to
//!   03:00) is read the way people's clocks read it: as far past the jump as it was meant to be
//!   past 02:00, so 03:30. It still goes out that day, once.
//! - A time that happens twice on a fall-back day (01:30) is the first of the two; the second
//!   finds that day already served.
//! - "Surprise me" picks a minute in the person's window, different each day, fixed per day.
//!
//! Everything here is pure: instants in, instants out.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// When in the day a person wants their prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DailyTime {
    /// At this time each day (minute precision).
    At(NaiveTime),
    /// "Surprise me": a different minute each day, from `from` up to (not including) `to`.
    Window { from: NaiveTime, to: NaiveTime },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TimeError {
    #[error("`{0}` is not a time: use 24-hour HH:MM, such as 08:30 or 21:00")]
    BadTime(String),
    #[error(
        "the window {from}-{to} must end after it starts, within one day (such as 09:00-12:00)"
    )]
    EmptyWindow { from: String, to: String },
    #[error(
        "`{0}` is not a time zone I know: use a name like Europe/London or America/New_York (pick one from the list)"
    )]
    BadZone(String),
}

/// Parse `HH:MM` (24-hour). Seconds are not accepted: nobody sets an alarm to the second.
pub fn parse_clock(text: &str) -> Result<NaiveTime, TimeError> {
    let text = text.trim();
    let bad = || TimeError::BadTime(text.chars().take(16).collect());
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if h.is_empty() || h.len() > 2 || m.len() != 2 || !digits(h) || !digits(m) {
        return Err(bad());
    }
    let hour: u32 = h.parse().map_err(|_| bad())?;
    let minute: u32 = m.parse().map_err(|_| bad())?;
    NaiveTime::from_hms_opt(hour, minute, 0).ok_or_else(bad)
}

/// An IANA zone by name, ignoring case (`europe/london` is Europe/London).
pub fn parse_zone(name: &str) -> Result<Tz, TimeError> {
    let name = name.trim();
    name.parse::<Tz>()
        .ok()
        .or_else(|| {
            chrono_tz::TZ_VARIANTS
                .iter()
                .find(|tz| tz.name().eq_ignore_ascii_case(name))
                .copied()
        })
        .ok_or_else(|| TimeError::BadZone(name.chars().take(40).collect()))
}

impl FromStr for DailyTime {
    type Err = TimeError;

    /// `08:30`, or a window `09:00-12:00`.
    fn from_str(text: &str) -> Result<DailyTime, TimeError> {
        match text.split_once('-') {
            None => Ok(DailyTime::At(parse_clock(text)?)),
            Some((from, to)) => {
                let (from, to) = (parse_clock(from)?, parse_clock(to)?);
                if to <= from {
                    return Err(TimeError::EmptyWindow {
                        from: hhmm(from),
                        to: hhmm(to),
                    });
                }
                Ok(DailyTime::Window { from, to })
            }
        }
    }
}

impl fmt::Display for DailyTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DailyTime::At(time) => f.write_str(&hhmm(*time)),
            DailyTime::Window { from, to } => write!(f, "{}-{}", hhmm(*from), hhmm(*to)),
        }
    }
}

impl Serialize for DailyTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DailyTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// `HH:MM`.
pub fn hhmm(time: NaiveTime) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

impl DailyTime {
    /// The wall-clock time of the prompt on `date`. A window gives a minute that depends only
    /// on the person's `seed` and the date, so a restart never moves it.
    pub fn on(&self, date: NaiveDate, seed: u64) -> NaiveTime {
        match *self {
            DailyTime::At(time) => time,
            DailyTime::Window { from, to } => {
                let minutes = ((to - from).num_minutes()).max(1) as u64;
                let day = date.num_days_from_ce() as u64;
                let pick = mix(seed ^ day.wrapping_mul(0x9e37_79b9_7f4a_7c15)) % minutes;
                from + Duration::minutes(pick as i64)
            }
        }
    }
}

/// The instant the wall-clock `time` on `date` means in `zone`. In a gap, the time is moved
/// forward by the gap (02:30 -> 03:30 on a one-hour jump); in an overlap, the earlier instant.
pub fn local_instant(zone: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    local_instants(zone, date, time).0
}

/// The earliest and latest instants the wall-clock `time` on `date` means in `zone`: the same
/// one except in an autumn overlap, where the time happens twice.
fn local_instants(zone: Tz, date: NaiveDate, time: NaiveTime) -> (DateTime<Utc>, DateTime<Utc>) {
    let local = date.and_time(time);
    let found = zone.from_local_datetime(&local);
    if let (Some(first), Some(last)) = (found.earliest(), found.latest()) {
        return (first.with_timezone(&Utc), last.with_timezone(&Utc));
    }
    // In a gap: read the time with the offset in force just before the jump. Gaps are at most
    // a few hours and never follow another transition within a day.
    let before = (1..=24)
        .filter_map(|h| {
            zone.from_local_datetime(&(local - Duration::hours(h)))
                .earliest()
        })
        .next();
    let instant = match before {
        Some(before) => {
            let offset = before.naive_local() - before.naive_utc();
            (local - offset).and_utc()
        }
        // No zone has a gap of a whole day; read it as UTC rather than fail.
        None => local.and_utc(),
    };
    (instant, instant)
}

/// When a prompt is due, and the local date it is the prompt of (a time moved past a gap at
/// midnight falls on the next date, but still belongs to its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub at: DateTime<Utc>,
    pub date: NaiveDate,
}

/// The next prompt due: the first at or after `after` whose local date (in `zone`) comes after
/// `served`, the date of the last prompt, so a person gets at most one prompt a day, whatever
/// the clocks do.
pub fn next_due(
    zone: Tz,
    time: &DailyTime,
    seed: u64,
    after: DateTime<Utc>,
    served: Option<NaiveDate>,
) -> Due {
    // Dates this far out only come from a damaged record: nothing is due (and no date
    // arithmetic near the end of the calendar can overflow).
    if served.is_some_and(|d| d.year() > LAST_YEAR) || after.year() > LAST_YEAR {
        return never(served.unwrap_or(NaiveDate::MAX));
    }
    // From the day before (a moved gap time can land on the next local date), or the day
    // after the one served, whichever is later.
    let mut date = after
        .with_timezone(&zone)
        .date_naive()
        .pred_opt()
        .unwrap_or(NaiveDate::MIN);
    if let Some(served) = served {
        match served.succ_opt() {
            Some(next) => date = date.max(next),
            None => return never(served),
        }
    }
    loop {
        let (first, last) = local_instants(zone, date, time.on(date, seed));
        // In an overlap, the second occurrence still counts when the first has passed
        // (subscribing between the two 01:30s of an autumn night).
        for at in [first, last] {
            if at >= after && served.is_none_or(|served| date > served) {
                return Due { at, date };
            }
        }
        match date.succ_opt() {
            Some(next) => date = next,
            None => return never(date),
        }
    }
}

/// The last year a prompt can be due in; later dates are treated as "never".
const LAST_YEAR: i32 = 9999;

/// Nothing is ever due (a damaged record): the last day of [`LAST_YEAR`], far from any overflow.
fn never(date: NaiveDate) -> Due {
    let end = NaiveDate::from_ymd_opt(LAST_YEAR, 12, 31).unwrap_or(NaiveDate::MAX);
    Due {
        at: end.and_time(NaiveTime::MIN).and_utc(),
        date: date.min(end),
    }
}

/// The local date a due instant belongs to.
pub fn local_date(zone: Tz, instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&zone).date_naive()
}

/// SplitMix64's finaliser: a well-spread 64-bit hash of `x` (stable forever: stored seeds
/// depend on it).
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daily::test_instant as utc;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at(text: &str) -> DailyTime {
        text.parse().unwrap()
    }

    #[test]
    fn times_and_windows_parse_and_print() {
        assert_eq!(at("8:05").to_string(), "08:05");
        assert_eq!(at("09:00-12:00").to_string(), "09:00-12:00");
        for bad in [
            "25:00", "12:60", "noon", "12", "12:5", "123:00", ":30", "12:00:00", "+8:30", "12:+5",
        ] {
            assert!(bad.parse::<DailyTime>().is_err(), "{bad}");
        }
        assert!(matches!(
            "12:00-09:00".parse::<DailyTime>(),
            Err(TimeError::EmptyWindow { .. })
        ));
        assert_eq!(
            parse_zone("europe/london").unwrap(),
            chrono_tz::Europe::London
        );
        assert!(parse_zone("Mars/Olympus").is_err());
        let json = serde_json::to_string(&at("07:45")).unwrap();
        assert_eq!(json, "\"07:45\"");
        assert_eq!(
            serde_json::from_str::<DailyTime>(&json).unwrap(),
            at("07:45")
        );
        assert!(serde_json::from_str::<DailyTime>("\"7\"").is_err());
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_forward_by_the_gap() {
        let ny = chrono_tz::America::New_York;
        // 8 March 2026: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist.
        let due = local_instant(ny, date(2026, 3, 8), at_clock("02:30"));
        assert_eq!(due, utc("2026-03-08T07:30:00Z")); // 03:30 EDT
        let london = chrono_tz::Europe::London;
        // 29 March 2026: 01:00 GMT jumps to 02:00 BST; 01:30 does not exist.
        let due = local_instant(london, date(2026, 3, 29), at_clock("01:30"));
        assert_eq!(due, utc("2026-03-29T01:30:00Z")); // 02:30 BST
    }

    #[test]
    fn a_time_in_the_autumn_overlap_is_the_first_of_the_two() {
        let ny = chrono_tz::America::New_York;
        // 1 November 2026: 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
        let due = local_instant(ny, date(2026, 11, 1), at_clock("01:30"));
        assert_eq!(due, utc("2026-11-01T05:30:00Z"));
        // Once sent, the second 01:30 finds the day served: next is the 2nd, in EST.
        let next = next_due(ny, &at("01:30"), 0, due, Some(date(2026, 11, 1)));
        assert_eq!(next.at, utc("2026-11-02T06:30:00Z"));
    }

    #[test]
    fn subscribing_between_the_two_0130s_gets_the_second() {
        let ny = chrono_tz::America::New_York;
        let between = utc("2026-11-01T06:00:00Z"); // 01:00 EST, after the first 01:30 (EDT)
        let due = next_due(ny, &at("01:30"), 0, between, None);
        assert_eq!(due.at, utc("2026-11-01T06:30:00Z"));
        assert_eq!(due.date, date(2026, 11, 1));
    }

    #[test]
    fn an_absurd_served_date_does_not_hang_or_panic() {
        let far = NaiveDate::MAX;
        let due = next_due(
            chrono_tz::UTC,
            &at("09:00"),
            0,
            utc("2026-12-03T00:00:00Z"),
            Some(far),
        );
        assert!(due.at > utc("9999-01-01T00:00:00Z"));
    }

    #[test]
    fn next_due_is_today_if_still_ahead_else_tomorrow() {
        let london = chrono_tz::Europe::London;
        let daily = at("09:00");
        let morning = utc("2026-12-03T08:00:00Z");
        assert_eq!(
            next_due(london, &daily, 0, morning, None).at,
            utc("2026-12-03T09:00:00Z")
        );
        let noon = utc("2026-12-03T12:00:00Z");
        assert_eq!(
            next_due(london, &daily, 0, noon, None),
            Due {
                at: utc("2026-12-04T09:00:00Z"),
                date: date(2026, 12, 4)
            }
        );
        // Already served today: tomorrow even though it is still early.
        assert_eq!(
            next_due(london, &at("23:00"), 0, morning, Some(date(2026, 12, 3))).at,
            utc("2026-12-04T23:00:00Z")
        );
    }

    #[test]
    fn a_window_picks_a_fixed_minute_per_day_inside_it() {
        let window = at("09:00-12:00");
        let mut minutes = std::collections::BTreeSet::new();
        for day in 1..=28 {
            let time = window.on(date(2026, 2, day), 42);
            assert!(
                time >= at_clock("09:00") && time < at_clock("12:00"),
                "{time}"
            );
            assert_eq!(time, window.on(date(2026, 2, day), 42));
            minutes.insert(time);
        }
        assert!(minutes.len() > 20, "a surprise should vary: {minutes:?}");
    }

    fn at_clock(text: &str) -> NaiveTime {
        parse_clock(text).unwrap()
    }

    proptest::proptest! {
        /// Walking a year of deliveries in any zone and at any time gives exactly one prompt
        /// per local date, each strictly later than the one before.
        #[test]
        fn one_prompt_per_local_day(zone_index in 0usize..chrono_tz::TZ_VARIANTS.len(), minute in 0u32..1440, seed: u64) {
            let zone = chrono_tz::TZ_VARIANTS[zone_index];
            let time = DailyTime::At(NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).unwrap());
            let mut now = utc("2026-01-01T00:00:00Z");
            let mut last = None;
            let mut dates = Vec::new();
            for _ in 0..366 {
                let due = next_due(zone, &time, seed, now, last);
                proptest::prop_assert!(due.at >= now);
                proptest::prop_assert!(Some(due.at) != dates.last().map(|(_, at)| *at));
                dates.push((due.date, due.at));
                last = Some(due.date);
                now = due.at;
            }
            let dates: Vec<NaiveDate> = dates.into_iter().map(|(date, _)| date).collect();
            // No local date twice, none skipped (no zone skips a whole day in 2026).
            for pair in dates.windows(2) {
                proptest::prop_assert_eq!(pair[1], pair[0] + Duration::days(1), "{:?}", pair);
            }
        }
    }
}
