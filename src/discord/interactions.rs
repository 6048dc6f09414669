//! Buttons, select menus and modals: decode the component id, check who pressed it, hand the
//! action to the core, and update the message in place. poise routes slash commands only, so
//! every component interaction arrives here from the event handler.

use std::num::NonZeroU64;
use std::time::Instant;

use serenity::all::{
    ActionRowComponent, ChannelId, ComponentInteraction, ComponentInteractionDataKind, Context,
    CreateActionRow, CreateInputText, CreateInteractionResponse, CreateInteractionResponseMessage,
    CreateMessage, CreateModal, GuildId, InputTextStyle, Interaction, ModalInteraction,
};
use serenity::builder::Builder;
use tracing::Instrument;

use crate::action::{Action, Command};
use crate::bot::{Event, Reply};
use crate::engine;

use super::custom_id::{Click, Intent, label_fingerprint};
use super::render::{Outgoing, Surface, render};
use super::send::{self, CANNOT_DM, First, Target};
use super::{App, person, texts};

/// The modal's single text input.
const ANSWER_INPUT_ID: &str = "answer";
/// Discord's limit for a text input.
const MAX_ANSWER_LEN: u16 = 4000;

pub async fn on_interaction(ctx: &Context, app: &App, interaction: &Interaction) {
    let started = Instant::now();
    match interaction {
        Interaction::Component(component) => {
            let span = tracing::info_span!("click", interaction = %component.id, user = %component.user.id, guild = ?component.guild_id.map(|g| g.get()));
            on_component(ctx, app, component)
                .instrument(span.clone())
                .await;
            span.in_scope(|| {
                tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "handled")
            });
        }
        Interaction::Modal(modal) => {
            let span = tracing::info_span!("modal", interaction = %modal.id, user = %modal.user.id, guild = ?modal.guild_id.map(|g| g.get()));
            on_modal(ctx, app, modal).instrument(span.clone()).await;
            span.in_scope(|| {
                tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "handled")
            });
        }
        // Slash commands and autocomplete are poise's.
        _ => {}
    }
}

async fn on_component(ctx: &Context, app: &App, component: &ComponentInteraction) {
    let in_server = component.guild_id.is_some();
    let target = Target::arrived(
        component.id,
        &component.token,
        component.guild_id,
        component.channel_id,
    );
    let click = match decode_component(app, component) {
        Ok(click) => click,
        Err(e) => {
            tracing::info!(reason = %e, "stale or foreign component");
            return private_note(ctx, &target, texts::STALE_BUTTON).await;
        }
    };
    let user = component.user.id;
    if click.owner != 0 && click.owner != user.get() {
        return private_note(ctx, &target, texts::NOT_YOURS).await;
    }
    let Some(id) = person(user) else { return };
    if let Some(guild) = component.guild_id {
        app.note_origin(user.get(), guild);
    }
    let event = |action| {
        Event::action(&id, action)
            .with_locale(Some(component.locale.clone()))
            .with_server_region(app.server_region(component.guild_id.or(app.origin(user.get()))))
    };
    match click.intent {
        Intent::Core(action) => {
            let (action, notice) = check_label(app, action, click.label.as_deref());
            // A click updates its message in place, except on a crisis card, which stays.
            let first = if click.keep {
                First::New
            } else {
                First::Update
            };
            let work = async {
                let mut replies = app.core(event(action)).await;
                if let Some(notice) = notice {
                    replies.insert(0, Reply::text(notice));
                }
                (first, render_for(ctx, app, &replies, user.get(), in_server))
            };
            send::answer_in_time(&ctx.http, &target, first, work).await;
        }
        Intent::Answer => {
            // A modal must be the first response: no defer before it.
            let modal = CreateModal::new(
                Click::new(user.get(), Intent::AnswerSubmit)
                    .encode(&app.key)
                    .unwrap_or_default(),
                texts::MODAL_TITLE,
            )
            .components(vec![CreateActionRow::InputText(
                CreateInputText::new(
                    InputTextStyle::Paragraph,
                    texts::MODAL_LABEL,
                    ANSWER_INPUT_ID,
                )
                .max_length(MAX_ANSWER_LEN),
            )]);
            if let Err(e) = CreateInteractionResponse::Modal(modal)
                .execute(&ctx.http, (target.id, &target.token))
                .await
            {
                tracing::warn!(status = ?send::status_of(&e), "could not open the answer box");
            }
        }
        Intent::ContinueInDm => continue_in_dm(ctx, app, component, &target).await,
        Intent::AlertModerators { guild } => match NonZeroU64::new(guild) {
            Some(guild) => alert_moderators(ctx, app, &target, user.get(), guild.into()).await,
            None => private_note(ctx, &target, texts::STALE_BUTTON).await,
        },
        Intent::PublicSupport | Intent::OpenPrivately => {
            // Under a public message: answer privately, never edit what everyone sees.
            let command = if click.intent == Intent::PublicSupport {
                Command::Resources
            } else {
                Command::Resume
            };
            let work = async {
                let replies = app.core(event(Action::Command(command))).await;
                (
                    First::New,
                    render_for(ctx, app, &replies, user.get(), in_server),
                )
            };
            send::answer_in_time(&ctx.http, &target, First::New, work).await;
        }
        Intent::AnswerSubmit | Intent::Select => {
            private_note(ctx, &target, texts::STALE_BUTTON).await;
        }
    }
}

