//! What a button, select option or modal means, packed into Discord's 100-character `custom_id`.
//!
//! A click must still work after a restart (no in-memory collectors), so everything needed to
//! act on it travels in the id: who may press it, what it does, and a check. The encoding is
//! versioned and signed:
//!
//! ```text
//! 1:<owner>:<intent...>:<mac>
//! 1:k3j9x0b2lq:c:checkin:q01:3:Xy_:AbCdEfGh     choose answer 3 at checkin/q01
//! 1:0:p:Zx81kQ_a                                 anyone: show support options
//! ```
//!
//! - `1` is the version; a later build reads older versions or answers "out of date".
//! - `owner` is the Discord user id in base 36 (`0`: anyone may press it).
//! - `mac` is 48 bits of HMAC-SHA256 over everything before it, keyed with a secret kept in
//!   the store, so an id cannot be forged or edited (another person's id, another node).
//! - A choice also carries a short fingerprint of its label, so a button made before a content
//!   edit that reordered choices is recognised as stale instead of picking the wrong one.
//!
//! Dialogue and node ids are at most 32 characters of `a-z 0-9 _ -` (checked when content
//! loads), which keeps the longest id, a choice, within 100 characters.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::action::{Action, Command, SafetyAnswer, SafetyQuestion};

/// Discord's limit for `custom_id` (and for a select option's `value`).
pub const MAX_CUSTOM_ID_LEN: usize = 100;

const VERSION: &str = "1";
const MAC_BYTES: usize = 6;

/// What pressing a component asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// A core action: a choice, a dialogue start, a region, a command.
    Core(Action),
    /// Open a text box for the answer the current step asks for (a modal).
    Answer,
    /// The submitted answer modal (its custom_id).
    AnswerSubmit,
    /// Carry this conversation on in direct messages.
    ContinueInDm,
    /// Let the moderators of this server know the person would like someone to reach out.
    AlertModerators { guild: u64 },
    /// Under a public reply in a server channel: show support contacts, privately.
    PublicSupport,
    /// Under a reply to a mention: open the bot privately.
    OpenPrivately,
    /// A select menu; the picked option's value is itself an encoded [`Click`].
    Select,
}

/// A decoded component id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Click {
    /// The Discord user allowed to press it; `0` means anyone.
    pub owner: u64,
    pub intent: Intent,
    /// For a choice: the fingerprint of the label it was made with (see [`label_fingerprint`]).
    pub label: Option<String>,
    /// Answer with a new message and leave the pressed one as it is (buttons on a crisis
    /// card: the contacts stay in view). Marked `+` before a core action.
    pub keep: bool,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("not a securebase component id, or one of a version this build does not know")]
    Unknown,
    #[error("the component id's check does not match (edited, or signed with another key)")]
    Tampered,
    #[error("the component id is malformed")]
    Malformed,
}

/// The secret that signs component ids. Kept in the store, so ids survive restarts.
#[derive(Clone)]
pub struct ClickKey([u8; 32]);

impl ClickKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    fn mac(&self, body: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts keys of any length");
        mac.update(body.as_bytes());
        let tag = mac.finalize().into_bytes();
        base64url(&tag[..MAC_BYTES])
    }
}

impl std::fmt::Debug for ClickKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClickKey(..)")
    }
}

/// Three characters (18 bits) that change when a choice's label changes.
pub fn label_fingerprint(label: &str) -> String {
    let digest = Sha256::digest(label.as_bytes());
    base64url(&digest[..3])[..3].to_string()
}

impl Click {
    pub fn new(owner: u64, intent: Intent) -> Self {
        Self {
            owner,
            intent,
            label: None,
            keep: false,
        }
    }

    /// The same click, answered with a new message (see [`Click::keep`]).
    pub fn keeping(mut self) -> Self {
        self.keep = matches!(self.intent, Intent::Core(_));
        self
    }

    /// A choice button, fingerprinted with the label it shows.
    pub fn choice(owner: u64, action: Action, label: &str) -> Self {
        Self {
            owner,
            label: matches!(action, Action::Choose { .. }).then(|| label_fingerprint(label)),
            intent: Intent::Core(action),
            keep: false,
        }
    }

