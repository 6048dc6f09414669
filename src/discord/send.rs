//! Sending [`Outgoing`] messages: interaction responses (in time, deferring when the work is
//! slow), follow-ups, and channel messages, with retries on 429 and 5xx. A failed send is
//! logged (status and Discord's error code, never the text) and never crashes the bot.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use serenity::all::{
    ButtonStyle as DiscordButtonStyle, ChannelId, CreateActionRow, CreateAttachment, CreateButton,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateMessage, CreateSelectMenu, CreateSelectMenuKind, CreateSelectMenuOption,
    EditInteractionResponse, Http, InteractionId, Message,
};
use serenity::builder::Builder;

use super::render::{ButtonStyle, Outgoing, Row};

/// Discord wants the first response to an interaction within 3 s. Work that is not done by
/// this point is deferred (the person sees "thinking…") and the answer edited in after.
pub const DEFER_AFTER: Duration = Duration::from_millis(1500);

/// Discord's error code for "Cannot send messages to this user" (DMs closed).
pub const CANNOT_DM: isize = 50007;

/// How the first message answers an interaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum First {
    /// Replace the message whose component was used (a click).
    Update,
    /// A new message.
    New,
}

/// The interaction being answered, and where its messages belong.
#[derive(Clone)]
pub struct Target {
    pub id: InteractionId,
    pub token: String,
    /// In a server: every message, follow-ups included, is ephemeral (only the person sees it).
    pub private: bool,
    /// In a DM: the channel, so a crisis card whose response failed can still be delivered.
    pub dm: Option<ChannelId>,
    /// When the interaction reached the bot: Discord's 3 s run from about here.
    pub received: Instant,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The interaction token is a credential for 15 minutes: never in a log line.
        f.debug_struct("Target")
            .field("id", &self.id)
            .field("private", &self.private)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// The interaction `id`/`token`, which arrived now in a server (`guild`) or in the DM
    /// `channel`.
    pub fn arrived(
        id: InteractionId,
        token: &str,
        guild: Option<serenity::all::GuildId>,
        channel: ChannelId,
    ) -> Target {
        Target {
            id,
            token: token.to_string(),
            private: guild.is_some(),
            dm: guild.is_none().then_some(channel),
            received: Instant::now(),
        }
    }

    /// Time left for the first response, with a margin for the trip to Discord.
    fn time_left(&self) -> Duration {
        (self.received + RESPONSE_DEADLINE).saturating_duration_since(Instant::now())
    }
}

/// Discord drops a first response that arrives later than 3 s; this leaves room for the trip.
const RESPONSE_DEADLINE: Duration = Duration::from_millis(2800);

/// Answer an interaction with what `work` produces: at once if it finishes within
/// [`DEFER_AFTER`] (with the [`First`] it chose), otherwise defer as `slow` and edit the answer
/// in when it is ready.
pub async fn answer_in_time(
    http: &Http,
    target: &Target,
    slow: First,
    work: impl Future<Output = (First, Vec<Outgoing>)>,
) {
    tokio::pin!(work);
    let (first, messages) = tokio::select! {
        done = &mut work => done,
        _ = tokio::time::sleep_until(target.received + DEFER_AFTER) => {
            tracing::info!("work is slow; deferring the interaction response");
            let defer = match slow {
                First::Update => CreateInteractionResponse::Acknowledge,
                First::New => CreateInteractionResponse::Defer(
                    CreateInteractionResponseMessage::new().ephemeral(target.private),
                ),
            };
            if let Err(e) = defer.execute(http, (target.id, &target.token)).await {
                log_failure("defer", &e);
            }
            let (_, messages) = work.await;
            let mut rest = messages.into_iter();
            if let Some(message) = rest.next() {
                let result =
                    deliver(&message, |m| edit(m).execute(http, &target.token)).await;
                if let Err(e) = result {
                    log_failure("edit deferred response", &e);
                    crisis_fallback(http, target, &message).await;
                }
            }
            followups(http, target, rest).await;
            return;
        }
    };
    answer(http, target, first, messages).await;
}

