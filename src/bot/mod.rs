//! The core: `Bot::handle(event) -> replies`, the same for Discord and the terminal.
//!
//! Order of work for every event is fixed: free text is risk-scanned before anything else
//! (before commands, dialogue state or storage), and a match answers with the crisis card at
//! once. Then commands, then the dialogue. Storage happens only for people who opted in; for
//! everyone else the conversation lives in memory and is dropped after a while idle.

mod daily;
mod event;
mod safety;
mod texts;

pub use daily::{DEFAULT_WINDOW, PAUSE_A_WEEK};
pub use event::{Event, EventKind, Reply};

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};

use crate::action::{Action, Command, Offer, SafetyQuestion};
use crate::bundle::Bundle;
use crate::content::MENU_DIALOGUE;
use crate::crisis::{directories_message, resources_message};
use crate::engine::{self, EngineError, Input, Session, Turn};
use crate::risk::Category;
use crate::store::{
    ConsentRecord, PRIVACY_VERSION, SavedNote, SavedResult, Store, StoreError, UserId, UserSettings,
};

/// In-memory conversations of people without saving are forgotten after this long idle.
pub const IDLE_FORGET_AFTER: Duration = Duration::minutes(30);

type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Deployment choices the core needs.
#[derive(Debug, Clone)]
pub struct BotOptions {
    /// Region for crisis contacts when a person has not chosen one.
    pub default_region: Option<String>,
    /// Time zone for `daily start` without one (the terminal's own zone); none on Discord,
    /// where people pick theirs.
    pub default_zone: Option<chrono_tz::Tz>,
    /// How late a daily prompt may go out after downtime before it is skipped.
    pub daily_grace: Duration,
}

impl Default for BotOptions {
    fn default() -> Self {
        Self {
            default_region: None,
            default_zone: None,
            daily_grace: crate::daily::DEFAULT_GRACE,
        }
    }
}

/// What the core remembers about a person during this process's life.
#[derive(Debug, Clone)]
struct Person {
    session: Option<Session>,
    /// The choices last shown, so a typed label can pick one.
    offers: Vec<Offer>,
    settings: UserSettings,
    saving: bool,
    last_seen: DateTime<Utc>,
    /// Whether the stored state (consent, settings, session) has been read for this person.
    loaded: bool,
    /// The last language hint the transport gave (never stored).
    locale: Option<String>,
    /// The default region of the server the person last wrote from (never stored).
    server_region: Option<String>,
    /// A safety check-in question waiting for an answer.
    check: Option<SafetyQuestion>,
    /// Daily-prompt delivery left a notice in the store since the record was loaded.
    daily_notice: bool,
}

/// What the transport knows about where a person is writing from: hints for the region of
/// crisis contacts, kept in memory only. A missing hint leaves the last known one in place.
#[derive(Debug, Clone, Default)]
struct Hints {
    locale: Option<String>,
    server_region: Option<String>,
}

impl Hints {
    fn apply(&self, person: &mut Person) {
        if let Some(locale) = &self.locale {
            person.locale = Some(locale.clone());
        }
        if let Some(region) = &self.server_region {
            person.server_region = Some(region.clone());
        }
    }
}

/// One person's record, locked on its own so one person's storage work never holds up another.
type PersonSlot = Arc<Mutex<Person>>;

/// The bot's core. Cheap to share: wrap it in an `Arc` and call `handle` from any thread.
pub struct Bot {
    bundle: Bundle,
    store: Store,
    options: BotOptions,
    people: Mutex<HashMap<UserId, PersonSlot>>,
    risk_counts: [AtomicU64; 6],
    clock: Clock,
}

impl Bot {
    pub fn new(bundle: Bundle, store: Store, options: BotOptions) -> Bot {
        Bot {
            bundle,
            store,
            options,
            people: Mutex::new(HashMap::new()),
            risk_counts: Default::default(),
            clock: Arc::new(Utc::now),
        }
    }

