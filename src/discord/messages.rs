//! Messages: direct messages are conversations with the core; in servers the bot reads only
//! messages that mention it and channels an admin enabled openly for monitoring. A risk match in
//! a server gets a short public reply with a private button, and an alert to the moderators'
//! channel when the server turned alerts on (where and what kind, never the text).

use std::num::NonZeroU64;
use std::time::Instant;

use serenity::all::{
    ButtonStyle, ChannelId, Context, CreateActionRow, CreateButton, CreateMessage, GuildId,
    Message, MessageReference,
};
use tracing::Instrument;

use crate::bot::Event;
use crate::risk::Assessment;

use super::custom_id::{Click, Intent};
use super::interactions::render_for;
use super::send::{self, CANNOT_DM};
use super::{App, person, texts};

pub async fn on_message(ctx: &Context, app: &App, message: &Message) {
    if message.author.bot || message.webhook_id.is_some() || message.content.trim().is_empty() {
        return;
    }
    let started = Instant::now();
    let span = tracing::info_span!("message", message = %message.id, user = %message.author.id, guild = ?message.guild_id.map(|g| g.get()));
    async {
        match message.guild_id {
            None => direct_message(ctx, app, message).await,
            Some(guild) => server_message(ctx, app, message, guild).await,
        }
        tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "handled");
    }
    .instrument(span)
    .await;
}

async fn direct_message(ctx: &Context, app: &App, message: &Message) {
    let user = message.author.id;
    let Some(id) = person(user) else { return };
    // The core scans the text before anything else; a crisis card comes back first.
    let event = Event::text(&id, message.content.clone())
        .with_server_region(app.server_region(app.origin(user.get())));
    let replies = app.core(event).await;
    let messages = render_for(ctx, app, &replies, user.get(), false);
    if let Err(e) = send::to_channel(&ctx.http, message.channel_id, &messages).await {
        if send::discord_code(&e) == Some(CANNOT_DM) {
            tracing::info!("the person's DMs are closed to the bot");
        }
    }
}

async fn server_message(ctx: &Context, app: &App, message: &Message, guild: GuildId) {
    let me = ctx.cache.current_user().id;
    let mentioned = message.mentions_user_id(me);
    // Every server message arrives here: read the server's settings only when the message
    // can concern the bot at all.
    if !mentioned && !app.monitoring_allowed {
        return;
    }
    let settings = app.guild_settings(guild);
    let monitored = app.monitoring_allowed
        && settings
            .monitored_channels
            .contains(&message.channel_id.to_string());
    if !mentioned && !monitored {
        return;
    }
    let text = without_mentions(&message.content);
    let assessment = app.bot.assess(&text);
    if assessment.is_risk() {
        app.note_origin(message.author.id.get(), guild);
        // The short, kind public reply; the contacts open privately for whoever presses.
        let region = settings.default_region.clone();
        let emergency = &app
            .bot
            .bundle()
            .resources
            .region(region.as_deref())
            .emergency;
        let reply = PublicReply {
            text: texts::public_concern(emergency),
            intent: Intent::PublicSupport,
            label: texts::PUBLIC_SUPPORT_LABEL,
        };
        reply.send(ctx, app, message, 4).await;
        let alerts = settings
            .alert_channel
            .as_deref()
            .and_then(|c| c.parse::<NonZeroU64>().ok());
        if let Some(channel) = alerts {
            channel_alert(ctx, ChannelId::from(channel), message, &assessment).await;
        }
    } else if mentioned {
        let reply = PublicReply {
            text: texts::PUBLIC_POINTER.to_string(),
            intent: Intent::OpenPrivately,
            label: texts::OPEN_PRIVATELY_LABEL,
        };
        reply.send(ctx, app, message, 2).await;
    }
}

/// A reply in a server channel with one button anyone may press (it answers privately).
struct PublicReply {
    text: String,
    intent: Intent,
    label: &'static str,
}

impl PublicReply {
    async fn send(self, ctx: &Context, app: &App, message: &Message, attempts: u32) {
        let custom_id = Click::new(0, self.intent.clone()).encode(&app.key);
        let build = || {
            // Still sent if the person deleted their message meanwhile.
            let reference = MessageReference::from(message).fail_if_not_exists(false);
            let mut reply = CreateMessage::new()
                .content(self.text.clone())
                .reference_message(reference);
            if let Some(id) = &custom_id {
                reply = reply.components(vec![CreateActionRow::Buttons(vec![
                    CreateButton::new(id.clone())
                        .label(self.label)
                        .style(ButtonStyle::Primary),
                ])]);
            }
            reply
        };
        let _ = send::send_built(&ctx.http, message.channel_id, attempts, build).await;
    }
}

async fn channel_alert(
    ctx: &Context,
    channel: ChannelId,
    message: &Message,
    assessment: &Assessment,
) {
    let category = assessment
        .primary
        .map_or("unspecified", |c| c.as_str())
        .replace('_', " ");
    let text = texts::channel_alert(&category, message.channel_id.get(), &message.link());
    if send::send_built(&ctx.http, channel, 4, || {
        CreateMessage::new().content(text.clone())
    })
    .await
    .is_ok()
    {
        tracing::info!(category, "moderator alert sent");
    }
}

/// The text without `<@id>` / `<@!id>` mentions, so "@securebase I can't go on" is scanned as
/// "I can't go on".
fn without_mentions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<@") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let body = after.strip_prefix('!').unwrap_or(after);
        match body.find('>') {
            Some(end) if end > 0 && body[..end].bytes().all(|b| b.is_ascii_digit()) => {
                rest = &body[end + 1..];
            }
            _ => {
                out.push_str("<@");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_removed_before_scanning() {
        assert_eq!(without_mentions("<@1000> hello"), "hello");
        assert_eq!(without_mentions("hi <@!1000>, there"), "hi , there");
        assert_eq!(without_mentions("a <@x> b"), "a <@x> b");
        assert_eq!(without_mentions("<@"), "<@");
        assert_eq!(without_mentions("<@123"), "<@123");
    }
}