/// Answer an interaction with `messages` now: the first as the response, the rest as follow-ups.
pub async fn answer(http: &Http, target: &Target, first: First, messages: Vec<Outgoing>) {
    let mut rest = messages.into_iter();
    let Some(message) = rest.next() else {
        let response = match first {
            First::Update => CreateInteractionResponse::Acknowledge,
            // A command must be answered with something; the core always has a reply, so an
            // empty one is a fault on our side.
            First::New => CreateInteractionResponse::Message(
                CreateInteractionResponseMessage::new()
                    .content(super::texts::CORE_FAILED)
                    .ephemeral(target.private),
            ),
        };
        if let Err(e) = response.execute(http, (target.id, &target.token)).await {
            log_failure("empty response", &e);
        }
        return;
    };
    // Retries stop at Discord's deadline: a late response is dropped by Discord anyway. (With
    // Discord's own ratelimiter on, serenity waits out a 429 itself; the deadline bounds that
    // too.)
    let respond = |m: &Outgoing| {
        let response = match first {
            // An update keeps the message's own visibility (Discord ignores its flags).
            First::Update => CreateInteractionResponse::UpdateMessage(response_message(m, false)),
            First::New => CreateInteractionResponse::Message(response_message(m, target.private)),
        };
        response.execute(http, (target.id, &target.token))
    };
    match tokio::time::timeout(target.time_left(), deliver(&message, respond)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            log_failure("interaction response", &e);
            crisis_fallback(http, target, &message).await;
        }
        Err(_) => {
            tracing::warn!("no interaction response within Discord's deadline");
            crisis_fallback(http, target, &message).await;
        }
    }
    followups(http, target, rest).await;
}

/// A crisis card that could not be delivered as the interaction's response: in a DM, post it
/// to the channel instead (never in a server channel, where it would be public).
async fn crisis_fallback(http: &Http, target: &Target, message: &Outgoing) {
    if let (true, Some(channel)) = (message.crisis, target.dm) {
        tracing::warn!("delivering the crisis card to the DM channel instead");
        let _ = to_channel(http, channel, std::slice::from_ref(message)).await;
    }
}

async fn followups(http: &Http, target: &Target, messages: impl Iterator<Item = Outgoing>) {
    for message in messages {
        let result = deliver(&message, |m| {
            followup(m, target.private).execute(http, (None, &target.token))
        })
        .await;
        if let Err(e) = result {
            log_failure("follow-up", &e);
            crisis_fallback(http, target, &message).await;
        }
    }
}

/// Send `messages` to a channel (a DM) in order. Stops at the first failure and returns it, so
/// the caller can tell the person (50007) instead of sending the rest into a closed DM.
pub async fn to_channel(
    http: &Http,
    channel: ChannelId,
    messages: &[Outgoing],
) -> Result<(), serenity::Error> {
    for message in messages {
        deliver(message, |m| {
            channel_message(m).execute(http, (channel, None))
        })
        .await
        .inspect_err(|e| log_failure("channel message", e))?;
    }
    Ok(())
}

/// Send one message with `send`, retrying while Discord asks to (429, 5xx). A crisis card that
/// Discord refuses for its form (a component it does not accept, say) goes again as plain text:
/// the words and the numbers matter, the buttons do not.
async fn deliver<T, F, Fut>(message: &Outgoing, send: F) -> Result<T, serenity::Error>
where
    F: Fn(&Outgoing) -> Fut,
    Fut: Future<Output = Result<T, serenity::Error>>,
{
    match retrying(attempts(message), || send(message)).await {
        Err(e) if message.crisis && refused_for_form(&e) => {
            tracing::warn!(code = ?discord_code(&e), "crisis card refused; sending it as plain text");
            let plain = Outgoing {
                rows: Vec::new(),
                file: None,
                ..message.clone()
            };
            retrying(attempts(message), || send(&plain)).await
        }
        other => other,
    }
}