    /// Replace the clock (tests).
    pub fn with_clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Bot {
        self.clock = Arc::new(clock);
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// How many risk matches per category since start (counts only, never content), in
    /// [`Category::PRIORITY`] order.
    pub fn risk_counts(&self) -> Vec<(Category, u64)> {
        Category::PRIORITY
            .iter()
            .zip(&self.risk_counts)
            .map(|(c, n)| (*c, n.load(Ordering::Relaxed)))
            .collect()
    }

    /// Handle one event and return what to show, in order.
    pub fn handle(&self, event: Event) -> Vec<Reply> {
        let hints = Hints {
            locale: event.locale,
            server_region: event.server_region,
        };
        match event.kind {
            EventKind::Text(text) => {
                // Safety first: nothing else looks at the text before the scanner.
                let assessment = self.assess(&text);
                if assessment.is_risk() {
                    return self.escalate(&event.user, &hints, &assessment);
                }
                self.handle_text(&event.user, &hints, &text)
            }
            EventKind::Action(action) => self.handle_action(&event.user, &hints, action),
            EventKind::Tick => {
                self.forget_idle();
                Vec::new()
            }
        }
    }

    fn handle_text(&self, user: &UserId, hints: &Hints, text: &str) -> Vec<Reply> {
        if let Some(action) = self.pending_check_answer(user, text) {
            return self.handle_action(user, hints, action);
        }
        if let Some(code) = text.trim().to_lowercase().strip_prefix("region ") {
            let code = code.trim().to_uppercase();
            return self.handle_action(user, hints, Action::SetRegion { code });
        }
        if let Some(action) = daily::parse_text_command(text) {
            return self.handle_action(user, hints, action);
        }
        if let Some(command) = Command::from_word(text) {
            return self.handle_action(user, hints, Action::Command(command));
        }
        self.with_person(user, hints, |bot, person| {
            let mut replies = Vec::new();
            if let Some(session) = person.session.clone() {
                let awaits_text = engine::current(&bot.bundle.library, &session)
                    .is_ok_and(|t| t.prompt.awaits_text);
                if awaits_text {
                    let result = engine::advance(&bot.bundle.library, &session, Input::Text(text));
                    bot.apply_turn(user, person, result, &mut replies);
                    return replies;
                }
            }
            let wanted = text.trim().to_lowercase();
            let picked = person
                .offers
                .iter()
                .find(|o| o.label.to_lowercase() == wanted)
                .map(|o| o.action.clone());
            match picked {
                Some(action) => replies.extend(bot.act(user, person, action)),
                None => replies.push(Reply::with_options(
                    texts::NOT_UNDERSTOOD,
                    person.offers.clone(),
                )),
            }
            replies
        })
    }

    fn handle_action(&self, user: &UserId, hints: &Hints, action: Action) -> Vec<Reply> {
        self.with_person(user, hints, |bot, person| bot.act(user, person, action))
    }

    /// Dialogue actions (choose, start) for a person already loaded.
    fn act(&self, user: &UserId, person: &mut Person, action: Action) -> Vec<Reply> {
        let mut replies = Vec::new();
        let library = &self.bundle.library;
        match action {
            Action::Command(command) => return self.command_for(user, person, command),
            Action::SetRegion { code } => return self.set_region(user, person, &code),
            Action::DailyStart { zone, time } => {
                return self.daily_start(user, person, &zone, &time);
            }
            Action::Start { dialogue } => {
                let result = engine::start_after(
                    library,
                    &dialogue,
                    self.seed(user),
                    person.session.as_ref(),
                );
                self.apply_turn(user, person, result, &mut replies);
            }
            Action::Choose {
                dialogue,
                node,
                index,
            } => {
                let session = match person.session.clone() {
                    Some(session) if session.dialogue == dialogue => Some(session),
                    // Nothing in memory (a restart without saving, or idle forgetting): a
                    // choice at a dialogue's first step needs nothing that came before it.
                    None => library
                        .get(&dialogue)
                        .filter(|d| d.start == node)
                        .map(|d| Session::new(&d.id, &d.start, self.seed(user))),
                    Some(_) => None,
                };
                let result = match session {
                    Some(session) => {
                        engine::advance(library, &session, Input::Choose { node: &node, index })
                    }
                    None => Err(EngineError::StaleChoice),
                };
                self.apply_turn(user, person, result, &mut replies);
            }
        }
        replies
    }

    /// Record the outcome of an engine step and turn it into replies.
    fn apply_turn(
        &self,
        user: &UserId,
        person: &mut Person,
        result: Result<Turn, EngineError>,
        replies: &mut Vec<Reply>,
    ) {
        let turn = match result {
            Ok(turn) => turn,
            Err(EngineError::StaleChoice) | Err(EngineError::NotExpectingText) => {
                replies.push(Reply::text(texts::STALE_CHOICE));
                replies.extend(self.current_prompt(user, person));
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "dialogue step failed; back to the menu");
                person.session = None;
                replies.push(Reply::with_options(
                    texts::DIALOGUE_FAILED,
                    vec![Offer::command("Talk to someone now", Command::Resources)],
                ));
                if let Ok(turn) =
                    engine::start(&self.bundle.library, MENU_DIALOGUE, self.seed(user))
                {
                    self.apply_turn(user, person, Ok(turn), replies);
                }
                return;
            }
        };
        for notice in &turn.notices {
            replies.push(Reply::text(notice.clone()));
        }
        if person.saving {
            let mut failed = self.store.save_session(user, &turn.session).is_err();
            for record in &turn.records {
                let saved = SavedResult {
                    dialogue: turn.session.dialogue.clone(),
                    label: record.label.clone(),
                    scores: record.scores.clone(),
                    saved_at: (self.clock)(),
                };
                failed |= self.store.add_result(user, &saved).is_err();
            }
            for note in &turn.notes {
                let saved = SavedNote {
                    dialogue: turn.session.dialogue.clone(),
                    name: note.name.clone(),
                    text: note.text.clone(),
                    saved_at: (self.clock)(),
                };
                failed |= self.store.add_note(user, &saved).is_err();
            }
            if failed {
                tracing::warn!("could not save a step");
                replies.push(Reply::text(texts::SAVE_FAILED));
            }
        }
        person.offers = turn.prompt.options.clone();
        person.session = Some(turn.session);
        replies.push(Reply::Message {
            text: turn.prompt.text,
            options: turn.prompt.options,
            awaits_text: turn.prompt.awaits_text,
        });
    }

