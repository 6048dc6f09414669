//! The terminal adapter: the bot in a terminal, with the same core as on Discord.
//!
//! Replies print as text; choices print as numbered lines, and typing a number picks one (typing
//! the label works too, through the core). `quit` ends the chat. With stdin a pipe it reads one
//! input per line until EOF, so a conversation can be scripted. Daily prompts (`daily start`)
//! are shown when the chat opens, or after the next line, once they are due: the terminal
//! runs the same scheduler core as Discord, for its one person.

use std::io::{BufRead, IsTerminal, Write};

use crate::action::{Action, Command, Offer};
use crate::bot::{Bot, Event, Reply};
use crate::store::UserId;

/// The id the terminal's single user has in the store.
pub const TERMINAL_USER: &str = "terminal:local";

/// A terminal conversation: turns typed lines into events and replies into text.
pub struct TerminalChat {
    bot: Bot,
    user: UserId,
    offers: Vec<Offer>,
    /// From the terminal's `LANG` (`en_GB.UTF-8` -> `en-GB`): a hint for crisis contacts.
    locale: Option<String>,
}

impl TerminalChat {
    pub fn new(bot: Bot, user: UserId) -> Self {
        Self {
            bot,
            user,
            offers: Vec::new(),
            locale: None,
        }
    }

    /// Use `locale` as the language hint (see [`locale_from_lang`]).
    pub fn with_locale(mut self, locale: Option<String>) -> Self {
        self.locale = locale;
        self
    }

    /// Change the language hint mid-conversation.
    pub fn set_locale(&mut self, locale: Option<String>) {
        self.locale = locale;
    }

    pub fn bot(&self) -> &Bot {
        &self.bot
    }

    /// Give the bot back (to restart it on the same data in tests).
    pub fn into_bot(self) -> Bot {
        self.bot
    }

    /// The opening: the greeting and the main menu (or a welcome back), then today's daily
    /// prompt if one is due.
    pub fn open(&mut self) -> String {
        let mut replies = self
            .bot
            .handle(Event::action(&self.user, Action::Command(Command::Resume)));
        replies.extend(self.bot.due_prompts_for(&self.user));
        self.render(&replies)
    }

    /// Start a dialogue directly, as a button or slash command that opens it would.
    pub fn start_dialogue(&mut self, id: &str) -> String {
        let event = Event::action(
            &self.user,
            Action::Start {
                dialogue: id.to_string(),
            },
        );
        let replies = self.bot.handle(event.with_locale(self.locale.clone()));
        self.render(&replies)
    }

    /// Handle one typed line; `None` means the person asked to quit.
    pub fn input(&mut self, line: &str) -> Option<String> {
        let line = line.trim();
        if line.eq_ignore_ascii_case("quit") || line.eq_ignore_ascii_case("exit") {
            return None;
        }
        let event = match line.parse::<usize>() {
            Ok(n) if (1..=self.offers.len()).contains(&n) => {
                Event::action(&self.user, self.offers[n - 1].action.clone())
            }
            _ => Event::text(&self.user, line),
        };
        let mut replies = self.bot.handle(event.with_locale(self.locale.clone()));
        // A prompt that fell due while chatting comes after the answer, never after a crisis
        // card (it waits for the next line).
        if !replies.iter().any(|r| matches!(r, Reply::Crisis(_))) {
            replies.extend(self.bot.due_prompts_for(&self.user));
        }
        Some(self.render(&replies))
    }

    /// Text for `replies`. The numbered choices become those of the last reply, so a number
    /// never reaches back to buttons of an earlier step (an input step has none: digits typed
    /// there are the answer).
    fn render(&mut self, replies: &[Reply]) -> String {
        let mut out = String::new();
        for reply in replies {
            if !out.is_empty() {
                out.push('\n');
            }
            match reply {
                Reply::Message {
                    text, awaits_text, ..
                } => {
                    out.push_str(&plain(text));
                    out.push('\n');
                    if *awaits_text {
                        out.push_str("(type your answer)\n");
                    }
                }
                Reply::Crisis(card) => {
                    out.push_str(&plain(&card.plain_text()));
                    out.push('\n');
                }
                Reply::Export { json } => {
                    out.push_str(json);
                    out.push('\n');
                }
            }
            for (i, offer) in reply.options().iter().enumerate() {
                out.push_str(&format!("  {}. {}\n", i + 1, offer.label));
            }
        }
        if let Some(last) = replies.last() {
            self.offers = last.options().to_vec();
        }
        out
    }
}

/// A locale from a POSIX `LANG` value: `en_GB.UTF-8` -> `en-GB`; `C`, `POSIX` -> none.
pub fn locale_from_lang(lang: &str) -> Option<String> {
    let name = lang.split(['.', '@']).next().unwrap_or_default();
    if name.is_empty() || name == "C" || name == "POSIX" {
        return None;
    }
    Some(name.replace('_', "-"))
}

/// Discord's `**bold**` markers mean nothing in a terminal; drop them, keep the words.
fn plain(text: &str) -> String {
    text.replace("**", "")
}

/// Run a chat on stdin/stdout until EOF or `quit`.
pub fn run(mut chat: TerminalChat) -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut out = std::io::stdout().lock();
    write!(out, "{}", chat.open())?;
    if interactive {
        writeln!(out, "\n(Type a number to choose, or `quit` to leave.)")?;
    }
    let mut input = stdin.lock();
    let mut buffer = Vec::new();
    loop {
        if interactive {
            write!(out, "\n> ")?;
            out.flush()?;
        }
        buffer.clear();
        if input.read_until(b'\n', &mut buffer)? == 0 {
            break;
        }
        // Bytes that are not UTF-8 are replaced, never dropped: the rest is still scanned.
        let line = String::from_utf8_lossy(&buffer);
        if line.trim().is_empty() {
            continue;
        }
        match chat.input(&line) {
            Some(text) => {
                writeln!(out)?;
                write!(out, "{text}")?;
            }
            None => break,
        }
    }
    if interactive {
        writeln!(out, "Take care.")?;
    }
    chat.bot().store().flush().map_err(std::io::Error::other)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_from_lang() {
        assert_eq!(locale_from_lang("en_GB.UTF-8").as_deref(), Some("en-GB"));
        assert_eq!(locale_from_lang("de_DE@euro").as_deref(), Some("de-DE"));
        assert_eq!(locale_from_lang("C.UTF-8"), None);
        assert_eq!(locale_from_lang(""), None);
    }
}