/// Discord refused the message itself (400-class), not the timing or the person's settings.
fn refused_for_form(error: &serenity::Error) -> bool {
    const NOT_ABOUT_THE_MESSAGE: [isize; 4] = [
        40060, // already acknowledged
        10062, // unknown interaction (too late)
        10015, // unknown webhook (token expired)
        CANNOT_DM,
    ];
    matches!(status_of(error), Some(400..=499))
        && status_of(error) != Some(429)
        && !discord_code(error).is_some_and(|c| NOT_ABOUT_THE_MESSAGE.contains(&c))
}

/// A single channel message built by the caller (a public reply, an alert).
pub async fn send_built(
    http: &Http,
    channel: ChannelId,
    attempts: u32,
    build: impl Fn() -> CreateMessage,
) -> Result<Message, serenity::Error> {
    retrying(attempts, || build().execute(http, (channel, None)))
        .await
        .inspect_err(|e| log_failure("channel message", e))
}

/// Crisis messages are retried harder: they matter most.
fn attempts(message: &Outgoing) -> u32 {
    if message.crisis { 4 } else { 2 }
}

/// Run `send` up to `attempts` times while Discord answers 429 or 5xx, backing off between.
async fn retrying<T, F, Fut>(attempts: u32, mut send: F) -> Result<T, serenity::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, serenity::Error>>,
{
    let mut delay = Duration::from_millis(250);
    let mut tries = 1;
    loop {
        match send().await {
            Err(e) if tries < attempts && is_transient(&e) => {
                tracing::warn!(status = ?status_of(&e), try_number = tries, "Discord asked to retry");
                tokio::time::sleep(delay).await;
                delay *= 2;
                tries += 1;
            }
            other => return other,
        }
    }
}

/// The HTTP status of a failed request, if Discord answered.
pub fn status_of(error: &serenity::Error) -> Option<u16> {
    match error {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(response)) => {
            Some(response.status_code.as_u16())
        }
        _ => None,
    }
}

/// Discord's JSON error code of a failed request (such as [`CANNOT_DM`]).
pub fn discord_code(error: &serenity::Error) -> Option<isize> {
    match error {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(response)) => {
            Some(response.error.code)
        }
        _ => None,
    }
}

fn is_transient(error: &serenity::Error) -> bool {
    matches!(status_of(error), Some(429 | 500..=599))
}

fn log_failure(what: &str, error: &serenity::Error) {
    tracing::warn!(
        what,
        status = ?status_of(error),
        code = ?discord_code(error),
        kind = error_kind(error),
        "a Discord request failed"
    );
}

fn error_kind(error: &serenity::Error) -> &'static str {
    match error {
        serenity::Error::Http(_) => "http",
        serenity::Error::Gateway(_) => "gateway",
        serenity::Error::Model(_) => "model",
        serenity::Error::Json(_) => "json",
        _ => "other",
    }
}

// --- builders ---------------------------------------------------------------------------------

fn components(rows: &[Row]) -> Vec<CreateActionRow> {
    rows.iter()
        .map(|row| match row {
            Row::Buttons(buttons) => CreateActionRow::Buttons(
                buttons
                    .iter()
                    .map(|b| {
                        CreateButton::new(b.custom_id.clone())
                            .label(b.label.clone())
                            .style(match b.style {
                                ButtonStyle::Primary => DiscordButtonStyle::Primary,
                                ButtonStyle::Secondary => DiscordButtonStyle::Secondary,
                            })
                    })
                    .collect(),
            ),
            Row::Select {
                custom_id,
                placeholder,
                options,
            } => CreateActionRow::SelectMenu(
                CreateSelectMenu::new(
                    custom_id.clone(),
                    CreateSelectMenuKind::String {
                        options: options
                            .iter()
                            .map(|o| CreateSelectMenuOption::new(o.label.clone(), o.value.clone()))
                            .collect(),
                    },
                )
                .placeholder(placeholder.clone()),
            ),
        })
        .collect()
}