    /// Where the person is now, or the menu if they are nowhere.
    fn current_prompt(&self, user: &UserId, person: &mut Person) -> Vec<Reply> {
        let mut replies = Vec::new();
        let result = match &person.session {
            Some(session) => engine::current(&self.bundle.library, session),
            None => engine::start(&self.bundle.library, MENU_DIALOGUE, self.seed(user)),
        };
        self.apply_turn(user, person, result, &mut replies);
        replies
    }

    fn command_for(&self, user: &UserId, person: &mut Person, command: Command) -> Vec<Reply> {
        match command {
            Command::Menu => self.act(
                user,
                person,
                Action::Start {
                    dialogue: MENU_DIALOGUE.to_string(),
                },
            ),
            Command::Resume => self.current_prompt(user, person),
            Command::Help => {
                let mut options = Vec::new();
                if person.session.is_some() {
                    options.push(Offer::command("Continue where I was", Command::Resume));
                }
                options.extend([
                    menu(),
                    Offer::command("Talk to someone now", Command::Resources),
                    Offer::command("Privacy", Command::Privacy),
                ]);
                vec![self.remember(person, Reply::with_options(texts::HELP, options))]
            }
            Command::Privacy => {
                // Either way it goes through `consent`, which asks before changing anything.
                let label = if person.saving {
                    "Turn saving off"
                } else {
                    "Turn saving on"
                };
                let toggle = Offer::command(label, Command::Consent);
                vec![self.remember(
                    person,
                    Reply::with_options(
                        texts::privacy(person.saving),
                        vec![
                            toggle,
                            Offer::command("Export my data", Command::Export),
                            Offer::command("Erase my data", Command::Forget),
                            menu(),
                        ],
                    ),
                )]
            }
            Command::Consent if person.saving => vec![self.remember(
                person,
                Reply::with_options(
                    texts::CONSENT_ALREADY_ON,
                    vec![
                        Offer::command("Stop saving and delete", Command::ConsentWithdraw),
                        Offer::command("Keep saving", Command::Resume),
                    ],
                ),
            )],
            Command::Consent => vec![self.remember(
                person,
                Reply::with_options(
                    texts::CONSENT_ASK,
                    vec![
                        Offer::command("Yes, save my progress", Command::ConsentGive),
                        Offer::command("No thanks", Command::Resume),
                    ],
                ),
            )],
            Command::ConsentGive => self.give_consent(user, person),
            Command::ConsentWithdraw => match self.store.erase_saved(user) {
                Ok(_) => {
                    person.saving = false;
                    vec![self.remember(
                        person,
                        Reply::with_options(
                            texts::CONSENT_OFF,
                            vec![Offer::command("Continue", Command::Resume), menu()],
                        ),
                    )]
                }
                Err(e) => vec![self.storage_failed(&e)],
            },
            Command::Export => match self.store.export(user) {
                Ok(json) => vec![
                    Reply::text(texts::EXPORT_INTRO),
                    Reply::Export {
                        json: serde_json::to_string_pretty(&json).unwrap_or_default(),
                    },
                ],
                Err(e) => vec![self.storage_failed(&e)],
            },
            Command::Forget => vec![self.remember(
                person,
                Reply::with_options(
                    texts::FORGET_ASK,
                    vec![
                        Offer::command("Yes, erase everything", Command::ForgetConfirmed),
                        Offer::command("Cancel", Command::Resume),
                    ],
                ),
            )],
            Command::ForgetConfirmed => match self.store.erase(user) {
                Ok(_) => {
                    *person = Person::new((self.clock)());
                    person.loaded = true; // nothing is stored any more
                    vec![self.remember(
                        person,
                        Reply::with_options(texts::FORGET_DONE, vec![menu()]),
                    )]
                }
                Err(e) => vec![self.storage_failed(&e)],
            },
            Command::Resources => {
                let (region, _) = self.region_of(person);
                vec![self.remember(
                    person,
                    Reply::with_options(
                        resources_message(&self.bundle.resources, region.as_deref()),
                        vec![
                            Offer::command("Continue", Command::Resume),
                            Offer::command("Change region", Command::Region),
                            menu(),
                        ],
                    ),
                )]
            }
            Command::Region => vec![self.region_menu(person)],
            Command::Directories => {
                let (region, _) = self.region_of(person);
                let text = directories_message(&self.bundle.resources, region.as_deref());
                vec![self.remember(
                    person,
                    Reply::with_options(
                        text,
                        vec![
                            Offer::command("Change region", Command::Region),
                            Offer::command("Continue", Command::Resume),
                            menu(),
                        ],
                    ),
                )]
            }
            Command::History => {
                let text = if !person.saving {
                    texts::HISTORY_NEEDS_SAVING.to_string()
                } else {
                    match self.store.results(user) {
                        Ok(results) => history_text(&results),
                        Err(e) => return vec![self.storage_failed(&e)],
                    }
                };
                vec![self.remember(
                    person,
                    Reply::with_options(
                        text,
                        vec![Offer::command("Continue", Command::Resume), menu()],
                    ),
                )]
            }
            Command::Prompt => {
                let day = (self.clock)().timestamp().div_euclid(86_400).max(0) as u64;
                let text = match self.bundle.prompts.in_order(self.person_seed(user), day) {
                    Some(prompt) => format!("{}\n\n{}", texts::PROMPT_INTRO, prompt.text),
                    None => texts::NO_PROMPTS.to_string(),
                };
                vec![self.remember(
                    person,
                    Reply::with_options(
                        text,
                        vec![Offer::command("Continue", Command::Resume), menu()],
                    ),
                )]
            }
            Command::SafetyCheck { question, answer } => {
                self.safety_answer(person, question, answer)
            }
            Command::Daily
            | Command::DailyStop
            | Command::DailyResume
            | Command::DailyPause { .. } => self.daily_command(user, person, command),
        }
    }