/// The click a component carries: a button's own id, or the picked option of a select menu.
fn decode_component(
    app: &App,
    component: &ComponentInteraction,
) -> Result<Click, super::custom_id::DecodeError> {
    let click = Click::decode(&component.data.custom_id, &app.key)?;
    match (&click.intent, &component.data.kind) {
        (Intent::Select, ComponentInteractionDataKind::StringSelect { values }) => {
            let value = values
                .first()
                .ok_or(super::custom_id::DecodeError::Malformed)?;
            let picked = Click::decode(value, &app.key)?;
            if picked.owner != click.owner {
                return Err(super::custom_id::DecodeError::Tampered);
            }
            Ok(picked)
        }
        _ => Ok(click),
    }
}

/// A choice whose label changed since the button was made (the content was edited) is not
/// used: the person sees where they are now instead.
fn check_label(
    app: &App,
    action: Action,
    fingerprint: Option<&str>,
) -> (Action, Option<&'static str>) {
    let Action::Choose {
        dialogue,
        node,
        index,
    } = &action
    else {
        return (action, None);
    };
    let current = engine::choice_label(&app.bot.bundle().library, dialogue, node, *index);
    match (current, fingerprint) {
        (Some(label), Some(fingerprint)) if label_fingerprint(label) == fingerprint => {
            (action, None)
        }
        _ => (
            Action::Command(Command::Resume),
            Some(texts::CONTENT_CHANGED),
        ),
    }
}

async fn on_modal(ctx: &Context, app: &App, modal: &ModalInteraction) {
    let in_server = modal.guild_id.is_some();
    let target = Target::arrived(modal.id, &modal.token, modal.guild_id, modal.channel_id);
    let user = modal.user.id;
    // Whatever the modal's id says, what was typed goes to the core, which scans it first: a
    // crisis reply takes precedence over a stale box. (Discord delivers a modal only from the
    // person it was shown to.)
    match Click::decode(&modal.data.custom_id, &app.key) {
        Ok(click) if click.intent == Intent::AnswerSubmit && click.owner == user.get() => {}
        _ => tracing::info!("an answer box from an older message; reading it anyway"),
    }
    let Some(id) = person(user) else { return };
    let text: String = modal
        .data
        .components
        .iter()
        .flat_map(|row| &row.components)
        .filter_map(|c| match c {
            ActionRowComponent::InputText(input) if input.custom_id == ANSWER_INPUT_ID => {
                input.value.clone()
            }
            _ => None,
        })
        .collect();
    let event = Event::text(&id, text)
        .with_locale(Some(modal.locale.clone()))
        .with_server_region(app.server_region(modal.guild_id.or(app.origin(user.get()))));
    let from_message = modal.message.is_some();
    let work = async {
        let replies = app.core(event).await;
        let messages = render_for(ctx, app, &replies, user.get(), in_server);
        // A crisis card arrives as a new message, where it cannot be mistaken for the step it
        // interrupted; anything else replaces the step.
        let crisis = messages.first().is_some_and(|m| m.crisis);
        let first = if crisis || !from_message {
            First::New
        } else {
            First::Update
        };
        (first, messages)
    };
    // If the core is slow, defer as a new message so a crisis card can still come first.
    send::answer_in_time(&ctx.http, &target, First::New, work).await;
}