fn attachment(message: &Outgoing) -> Option<CreateAttachment> {
    message
        .file
        .as_ref()
        .map(|f| CreateAttachment::bytes(f.bytes.clone(), f.name.clone()))
}

fn response_message(message: &Outgoing, ephemeral: bool) -> CreateInteractionResponseMessage {
    let mut data = CreateInteractionResponseMessage::new()
        .content(message.content.clone())
        .components(components(&message.rows))
        .ephemeral(ephemeral);
    if let Some(file) = attachment(message) {
        data = data.add_file(file);
    }
    data
}

fn followup(message: &Outgoing, ephemeral: bool) -> CreateInteractionResponseFollowup {
    let mut data = CreateInteractionResponseFollowup::new()
        .content(message.content.clone())
        .components(components(&message.rows))
        .ephemeral(ephemeral);
    if let Some(file) = attachment(message) {
        data = data.add_file(file);
    }
    data
}

fn edit(message: &Outgoing) -> EditInteractionResponse {
    let mut data = EditInteractionResponse::new()
        .content(message.content.clone())
        .components(components(&message.rows));
    if let Some(file) = attachment(message) {
        data = data.new_attachment(file);
    }
    data
}

pub(super) fn channel_message(message: &Outgoing) -> CreateMessage {
    let mut data = CreateMessage::new()
        .content(message.content.clone())
        .components(components(&message.rows));
    if let Some(file) = attachment(message) {
        data = data.add_file(file);
    }
    data
}

/// The end-to-end tests' fake Discord, reused to test sending against real HTTP.
#[cfg(test)]
#[path = "../../tests/support/fake_discord.rs"]
pub(super) mod fake_discord;

#[cfg(test)]
mod tests {
    use serenity::all::{ApplicationId, HttpBuilder};

    use super::fake_discord::{BOT_ID, FakeDiscord};
    use super::*;

    fn http(fake: &FakeDiscord) -> Http {
        let http = HttpBuilder::new("test-token")
            .proxy(fake.rest_url.clone())
            .ratelimiter_disabled(true)
            .build();
        http.set_application_id(ApplicationId::new(BOT_ID));
        http
    }

    fn message(text: &str, crisis: bool) -> Outgoing {
        Outgoing {
            content: text.to_string(),
            crisis,
            ..Outgoing::default()
        }
    }

    fn target() -> Target {
        Target {
            id: InteractionId::new(42),
            token: "tok".to_string(),
            private: true,
            dm: None,
            received: Instant::now(),
        }
    }