    fn give_consent(&self, user: &UserId, person: &mut Person) -> Vec<Reply> {
        let record = ConsentRecord {
            given_at: (self.clock)(),
            privacy_version: PRIVACY_VERSION,
        };
        let saved = self.store.give_consent(user, &record).and_then(|()| {
            if let Some(session) = &person.session {
                self.store.save_session(user, session)?;
            }
            if person.settings != UserSettings::default() {
                self.store.save_settings(user, &person.settings)?;
            }
            self.store.flush()
        });
        match saved {
            Ok(()) => {
                person.saving = true;
                vec![self.remember(
                    person,
                    Reply::with_options(
                        texts::CONSENT_ON,
                        vec![Offer::command("Continue", Command::Resume), menu()],
                    ),
                )]
            }
            Err(e) => vec![self.storage_failed(&e)],
        }
    }

    fn storage_failed(&self, error: &StoreError) -> Reply {
        tracing::error!(error = %error, "storage failed");
        Reply::text(format!(
            "I couldn't complete that because storage failed ({error}). Nothing was lost; please try again in a moment."
        ))
    }

    /// Keep a reply's options as the person's current choices, and return it.
    fn remember(&self, person: &mut Person, reply: Reply) -> Reply {
        person.offers = reply.options().to_vec();
        reply
    }

