//! The core's replies as Discord messages: text, buttons, select menus and files, within
//! Discord's limits. Pure: it builds plain [`Outgoing`] values that `send` turns into serenity
//! builders, so the limits are unit-tested without a network.
//!
//! Rules:
//! - A crisis card is always its own message, first, and is never merged with other text.
//! - Text-only replies are merged into the message that follows them (one message per step).
//! - Up to [`MAX_BUTTONS`] choices are buttons, five to a row; more become one select menu.
//! - A step that waits for typed text gets a "Type my answer" button (it opens a modal).
//! - In servers, replies are ephemeral and offer to continue in DMs where there is room.

use crate::action::Offer;
use crate::bot::Reply;
use crate::content::{MAX_CHOICES, MAX_LABEL_LEN, MAX_MESSAGE_LEN};

use super::custom_id::{Click, ClickKey, Intent};

/// Choices beyond this many are shown as a select menu instead of buttons: a wall of buttons
/// is hard to read on a phone, and a menu keeps the message short.
pub const MAX_BUTTONS: usize = 10;
/// Buttons per action row (Discord's limit).
pub const BUTTONS_PER_ROW: usize = 5;
/// Action rows per message (Discord's limit).
pub const MAX_ROWS: usize = 5;
/// Select option labels and values hold at most 100 characters.
pub const MAX_OPTION_LEN: usize = 100;
/// The file name of a `/mydata` export.
pub const EXPORT_FILE_NAME: &str = "securebase-my-data.json";