    #[tokio::test]
    async fn quick_work_is_the_response_itself() {
        let fake = FakeDiscord::start().await;
        answer_in_time(&http(&fake), &target(), First::New, async {
            (
                First::New,
                vec![message("hello", false), message("more", false)],
            )
        })
        .await;
        let requests = fake.requests();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].path, "/api/v10/interactions/42/tok/callback");
        assert_eq!(requests[0].body["type"], 4);
        assert_eq!(requests[0].body["data"]["flags"], 64);
        assert_eq!(requests[1].path, format!("/api/v10/webhooks/{BOT_ID}/tok"));
        assert_eq!(requests[1].body["content"], "more");
        assert_eq!(requests[1].body["flags"], 64, "follow-ups are private too");
    }

    #[tokio::test]
    async fn after_an_update_in_a_server_follow_ups_stay_private() {
        let fake = FakeDiscord::start().await;
        answer_in_time(&http(&fake), &target(), First::Update, async {
            (
                First::Update,
                vec![message("step", false), message("more", false)],
            )
        })
        .await;
        let requests = fake.requests();
        assert_eq!(requests[0].body["type"], 7);
        assert_eq!(requests[1].body["flags"], 64);
    }

    #[tokio::test]
    async fn a_crisis_card_whose_response_failed_goes_to_the_dm() {
        let fake = FakeDiscord::start().await;
        fake.fail_next("/callback", 500, 10);
        let target = Target {
            private: false,
            dm: Some(ChannelId::new(77)),
            ..target()
        };
        fake.expect_interaction(42);
        answer(
            &http(&fake),
            &target,
            First::New,
            vec![message("card", true)],
        )
        .await;
        let posted = fake
            .find(|r| r.path == "/api/v10/channels/77/messages")
            .expect("the card went to the DM channel");
        assert_eq!(posted.body["content"], "card");

        // Never into a server channel, where it would be public.
        let fake = FakeDiscord::start().await;
        fake.fail_next("/callback", 404, 1);
        answer(
            &http(&fake),
            &super::tests::target(),
            First::New,
            vec![message("card", true)],
        )
        .await;
        assert!(fake.find(|r| r.path.contains("/channels/")).is_none());
    }

    #[tokio::test]
    async fn a_crisis_card_refused_for_its_buttons_goes_again_as_plain_text() {
        let fake = FakeDiscord::start().await;
        fake.fail_next("/channels/5/messages", 400, 1);
        let mut card = message("card", true);
        card.rows = vec![Row::Buttons(vec![super::super::render::Button {
            label: "Keep talking".into(),
            custom_id: "x".into(),
            style: ButtonStyle::Secondary,
        }])];
        to_channel(&http(&fake), ChannelId::new(5), &[card])
            .await
            .expect("delivered without buttons");
        let requests = fake.requests();
        assert_eq!(requests.len(), 2);
        assert!(
            requests[1].body["components"]
                .as_array()
                .is_none_or(|c| c.is_empty())
        );
    }

    #[tokio::test]
    async fn slow_work_is_deferred_then_edited_in() {
        let fake = FakeDiscord::start().await;
        // The fake holds the defer to Discord's 3 s and refuses an edit before it.
        fake.expect_interaction(42);
        let work = async {
            tokio::time::sleep(DEFER_AFTER + Duration::from_millis(300)).await;
            (First::New, vec![message("done", false)])
        };
        answer_in_time(&http(&fake), &target(), First::New, work).await;
        let requests = fake.requests();
        assert_eq!(requests[0].body["type"], 5, "deferred first");
        assert_eq!(requests[0].body["data"]["flags"], 64);
        assert_eq!(requests[1].method, "PATCH");
        assert_eq!(
            requests[1].path,
            format!("/api/v10/webhooks/{BOT_ID}/tok/messages/@original")
        );
        assert_eq!(requests[1].body["content"], "done");

        let fake = FakeDiscord::start().await;
        let work = async {
            tokio::time::sleep(DEFER_AFTER + Duration::from_millis(300)).await;
            (First::Update, vec![message("done", false)])
        };
        answer_in_time(&http(&fake), &target(), First::Update, work).await;
        assert_eq!(
            fake.requests()[0].body["type"],
            6,
            "a click defers as an update"
        );
    }

    #[tokio::test]
    async fn crisis_messages_are_retried_harder() {
        let fake = FakeDiscord::start().await;
        let http = http(&fake);
        let channel = ChannelId::new(5);
        fake.fail_next("/channels/5/messages", 500, 3);
        to_channel(&http, channel, &[message("card", true)])
            .await
            .expect("a crisis message gets through three 500s");
        fake.fail_next("/channels/5/messages", 500, 3);
        let error = to_channel(&http, channel, &[message("menu", false)])
            .await
            .expect_err("an ordinary message gives up sooner");
        assert_eq!(status_of(&error), Some(500));
    }

    #[tokio::test]
    async fn a_closed_dm_is_reported_by_its_code() {
        let fake = FakeDiscord::start().await;
        fake.close_dms(7);
        let channel = ChannelId::new(FakeDiscord::dm_channel(7));
        let error = to_channel(&http(&fake), channel, &[message("hi", false)])
            .await
            .expect_err("DMs are closed");
        assert_eq!(discord_code(&error), Some(CANNOT_DM));
    }
}
