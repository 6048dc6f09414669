//! What a person can ask the bot to do: pick a choice, start a dialogue, or run a command.
//!
//! Adapters turn buttons, numbered lines and typed words into an [`Action`]; the core decides
//! what each one means. Actions are plain data so they can be encoded into a button.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Pick choice `index` (in the node's own list) at `node` of `dialogue`.
    Choose {
        dialogue: String,
        node: String,
        index: usize,
    },
    /// Start a dialogue from its beginning.
    Start {
        dialogue: String,
    },
    /// Use this region's crisis contacts from now on.
    SetRegion {
        code: String,
    },
    /// Subscribe to daily prompts (or change the time or zone): `time` is `HH:MM` or a
    /// window `HH:MM-HH:MM` ("surprise me"), empty for the default window; `zone` an IANA
    /// name, empty for the deployment's default. Checked by the core.
    DailyStart {
        zone: String,
        time: String,
    },
    Command(Command),
}

/// The core commands, available at any point in a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Command {
    Menu,
    Help,
    Privacy,
    /// Explain saving and ask whether to turn it on or off.
    Consent,
    ConsentGive,
    ConsentWithdraw,
    Export,
    /// Ask to confirm erasing everything.
    Forget,
    ForgetConfirmed,
    Resources,
    /// Show the region used for crisis contacts and offer to change it.
    Region,
    /// Today's self-compassion prompt from the daily pool.
    Prompt,
    /// The person's kept check-in results over time.
    History,
    /// Therapist directories for the person's region, from the resources data.
    Directories,
    /// Show again where the person was (after an interruption).
    Resume,
    /// Daily prompts: the person's subscription and what they can do with it.
    Daily,
    /// Stop daily prompts and delete the subscription.
    DailyStop,
    /// Skip the next `days` daily prompts.
    DailyPause {
        days: u16,
    },
    /// Daily prompts again after a pause or a hold.
    DailyResume,
    /// An answer to one of the safety check-in questions.
    SafetyCheck {
        question: SafetyQuestion,
        answer: SafetyAnswer,
    },
}

/// The questions of the safety check-in, in the order they are asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SafetyQuestion {
    /// Wished to be dead, or to go to sleep and not wake up.
    WishedDead,
    /// Thoughts of killing oneself.
    Thoughts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SafetyAnswer {
    Yes,
    No,
    RatherNotSay,
}

impl SafetyAnswer {
    /// A typed answer: `yes`, `no` and their everyday forms.
    pub fn from_text(text: &str) -> Option<SafetyAnswer> {
        let word = text.trim().trim_end_matches(['.', '!', '?']).to_lowercase();
        match word.as_str() {
            "yes" | "y" | "yeah" | "yep" | "yea" | "ya" | "i have" | "yes i have" | "sometimes" => {
                Some(SafetyAnswer::Yes)
            }
            "no" | "n" | "nope" | "nah" | "i haven't" | "no i haven't" | "not really" | "never" => {
                Some(SafetyAnswer::No)
            }
            _ => None,
        }
    }
}

impl Command {
    /// The word a person types for a command (`menu`, `/help`, `!privacy`...), if `text` is one.
    pub fn from_word(text: &str) -> Option<Command> {
        let word = text.trim().trim_start_matches(['/', '!']).to_lowercase();
        Some(match word.as_str() {
            "menu" | "start" | "home" => Command::Menu,
            "help" => Command::Help,
            "privacy" => Command::Privacy,
            "consent" | "save" => Command::Consent,
            "export" | "mydata" => Command::Export,
            "forget" => Command::Forget,
            "resources" | "help now" | "crisis" => Command::Resources,
            "region" | "country" => Command::Region,
            "prompt" | "today" => Command::Prompt,
            "history" | "results" => Command::History,
            "directories" | "therapists" => Command::Directories,
            "continue" | "resume" => Command::Resume,
            "daily" => Command::Daily,
            _ => return None,
        })
    }
}

impl Command {
    /// Commands a dialogue file may name in a choice's `command` key.
    pub const FOR_CONTENT: [(&'static str, Command); 12] = [
        ("menu", Command::Menu),
        ("help", Command::Help),
        ("privacy", Command::Privacy),
        ("consent", Command::Consent),
        ("export", Command::Export),
        ("forget", Command::Forget),
        ("resources", Command::Resources),
        ("region", Command::Region),
        ("prompt", Command::Prompt),
        ("history", Command::History),
        ("directories", Command::Directories),
        ("daily", Command::Daily),
    ];

    /// The command a dialogue file names, if it is one of [`Command::FOR_CONTENT`].
    pub fn from_content_name(name: &str) -> Option<Command> {
        Command::FOR_CONTENT
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| *c)
    }
}

/// A choice shown to the person: a label and what picking it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub label: String,
    pub action: Action,
}

impl Offer {
    pub fn new(label: impl Into<String>, action: Action) -> Self {
        Self {
            label: label.into(),
            action,
        }
    }

    pub fn command(label: impl Into<String>, command: Command) -> Self {
        Self::new(label, Action::Command(command))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_words() {
        assert_eq!(Command::from_word(" Menu "), Some(Command::Menu));
        assert_eq!(Command::from_word("/help"), Some(Command::Help));
        assert_eq!(Command::from_word("!forget"), Some(Command::Forget));
        assert_eq!(Command::from_word("menus"), None);
        assert_eq!(Command::from_word("I need help"), None);
        assert_eq!(Command::from_word("region"), Some(Command::Region));
    }

    #[test]
    fn typed_safety_answers() {
        assert_eq!(SafetyAnswer::from_text("Yes."), Some(SafetyAnswer::Yes));
        assert_eq!(SafetyAnswer::from_text("nope"), Some(SafetyAnswer::No));
        assert_eq!(SafetyAnswer::from_text("I'm fine, just venting"), None);
    }
}