/// Open a DM, carry the conversation on there, and say so (or why not) privately.
async fn continue_in_dm(
    ctx: &Context,
    app: &App,
    component: &ComponentInteraction,
    target: &Target,
) {
    let user = component.user.id;
    let defer =
        CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(true));
    if let Err(e) = defer.execute(&ctx.http, (target.id, &target.token)).await {
        tracing::warn!(status = ?send::status_of(&e), "could not acknowledge");
    }
    let Some(id) = person(user) else { return };
    let outcome = match user.create_dm_channel(&ctx.http).await {
        Ok(channel) => {
            let event = Event::action(&id, Action::Command(Command::Resume))
                .with_locale(Some(component.locale.clone()))
                .with_server_region(app.server_region(component.guild_id));
            let replies = app.core(event).await;
            let messages = render_for(ctx, app, &replies, user.get(), false);
            match send::to_channel(&ctx.http, channel.id, &messages).await {
                Ok(()) => texts::DM_SENT,
                Err(e) if send::discord_code(&e) == Some(CANNOT_DM) => texts::DM_CLOSED,
                Err(_) => texts::DM_FAILED,
            }
        }
        Err(e) if send::discord_code(&e) == Some(CANNOT_DM) => texts::DM_CLOSED,
        Err(e) => {
            tracing::warn!(status = ?send::status_of(&e), "could not open a DM");
            texts::DM_FAILED
        }
    };
    let edit = serenity::all::EditInteractionResponse::new().content(outcome);
    if let Err(e) = edit.execute(&ctx.http, &target.token).await {
        tracing::warn!(status = ?send::status_of(&e), "could not say how the DM went");
    }
}

/// The person asked, from a crisis card in their DMs, for a server's moderators to reach out.
async fn alert_moderators(ctx: &Context, app: &App, target: &Target, user: u64, guild: GuildId) {
    // Acknowledge first: the alert is retried and may take longer than Discord waits. A new
    // message, so the crisis card above stays as it is.
    let defer = CreateInteractionResponse::Defer(
        CreateInteractionResponseMessage::new().ephemeral(target.private),
    );
    if let Err(e) = defer.execute(&ctx.http, (target.id, &target.token)).await {
        tracing::warn!(status = ?send::status_of(&e), "could not acknowledge");
    }
    let settings = app.guild_settings(guild);
    let text = match settings
        .alert_channel
        .and_then(|c| c.parse::<NonZeroU64>().ok())
    {
        None => texts::ALERT_OFF,
        Some(_) if !app.reserve_alert(user, guild) => texts::ALERT_RECENT,
        Some(channel) => {
            let sent = send::send_built(&ctx.http, ChannelId::from(channel), 4, || {
                CreateMessage::new().content(texts::requested_alert(user))
            })
            .await;
            match sent {
                Ok(_) => {
                    tracing::info!(
                        guild = guild.get(),
                        "moderator alert sent at the person's request"
                    );
                    texts::ALERT_SENT
                }
                Err(_) => {
                    // A failure leaves the person free to ask again.
                    app.release_alert(user, guild);
                    texts::ALERT_FAILED
                }
            }
        }
    };
    let edit = serenity::all::EditInteractionResponse::new().content(text);
    if let Err(e) = edit.execute(&ctx.http, &target.token).await {
        tracing::warn!(status = ?send::status_of(&e), "could not confirm the alert");
    }
}

/// Render replies for one person, adding the moderator offer to crisis cards in DMs.
pub(super) fn render_for(
    ctx: &Context,
    app: &App,
    replies: &[Reply],
    owner: u64,
    in_server: bool,
) -> Vec<Outgoing> {
    let has_crisis = replies.iter().any(|r| matches!(r, Reply::Crisis(_)));
    let alert = (!in_server && has_crisis)
        .then(|| app.alert_server(ctx, owner))
        .flatten();
    let surface = Surface {
        owner,
        in_server,
        alert_server: alert.as_ref().map(|(id, name)| (*id, name.as_str())),
        key: &app.key,
    };
    render(replies, &surface)
}

/// A short private answer that leaves the clicked message alone.
async fn private_note(ctx: &Context, target: &Target, text: &str) {
    let response = CreateInteractionResponse::Message(
        CreateInteractionResponseMessage::new()
            .content(text)
            .ephemeral(true),
    );
    if let Err(e) = response
        .execute(&ctx.http, (target.id, &target.token))
        .await
    {
        tracing::warn!(status = ?send::status_of(&e), "could not send a private note");
    }
}
