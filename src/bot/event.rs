//! What adapters send into the core and what they get back: no transport types here.

use serde::Serialize;

use crate::action::{Action, Offer};
use crate::crisis::CrisisCard;
use crate::store::UserId;

/// Something a person did, or the clock ticking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub user: UserId,
    pub kind: EventKind,
    /// The person's language setting as the transport reports it (Discord locale such as
    /// `en-GB`), used only as a hint for which crisis contacts to show.
    pub locale: Option<String>,
    /// The crisis-contact region of the server the person is writing from, when its admins set
    /// one: used after the person's own choice and before the language hint.
    pub server_region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// Free text the person typed. Always risk-scanned first.
    Text(String),
    /// A button, a numbered choice, or a command.
    Action(Action),
    /// The periodic timer: lets the core forget idle in-memory conversations.
    Tick,
}

impl Event {
    pub fn text(user: &UserId, text: impl Into<String>) -> Self {
        Self {
            user: user.clone(),
            kind: EventKind::Text(text.into()),
            locale: None,
            server_region: None,
        }
    }

    pub fn action(user: &UserId, action: Action) -> Self {
        Self {
            user: user.clone(),
            kind: EventKind::Action(action),
            locale: None,
            server_region: None,
        }
    }

    pub fn tick(user: &UserId) -> Self {
        Self {
            user: user.clone(),
            kind: EventKind::Tick,
            locale: None,
            server_region: None,
        }
    }

    /// The same event with a locale hint.
    pub fn with_locale(mut self, locale: Option<String>) -> Self {
        self.locale = locale;
        self
    }

    /// The same event with the server's default region (see [`Event::server_region`]).
    pub fn with_server_region(mut self, region: Option<String>) -> Self {
        self.server_region = region;
        self
    }
}

/// What the core asks an adapter to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Reply {
    /// Text with optional choices; `awaits_text` when the next input should be typed.
    Message {
        text: String,
        options: Vec<Offer>,
        awaits_text: bool,
    },
    /// The response to a risk match; adapters show it before anything else and never hide it.
    Crisis(CrisisCard),
    /// A person's stored data, as JSON (a file attachment on Discord).
    Export { json: String },
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Reply {
        Reply::Message {
            text: text.into(),
            options: Vec::new(),
            awaits_text: false,
        }
    }

    pub fn with_options(text: impl Into<String>, options: Vec<Offer>) -> Reply {
        Reply::Message {
            text: text.into(),
            options,
            awaits_text: false,
        }
    }

    /// The choices this reply offers, if any.
    pub fn options(&self) -> &[Offer] {
        match self {
            Reply::Message { options, .. } => options,
            Reply::Crisis(card) => &card.options,
            Reply::Export { .. } => &[],
        }
    }
}