pub const ANSWER_LABEL: &str = "Type my answer";
pub const CONTINUE_IN_DM_LABEL: &str = "Continue in DMs";

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outgoing {
    pub content: String,
    pub rows: Vec<Row>,
    pub file: Option<Attachment>,
    /// This message is a crisis card: send it first, retry it harder, never hide it.
    pub crisis: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Buttons(Vec<Button>),
    Select {
        custom_id: String,
        placeholder: String,
        options: Vec<SelectOption>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub label: String,
    pub custom_id: String,
    pub style: ButtonStyle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonStyle {
    Primary,
    Secondary,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectOption {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Where the replies will appear and who they belong to.
#[derive(Debug, Clone)]
pub struct Surface<'a> {
    /// The person whose conversation this is (their buttons refuse anyone else).
    pub owner: u64,
    /// A server channel (ephemeral replies) rather than a DM.
    pub in_server: bool,
    /// In a DM after a risk match: the server whose moderators the person may ask to reach
    /// out, as (id, name), when that server turned alerts on.
    pub alert_server: Option<(u64, &'a str)>,
    pub key: &'a ClickKey,
}

/// Turn the core's replies into messages, in order.
pub fn render(replies: &[Reply], surface: &Surface) -> Vec<Outgoing> {
    let mut out = Vec::new();
    let mut pending_text: Vec<String> = Vec::new();
    for reply in replies {
        match reply {
            Reply::Crisis(card) => {
                let mut options = card.options.clone();
                let mut extra = Vec::new();
                if let Some((guild, name)) = surface.alert_server {
                    extra.push(button(
                        surface,
                        &truncate(&format!("Let a moderator of {name} know"), MAX_LABEL_LEN),
                        Click::new(surface.owner, Intent::AlertModerators { guild }),
                        ButtonStyle::Primary,
                    ));
                }
                options.truncate(MAX_BUTTONS);
                // Pressing one answers with a new message: the contacts stay in view.
                let mut rows = option_rows(&options, surface, true);
                push_buttons(&mut rows, extra);
                // The card comes first, even before text that was waiting to be merged.
                for chunk in split(&card.plain_text()) {
                    out.push(Outgoing {
                        content: chunk,
                        crisis: true,
                        ..Outgoing::default()
                    });
                }
                if let Some(last) = out.last_mut() {
                    last.rows = rows;
                }
            }
            Reply::Message {
                text,
                options,
                awaits_text,
            } => {
                if options.is_empty() && !awaits_text {
                    pending_text.push(text.clone());
                    continue;
                }
                let content = joined(&mut pending_text, text);
                let mut rows = option_rows(options, surface, false);
                let mut extra = Vec::new();
                if *awaits_text {
                    extra.push(button(
                        surface,
                        ANSWER_LABEL,
                        Click::new(surface.owner, Intent::Answer),
                        ButtonStyle::Primary,
                    ));
                }
                push_buttons(&mut rows, extra);
                push_message(&mut out, content, rows, None);
            }
            Reply::Export { json } => {
                let content = joined(&mut pending_text, "");
                let file = Attachment {
                    name: EXPORT_FILE_NAME.to_string(),
                    bytes: json.as_bytes().to_vec(),
                };
                push_message(&mut out, content, Vec::new(), Some(file));
            }
        }
    }
    if !pending_text.is_empty() {
        let content = joined(&mut pending_text, "");
        push_message(&mut out, content, Vec::new(), None);
    }
    if surface.in_server {
        if let Some(last) = out.iter_mut().rev().find(|o| !o.crisis) {
            let dm = button(
                surface,
                CONTINUE_IN_DM_LABEL,
                Click::new(surface.owner, Intent::ContinueInDm),
                ButtonStyle::Secondary,
            );
            push_buttons(&mut last.rows, vec![dm]);
        }
    }
    out
}

/// A daily prompt (a DM nobody asked for just now): its buttons answer with a new message,
/// so the prompt stays readable above whatever "Talk about it" or "Stop these" brings.
pub fn daily_prompt(reply: &Reply, surface: &Surface) -> Vec<Outgoing> {
    let Reply::Message { text, options, .. } = reply else {
        return render(std::slice::from_ref(reply), surface);
    };
    let mut out = Vec::new();
    push_message(
        &mut out,
        text.clone(),
        option_rows(options, surface, true),
        None,
    );
    out
}

/// Buttons (five to a row) or one select menu for `options`, each id signed once. Two offers
/// that do the same thing would get the same id, which Discord refuses in one message: the
/// first is kept.
fn option_rows(options: &[Offer], surface: &Surface, keep: bool) -> Vec<Row> {
    let mut seen = std::collections::HashSet::new();
    let signed: Vec<(&Offer, String)> = options
        .iter()
        .filter_map(|offer| {
            let click = Click::choice(surface.owner, offer.action.clone(), &offer.label);
            let click = if keep { click.keeping() } else { click };
            let id = click.encode(surface.key);
            if id.is_none() {
                tracing::warn!("a choice's id does not fit in 100 characters; left out");
            }
            id.map(|id| (offer, id))
        })
        .filter(|(_, id)| seen.insert(id.clone()))
        .take(MAX_CHOICES)
        .collect();
    if signed.len() <= MAX_BUTTONS {
        let buttons = signed
            .into_iter()
            .map(|(offer, custom_id)| Button {
                label: truncate(&offer.label, MAX_LABEL_LEN),
                custom_id,
                style: ButtonStyle::Secondary,
            })
            .collect();
        let mut rows = Vec::new();
        push_buttons(&mut rows, buttons);
        return rows;
    }
    let select_id = Click::new(surface.owner, Intent::Select)
        .encode(surface.key)
        .unwrap_or_default();
    let options = signed
        .into_iter()
        .map(|(offer, value)| SelectOption {
            label: truncate(&offer.label, MAX_OPTION_LEN),
            value,
        })
        .collect();
    vec![Row::Select {
        custom_id: select_id,
        placeholder: "Choose one".to_string(),
        options,
    }]
}

fn button(surface: &Surface, label: &str, click: Click, style: ButtonStyle) -> Button {
    let custom_id = click.encode(surface.key).unwrap_or_else(|| {
        tracing::warn!("a button's id does not fit in 100 characters; left out");
        String::new()
    });
    Button {
        label: label.to_string(),
        custom_id,
        style,
    }
}

/// Add buttons after the existing rows: fill the last button row, then new rows, never more
/// than five rows in all (buttons that do not fit are dropped, the earliest kept).
fn push_buttons(rows: &mut Vec<Row>, buttons: Vec<Button>) {
    for button in buttons.into_iter().filter(|b| !b.custom_id.is_empty()) {
        let room_in_last =
            matches!(rows.last(), Some(Row::Buttons(row)) if row.len() < BUTTONS_PER_ROW);
        if room_in_last {
            if let Some(Row::Buttons(row)) = rows.last_mut() {
                row.push(button);
            }
        } else if rows.len() < MAX_ROWS {
            rows.push(Row::Buttons(vec![button]));
        } else {
            tracing::warn!("no room for a button; left out");
        }
    }
}

/// Messages for `content`: split at Discord's length, components and file on the last part.
fn push_message(
    out: &mut Vec<Outgoing>,
    content: String,
    rows: Vec<Row>,
    file: Option<Attachment>,
) {
    let mut chunks = split(&content);
    let last = chunks.pop().unwrap_or_default();
    for chunk in chunks {
        out.push(Outgoing {
            content: chunk,
            ..Outgoing::default()
        });
    }
    out.push(Outgoing {
        content: last,
        rows,
        file,
        crisis: false,
    });
}

/// Waiting text and `text`, separated by blank lines.
fn joined(pending: &mut Vec<String>, text: &str) -> String {
    let mut parts: Vec<String> = std::mem::take(pending);
    if !text.is_empty() {
        parts.push(text.to_string());
    }
    parts.join("\n\n")
}

/// `text` in pieces of at most 2000 characters, broken at paragraph, then line, then word
/// boundaries where possible.
pub fn split(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest = text.trim_end();
    while rest.chars().count() > MAX_MESSAGE_LEN {
        let limit = rest
            .char_indices()
            .nth(MAX_MESSAGE_LEN)
            .map_or(rest.len(), |(i, _)| i);
        let window = &rest[..limit];
        let cut = ["\n\n", "\n", " "]
            .iter()
            .find_map(|sep| window.rfind(sep).filter(|&i| i > 0))
            .unwrap_or(limit);
        pieces.push(rest[..cut].trim_end().to_string());
        rest = rest[cut..].trim_start();
    }
    pieces.push(rest.to_string());
    pieces
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::{Action, Command};

    fn key() -> ClickKey {
        ClickKey::new([1; 32])
    }

    fn surface(key: &ClickKey, in_server: bool) -> Surface<'_> {
        Surface {
            owner: 99,
            in_server,
            alert_server: None,
            key,
        }
    }

    fn offers(n: usize) -> Vec<Offer> {
        (0..n)
            .map(|i| {
                Offer::new(
                    format!("Choice {i}"),
                    Action::Choose {
                        dialogue: "menu".into(),
                        node: "home".into(),
                        index: i,
                    },
                )
            })
            .collect()
    }

    fn assert_within_limits(messages: &[Outgoing]) {
        for message in messages {
            assert!(message.content.chars().count() <= MAX_MESSAGE_LEN);
            assert!(message.rows.len() <= MAX_ROWS);
            for row in &message.rows {
                match row {
                    Row::Buttons(buttons) => {
                        assert!(!buttons.is_empty() && buttons.len() <= BUTTONS_PER_ROW);
                        for b in buttons {
                            assert!(b.label.chars().count() <= MAX_LABEL_LEN);
                            assert!(!b.custom_id.is_empty() && b.custom_id.len() <= 100);
                        }
                    }
                    Row::Select {
                        custom_id, options, ..
                    } => {
                        assert!(custom_id.len() <= 100);
                        assert!(!options.is_empty() && options.len() <= MAX_CHOICES);
                        for o in options {
                            assert!(o.label.chars().count() <= MAX_OPTION_LEN);
                            assert!(o.value.len() <= MAX_OPTION_LEN);
                        }
                    }
                }
            }
        }
    }

    fn button_count(message: &Outgoing) -> usize {
        message
            .rows
            .iter()
            .map(|r| match r {
                Row::Buttons(b) => b.len(),
                Row::Select { .. } => 0,
            })
            .sum()
    }

    #[test]
    fn few_choices_are_buttons_in_rows_of_five() {
        let key = key();
        for n in 0..=MAX_BUTTONS {
            let out = render(
                &[Reply::with_options("Pick", offers(n))],
                &surface(&key, false),
            );
            assert_eq!(out.len(), 1);
            assert_eq!(button_count(&out[0]), n);
            assert_within_limits(&out);
        }
    }

    #[test]
    fn many_choices_become_one_select_menu() {
        let key = key();
        for n in [MAX_BUTTONS + 1, MAX_CHOICES, MAX_CHOICES + 5] {
            let out = render(
                &[Reply::with_options("Pick", offers(n))],
                &surface(&key, true),
            );
            assert_within_limits(&out);
            let Row::Select { options, .. } = &out[0].rows[0] else {
                panic!("expected a select menu")
            };
            assert_eq!(options.len(), n.min(MAX_CHOICES));
            // The DM offer still fits next to the menu.
            assert_eq!(button_count(&out[0]), 1);
            let value = Click::decode(&options[2].value, &key).unwrap();
            assert_eq!(value.owner, 99);
        }
    }

    #[test]
    fn long_labels_and_text_are_cut_to_fit() {
        let key = key();
        let long_label = vec![Offer::command("x".repeat(200), Command::Menu)];
        let text = "word ".repeat(900);
        let out = render(
            &[Reply::with_options(text.clone(), long_label)],
            &surface(&key, false),
        );
        assert_within_limits(&out);
        assert!(out.len() >= 3);
        assert!(out[..out.len() - 1].iter().all(|o| o.rows.is_empty()));
        let rejoined: Vec<&str> = out
            .iter()
            .flat_map(|o| o.content.split_whitespace())
            .collect();
        assert_eq!(rejoined.len(), 900, "no word is lost in splitting");
    }

    #[test]
    fn text_only_replies_merge_into_the_next_step() {
        let key = key();
        let out = render(
            &[
                Reply::text("Welcome back."),
                Reply::with_options("Where to?", offers(2)),
            ],
            &surface(&key, false),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].content, "Welcome back.\n\nWhere to?");
    }

    #[test]
    fn a_step_that_waits_for_text_offers_a_text_box() {
        let key = key();
        let out = render(
            &[Reply::Message {
                text: "What happened?".into(),
                options: Vec::new(),
                awaits_text: true,
            }],
            &surface(&key, true),
        );
        let Row::Buttons(buttons) = &out[0].rows[0] else {
            panic!()
        };
        assert_eq!(buttons[0].label, ANSWER_LABEL);
        assert_eq!(
            Click::decode(&buttons[0].custom_id, &key).unwrap().intent,
            Intent::Answer
        );
        assert_eq!(buttons[1].label, CONTINUE_IN_DM_LABEL);
    }

    #[test]
    fn exports_are_files() {
        let key = key();
        let out = render(
            &[
                Reply::text("Here it is."),
                Reply::Export {
                    json: "{\"a\":1}".into(),
                },
            ],
            &surface(&key, false),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].content, "Here it is.");
        assert_eq!(out[0].file.as_ref().unwrap().name, EXPORT_FILE_NAME);
    }

    fn card() -> Reply {
        Reply::Crisis(crate::crisis::CrisisCard {
            level: crate::risk::Level::Crisis,
            category: None,
            opening: vec!["I'm an automated bot.".into()],
            guidance: Vec::new(),
            contacts: vec!["A line: 123".into()],
            emergency: "If you are in immediate danger, call 999 now.".into(),
            options: vec![Offer::command("Keep talking with me", Command::Resume)],
        })
    }

    #[test]
    fn a_crisis_card_comes_first_and_alone() {
        let key = key();
        let mut surface = surface(&key, false);
        surface.alert_server = Some((5, "Cosy Corner"));
        let out = render(&[Reply::text("Saved."), card()], &surface);
        assert_eq!(out.len(), 2);
        assert!(out[0].crisis);
        assert!(out[0].content.ends_with("call 999 now."));
        assert_eq!(out[1].content, "Saved.");
        let Row::Buttons(buttons) = &out[0].rows[0] else {
            panic!()
        };
        assert_eq!(buttons[1].label, "Let a moderator of Cosy Corner know");
        assert_eq!(
            Click::decode(&buttons[1].custom_id, &key).unwrap().intent,
            Intent::AlertModerators { guild: 5 }
        );
        assert_within_limits(&out);
    }

    #[test]
    fn buttons_on_a_crisis_card_leave_it_in_view() {
        let key = key();
        let out = render(&[card()], &surface(&key, false));
        let Row::Buttons(buttons) = &out[0].rows[0] else {
            panic!()
        };
        assert!(Click::decode(&buttons[0].custom_id, &key).unwrap().keep);
        let step = render(
            &[Reply::with_options("Pick", offers(2))],
            &surface(&key, false),
        );
        let Row::Buttons(buttons) = &step[0].rows[0] else {
            panic!()
        };
        assert!(!Click::decode(&buttons[0].custom_id, &key).unwrap().keep);
    }

    #[test]
    fn the_same_action_twice_is_one_button() {
        let key = key();
        let twice = vec![
            Offer::command("Main menu", Command::Menu),
            Offer::command("Back to the menu", Command::Menu),
            Offer::command("Help", Command::Help),
        ];
        let out = render(&[Reply::with_options("Pick", twice)], &surface(&key, false));
        assert_eq!(button_count(&out[0]), 2);
    }

    #[test]
    fn in_servers_the_dm_offer_never_goes_on_a_crisis_card() {
        let key = key();
        let out = render(&[card()], &surface(&key, true));
        assert_eq!(out.len(), 1);
        assert_eq!(button_count(&out[0]), 1);
    }

    #[test]
    fn splitting_prefers_paragraphs() {
        let text = format!("{}\n\n{}", "a".repeat(1500), "b".repeat(1500));
        let parts = split(&text);
        assert_eq!(parts, vec!["a".repeat(1500), "b".repeat(1500)]);
        let unbroken = "c".repeat(4500);
        let parts = split(&unbroken);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.concat(), unbroken);
    }
}