    /// The signed id; `None` if it would not fit in 100 characters (content that passed
    /// validation always fits; the caller leaves such a component out and logs it).
    pub fn encode(&self, key: &ClickKey) -> Option<String> {
        let mut body = format!("{VERSION}:{}:", base36(self.owner));
        match &self.intent {
            Intent::Core(action) => {
                if self.keep {
                    body.push('+');
                }
                encode_action(action, self.label.as_deref(), &mut body)?
            }
            Intent::Answer => body.push('t'),
            Intent::AnswerSubmit => body.push('T'),
            Intent::ContinueInDm => body.push('d'),
            Intent::AlertModerators { guild } => {
                body.push_str("a:");
                body.push_str(&base36(*guild));
            }
            Intent::PublicSupport => body.push('p'),
            Intent::OpenPrivately => body.push('o'),
            Intent::Select => body.push('l'),
        }
        let id = format!("{body}:{}", key.mac(&body));
        (id.len() <= MAX_CUSTOM_ID_LEN).then_some(id)
    }

    pub fn decode(id: &str, key: &ClickKey) -> Result<Click, DecodeError> {
        let (body, mac) = id.rsplit_once(':').ok_or(DecodeError::Unknown)?;
        let mut parts = body.split(':');
        if parts.next() != Some(VERSION) {
            return Err(DecodeError::Unknown);
        }
        // Constant-time comparison is not needed for a 48-bit tag checked over the network at
        // Discord's interaction rate, but it costs nothing.
        let expected = key.mac(body);
        if expected.len() != mac.len()
            || expected
                .bytes()
                .zip(mac.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                != 0
        {
            return Err(DecodeError::Tampered);
        }
        let owner = parts
            .next()
            .and_then(from_base36)
            .ok_or(DecodeError::Malformed)?;
        let mut rest: Vec<&str> = parts.collect();
        let keep = match rest.first().and_then(|code| code.strip_prefix('+')) {
            Some(code) => {
                rest[0] = code;
                true
            }
            None => false,
        };
        let mut label = None;
        let intent = match rest.as_slice() {
            ["t"] => Intent::Answer,
            ["T"] => Intent::AnswerSubmit,
            ["d"] => Intent::ContinueInDm,
            ["p"] => Intent::PublicSupport,
            ["o"] => Intent::OpenPrivately,
            ["l"] => Intent::Select,
            ["a", guild] => Intent::AlertModerators {
                guild: from_base36(guild).ok_or(DecodeError::Malformed)?,
            },
            ["c", dialogue, node, index, fingerprint] => {
                label = Some((*fingerprint).to_string());
                Intent::Core(Action::Choose {
                    dialogue: (*dialogue).to_string(),
                    node: (*node).to_string(),
                    index: index.parse().map_err(|_| DecodeError::Malformed)?,
                })
            }
            ["s", dialogue] => Intent::Core(Action::Start {
                dialogue: (*dialogue).to_string(),
            }),
            ["r", code] => Intent::Core(Action::SetRegion {
                code: (*code).to_string(),
            }),
            ["m", name] => Intent::Core(Action::Command(
                command_from_code(name).ok_or(DecodeError::Malformed)?,
            )),
            _ => return Err(DecodeError::Malformed),
        };
        if keep && !matches!(intent, Intent::Core(_)) {
            return Err(DecodeError::Malformed);
        }
        Ok(Click {
            owner,
            intent,
            label,
            keep,
        })
    }
}

fn encode_action(action: &Action, label: Option<&str>, out: &mut String) -> Option<()> {
    let clean = |part: &str| !part.is_empty() && !part.contains(':');
    match action {
        Action::Choose {
            dialogue,
            node,
            index,
        } => {
            if !clean(dialogue) || !clean(node) {
                return None;
            }
            let fingerprint = label.unwrap_or("-");
            out.push_str(&format!("c:{dialogue}:{node}:{index}:{fingerprint}"));
        }
        Action::Start { dialogue } => {
            if !clean(dialogue) {
                return None;
            }
            out.push_str(&format!("s:{dialogue}"));
        }
        Action::SetRegion { code } => {
            if !clean(code) {
                return None;
            }
            out.push_str(&format!("r:{code}"));
        }
        Action::Command(command) => out.push_str(&format!("m:{}", command_code(*command))),
        // Typed or chosen in a slash command, never a button.
        Action::DailyStart { .. } => return None,
    }
    Some(())
}

/// Short, stable names for commands (changing one makes old buttons stale).
fn command_code(command: Command) -> String {
    let fixed = match command {
        Command::Menu => "menu",
        Command::Help => "help",
        Command::Privacy => "privacy",
        Command::Consent => "consent",
        Command::ConsentGive => "consent-yes",
        Command::ConsentWithdraw => "consent-stop",
        Command::Export => "export",
        Command::Forget => "forget",
        Command::ForgetConfirmed => "forget-yes",
        Command::Resources => "resources",
        Command::Region => "region",
        Command::Prompt => "prompt",
        Command::History => "history",
        Command::Directories => "directories",
        Command::Resume => "resume",
        Command::Daily => "daily",
        Command::DailyStop => "daily-stop",
        Command::DailyResume => "daily-resume",
        Command::DailyPause { days } => return format!("daily-pause-{days}"),
        Command::SafetyCheck { question, answer } => {
            let q = match question {
                SafetyQuestion::WishedDead => 'w',
                SafetyQuestion::Thoughts => 't',
            };
            let a = match answer {
                SafetyAnswer::Yes => 'y',
                SafetyAnswer::No => 'n',
                SafetyAnswer::RatherNotSay => 'r',
            };
            return format!("check-{q}{a}");
        }
    };
    fixed.to_string()
}

fn command_from_code(code: &str) -> Option<Command> {
    if let Some(days) = code.strip_prefix("daily-pause-") {
        return days.parse().ok().map(|days| Command::DailyPause { days });
    }
    if let Some(qa) = code.strip_prefix("check-") {
        let mut chars = qa.chars();
        let question = match chars.next()? {
            'w' => SafetyQuestion::WishedDead,
            't' => SafetyQuestion::Thoughts,
            _ => return None,
        };
        let answer = match chars.next()? {
            'y' => SafetyAnswer::Yes,
            'n' => SafetyAnswer::No,
            'r' => SafetyAnswer::RatherNotSay,
            _ => return None,
        };
        return chars
            .next()
            .is_none()
            .then_some(Command::SafetyCheck { question, answer });
    }
    Some(match code {
        "menu" => Command::Menu,
        "help" => Command::Help,
        "privacy" => Command::Privacy,
        "consent" => Command::Consent,
        "consent-yes" => Command::ConsentGive,
        "consent-stop" => Command::ConsentWithdraw,
        "export" => Command::Export,
        "forget" => Command::Forget,
        "forget-yes" => Command::ForgetConfirmed,
        "resources" => Command::Resources,
        "region" => Command::Region,
        "prompt" => Command::Prompt,
        "history" => Command::History,
        "daily" => Command::Daily,
        "daily-stop" => Command::DailyStop,
        "daily-resume" => Command::DailyResume,
        "directories" => Command::Directories,
        "resume" => Command::Resume,
        _ => return None,
    })
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    if n == 0 {
        return "0".to_string();
    }
    let mut out = Vec::new();
    while n > 0 {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn from_base36(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 13 || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    u64::from_str_radix(text, 36).ok()
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::MAX_ID_LEN;

    fn key() -> ClickKey {
        ClickKey::new([7; 32])
    }

    fn every_intent() -> Vec<Click> {
        let mut clicks = vec![
            Click::choice(
                42,
                Action::Choose {
                    dialogue: "checkin".into(),
                    node: "q01".into(),
                    index: 3,
                },
                "Agree",
            ),
            Click::new(
                42,
                Intent::Core(Action::Start {
                    dialogue: "grounding".into(),
                }),
            ),
            Click::new(42, Intent::Core(Action::SetRegion { code: "UK".into() })),
            Click::new(0, Intent::PublicSupport),
            Click::new(0, Intent::OpenPrivately),
            Click::new(42, Intent::Answer),
            Click::new(42, Intent::AnswerSubmit),
            Click::new(42, Intent::ContinueInDm),
            Click::new(42, Intent::Select),
            Click::new(
                42,
                Intent::AlertModerators {
                    guild: 1_234_567_890_123_456_789,
                },
            ),
        ];
        let commands = [
            Command::Menu,
            Command::Help,
            Command::Privacy,
            Command::Consent,
            Command::ConsentGive,
            Command::ConsentWithdraw,
            Command::Export,
            Command::Forget,
            Command::ForgetConfirmed,
            Command::Resources,
            Command::Region,
            Command::Prompt,
            Command::History,
            Command::Directories,
            Command::Resume,
            Command::Daily,
            Command::DailyStop,
            Command::DailyResume,
            Command::DailyPause { days: 7 },
            Command::DailyPause { days: 365 },
        ];
        clicks.extend(
            commands
                .into_iter()
                .map(|c| Click::new(u64::MAX, Intent::Core(Action::Command(c)))),
        );
        clicks.push(Click::new(3, Intent::Core(Action::Command(Command::Resume))).keeping());
        clicks.push(
            Click::choice(
                3,
                Action::Start {
                    dialogue: "grounding".into(),
                },
                "Grounding",
            )
            .keeping(),
        );
        for question in [SafetyQuestion::WishedDead, SafetyQuestion::Thoughts] {
            for answer in [
                SafetyAnswer::Yes,
                SafetyAnswer::No,
                SafetyAnswer::RatherNotSay,
            ] {
                clicks.push(Click::new(
                    7,
                    Intent::Core(Action::Command(Command::SafetyCheck { question, answer })),
                ));
            }
        }
        clicks
    }

    #[test]
    fn every_intent_round_trips() {
        for click in every_intent() {
            let id = click.encode(&key()).expect("fits");
            assert_eq!(Click::decode(&id, &key()), Ok(click.clone()), "{id}");
        }
    }

    #[test]
    fn the_longest_choice_fits_in_100_characters() {
        let long = "a".repeat(MAX_ID_LEN);
        let click = Click::choice(
            u64::MAX,
            Action::Choose {
                dialogue: long.clone(),
                node: long,
                index: 24,
            },
            "A label",
        );
        let id = click.encode(&key()).expect("fits");
        assert!(id.len() <= MAX_CUSTOM_ID_LEN, "{} chars: {id}", id.len());
        assert_eq!(Click::decode(&id, &key()).unwrap(), click);
        // With the keep marker too (exactly 100: the format has no room for more).
        let kept = click.keeping();
        let id = kept.encode(&key()).expect("fits");
        assert_eq!(id.len(), MAX_CUSTOM_ID_LEN, "{id}");
        assert_eq!(Click::decode(&id, &key()).unwrap(), kept);
    }

    #[test]
    fn ids_that_would_not_fit_are_refused() {
        let click = Click::new(
            1,
            Intent::Core(Action::Start {
                dialogue: "x".repeat(120),
            }),
        );
        assert_eq!(click.encode(&key()), None);
    }

    #[test]
    fn any_edit_is_caught() {
        let id = Click::new(42, Intent::Core(Action::Command(Command::Menu)))
            .encode(&key())
            .unwrap();
        // Someone else's id as owner, another command, a flipped character in the tag.
        let other_owner = id.replacen(":16:", ":17:", 1);
        assert_ne!(other_owner, id);
        assert_eq!(
            Click::decode(&other_owner, &key()),
            Err(DecodeError::Tampered)
        );
        let other_command = id.replacen("m:menu", "m:forget-yes", 1);
        assert_eq!(
            Click::decode(&other_command, &key()),
            Err(DecodeError::Tampered)
        );
        let mut flipped = id.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(Click::decode(&flipped, &key()), Err(DecodeError::Tampered));
        // Signed with another key (a wiped data directory): stale, not an error.
        assert_eq!(
            Click::decode(&id, &ClickKey::new([8; 32])),
            Err(DecodeError::Tampered)
        );
    }

    #[test]
    fn foreign_and_garbled_ids_are_told_apart() {
        assert_eq!(Click::decode("", &key()), Err(DecodeError::Unknown));
        assert_eq!(
            Click::decode("register.guild", &key()),
            Err(DecodeError::Unknown)
        );
        assert_eq!(
            Click::decode("9:abc:m:menu:xxxxxxxx", &key()),
            Err(DecodeError::Unknown)
        );
        // Correctly signed but meaningless bodies are malformed, never a panic.
        for body in [
            "1:16:zz",
            "1:16:m:nope",
            "1:16:c:a:b:x:abc",
            "1:UP:p",
            "1:16:a:",
        ] {
            let id = format!("{body}:{}", key().mac(body));
            assert_eq!(
                Click::decode(&id, &key()),
                Err(DecodeError::Malformed),
                "{id}"
            );
        }
    }

    #[test]
    fn fingerprints_follow_the_label() {
        assert_eq!(label_fingerprint("Agree"), label_fingerprint("Agree"));
        assert_ne!(label_fingerprint("Agree"), label_fingerprint("Disagree"));
        assert_eq!(label_fingerprint("x").len(), 3);
    }

    #[test]
    fn base_conversions() {
        for n in [0, 1, 35, 36, u64::MAX] {
            assert_eq!(from_base36(&base36(n)), Some(n));
        }
        assert_eq!(base64url(&[0xff, 0xff, 0xff]), "____");
        assert_eq!(base64url(&[0, 0, 0, 0, 0, 0]), "AAAAAAAA");
    }
}