    /// Run `f` with the person's in-memory record, loading it from the store on first contact.
    /// The first contact also gets the greeting (or a welcome back) before anything else.
    fn with_person<T: Into<Vec<Reply>>>(
        &self,
        user: &UserId,
        hints: &Hints,
        f: impl FnOnce(&Self, &mut Person) -> T,
    ) -> Vec<Reply> {
        let now = (self.clock)();
        let slot = self.slot(user, now);
        let mut person = slot.lock().unwrap_or_else(|e| e.into_inner());
        let mut replies = Vec::new();
        // A delivery notice is looked for when the record is loaded, and again only when the
        // dispatcher flagged one since: not a store read on every message.
        let mut check_notice = std::mem::take(&mut person.daily_notice);
        if !person.loaded {
            replies.extend(self.load_person(user, &mut person));
            check_notice = true;
        }
        if check_notice {
            replies.extend(self.daily_notice(user));
        }
        person.last_seen = now;
        hints.apply(&mut person);
        replies.extend(f(self, &mut person).into());
        replies
    }

    /// The person's record, created empty (not yet loaded) on first contact.
    fn slot(&self, user: &UserId, now: DateTime<Utc>) -> PersonSlot {
        self.lock_people()
            .entry(user.clone())
            .or_insert_with(|| Arc::new(Mutex::new(Person::new(now))))
            .clone()
    }

    /// Read what is stored for `user` into `person`; returns the greeting or welcome back.
    fn load_person(&self, user: &UserId, person: &mut Person) -> Vec<Reply> {
        person.loaded = true;
        let mut intro = Vec::new();
        match self.store.has_consent(user) {
            Ok(true) => {
                person.saving = true;
                person.settings = self.store.settings(user).ok().flatten().unwrap_or_default();
                match self.store.session(user) {
                    Ok(session) => {
                        person.session = session;
                        intro.push(Reply::text(texts::WELCOME_BACK));
                    }
                    Err(StoreError::Corrupt { .. }) => {
                        intro.push(Reply::text(texts::UNREADABLE_PROGRESS))
                    }
                    Err(e) => intro.push(self.storage_failed(&e)),
                }
            }
            Ok(false) => intro.push(Reply::text(texts::GREETING)),
            Err(e) => {
                intro.push(Reply::text(texts::GREETING));
                intro.push(self.storage_failed(&e));
            }
        }
        intro
    }

    fn forget_idle(&self) {
        let cutoff = (self.clock)() - IDLE_FORGET_AFTER;
        // A record in use right now is not idle.
        self.lock_people()
            .retain(|_, slot| slot.try_lock().map_or(true, |p| p.last_seen >= cutoff));
    }

    fn lock_people(&self) -> MutexGuard<'_, HashMap<UserId, PersonSlot>> {
        // A panic elsewhere must not take every conversation down with it.
        self.people.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A number that stays the same for a person (it orders their daily prompts).
    fn person_seed(&self, user: &UserId) -> u64 {
        user.as_str().bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }

    fn seed(&self, user: &UserId) -> u64 {
        let nanos = (self.clock)().timestamp_nanos_opt().unwrap_or_default() as u64;
        user.as_str()
            .bytes()
            .fold(nanos, |h, b| h.rotate_left(5) ^ u64::from(b))
    }

    /// Whether the core currently holds an in-memory conversation for `user` (tests, operators).
    pub fn remembers(&self, user: &UserId) -> bool {
        self.lock_people().contains_key(user)
    }
}

/// The "Main menu" choice offered under most replies.
fn menu() -> Offer {
    Offer::command("Main menu", Command::Menu)
}

/// Kept results, oldest first, as short lines: date, label, scores.
fn history_text(results: &[SavedResult]) -> String {
    if results.is_empty() {
        return texts::HISTORY_EMPTY.to_string();
    }
    let mut text = String::from(texts::HISTORY_INTRO);
    // The most recent 20 keep the message well inside Discord's 2000 characters.
    let start = results.len().saturating_sub(20);
    for result in &results[start..] {
        let scores: Vec<String> = result
            .scores
            .iter()
            .map(|(scale, score)| {
                format!(
                    "{scale} {}",
                    crate::content::template::format_number(*score)
                )
            })
            .collect();
        text.push_str(&format!(
            "\n• {}: {} ({})",
            result.saved_at.format("%-d %b %Y"),
            result.label,
            scores.join(", ")
        ));
    }
    text.push_str("\n\n");
    text.push_str(texts::HISTORY_NOTE);
    text
}

impl Person {
    fn new(now: DateTime<Utc>) -> Self {
        Self {
            session: None,
            offers: Vec::new(),
            settings: UserSettings::default(),
            saving: false,
            last_seen: now,
            loaded: false,
            locale: None,
            server_region: None,
            check: None,
            daily_notice: false,
        }
    }
}

impl From<Reply> for Vec<Reply> {
    fn from(reply: Reply) -> Self {
        vec![reply]
    }
}

#[cfg(test)]
mod tests;
