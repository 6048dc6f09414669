//! `/settings`: a server's default region, moderator alert channel and monitored channels.
//! Gated twice: Discord hides it from members without Manage Server (default permissions), and
//! every call checks the caller's permissions again, since server admins can change who sees a
//! command.

use poise::CreateReply;
use serenity::all::{ChannelId, CreateMessage, GuildId, Permissions};

use crate::crisis::INTERNATIONAL;
use crate::store::GuildSettings;

use super::commands::autocomplete_region;
use super::send;
use super::{App, Error, PoiseContext, texts};

/// Server settings for securebase (Manage Server only).
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands("show", "region", "alerts", "monitor"),
    subcommand_required
)]
pub async fn settings(_ctx: PoiseContext<'_>) -> Result<(), Error> {
    Ok(())
}

/// Show this server's securebase settings.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
async fn show(ctx: PoiseContext<'_>) -> Result<(), Error> {
    let _working = ctx.data().inflight.enter();
    let Some(guild) = admin_guild(ctx).await? else {
        return Ok(());
    };
    let app = ctx.data();
    let settings = app.guild_settings(guild);
    say(ctx, &describe(app, &settings)).await
}

/// Set the crisis-contact region for members who haven't chosen their own.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
async fn region(
    ctx: PoiseContext<'_>,
    #[description = "A region code such as UK or US; `none` to clear"]
    #[autocomplete = "autocomplete_region"]
    #[max_length = 8]
    code: String,
) -> Result<(), Error> {
    let _working = ctx.data().inflight.enter();
    let Some(guild) = admin_guild(ctx).await? else {
        return Ok(());
    };
    let app = ctx.data();
    let code = code.trim().to_ascii_uppercase();
    let resources = &app.bot.bundle().resources;
    let region = match code.as_str() {
        "NONE" | "" => None,
        _ if resources.knows(&code) => Some(code),
        _ => {
            let known: Vec<&str> = resources.regions().map(|r| r.code.as_str()).collect();
            return say(
                ctx,
                &format!(
                    "`{code}` is not a region I have contacts for. Known: {}.",
                    known.join(", ")
                ),
            )
            .await;
        }
    };
    update(ctx, guild, |s| s.default_region = region.clone()).await?;
    let text = match region {
        Some(code) => {
            format!("Members who haven't chosen a region will see crisis contacts for {code}.")
        }
        None => format!(
            "Cleared. Members who haven't chosen a region see contacts from their language setting, or international ones ({INTERNATIONAL})."
        ),
    };
    say(ctx, &text).await
}

/// Where to alert moderators when someone may be at risk (leave empty to turn alerts off).
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
async fn alerts(
    ctx: PoiseContext<'_>,
    #[description = "The moderators' channel; leave empty to turn alerts off"]
    #[channel_types("Text")]
    channel: Option<ChannelId>,
) -> Result<(), Error> {
    let _working = ctx.data().inflight.enter();
    let Some(guild) = admin_guild(ctx).await? else {
        return Ok(());
    };
    update(ctx, guild, |s| {
        s.alert_channel = channel.map(|c| c.to_string())
    })
    .await?;
    let text = match channel {
        Some(c) => format!(
            "Moderator alerts go to <#{c}>. They say where and what kind of risk was noticed, with a link, never what was written. People in DMs can also choose to ask you to reach out."
        ),
        None => "Moderator alerts are off.".to_string(),
    };
    say(ctx, &text).await
}

/// Turn risk monitoring of a channel on or off (a notice is posted in the channel).
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
async fn monitor(
    ctx: PoiseContext<'_>,
    #[description = "The channel"]
    #[channel_types("Text")]
    channel: ChannelId,
    #[description = "On or off"] enabled: bool,
) -> Result<(), Error> {
    let _working = ctx.data().inflight.enter();
    let Some(guild) = admin_guild(ctx).await? else {
        return Ok(());
    };
    let app = ctx.data();
    if enabled && !app.monitoring_allowed {
        return say(
            ctx,
            "Channel monitoring is turned off for this bot by its operator (`discord.channel_monitoring` in its config; it needs Discord's Message Content intent). The bot still answers anyone who mentions it.",
        )
        .await;
    }
    // Posting the notice may take a few tries; Discord gets its answer in time meanwhile.
    ctx.defer_ephemeral().await?;
    let http = &ctx.serenity_context().http;
    let id = channel.to_string();
    if enabled {
        // Nobody is read in secret: the notice goes up first, and without it nothing changes.
        let notice = send::send_built(http, channel, 2, || {
            CreateMessage::new().content(texts::MONITORING_ON)
        })
        .await;
        if notice.is_err() {
            return say(
                ctx,
                &format!("I couldn't post the notice in <#{channel}>, so nothing changed. Check that I can send messages there."),
            )
            .await;
        }
        update(ctx, guild, |s| {
            if !s.monitored_channels.contains(&id) {
                s.monitored_channels.push(id.clone());
            }
        })
        .await?;
        return say(
            ctx,
            &format!("Monitoring is on in <#{channel}>, and a notice says so there."),
        )
        .await;
    }
    // Turning it off always works, even where the bot can no longer post.
    update(ctx, guild, |s| s.monitored_channels.retain(|c| *c != id)).await?;
    let told = send::send_built(http, channel, 2, || {
        CreateMessage::new().content(texts::MONITORING_OFF)
    })
    .await
    .is_ok();
    let text = if told {
        format!("Monitoring is off in <#{channel}>, and a notice says so there.")
    } else {
        format!("Monitoring is off in <#{channel}>. I couldn't post a notice there.")
    };
    say(ctx, &text).await
}

/// The server, if the caller may change its settings; otherwise they are told why not.
async fn admin_guild(ctx: PoiseContext<'_>) -> Result<Option<GuildId>, Error> {
    let poise::Context::Application(actx) = ctx else {
        return Ok(None);
    };
    let interaction = actx.interaction;
    let Some(guild) = interaction.guild_id else {
        say(ctx, texts::SERVER_ONLY).await?;
        return Ok(None);
    };
    // `member.permissions` is what Discord computed for the caller in this channel.
    let allowed = interaction
        .member
        .as_ref()
        .and_then(|m| m.permissions)
        .is_some_and(|p| p.contains(Permissions::MANAGE_GUILD) || p.administrator());
    if !allowed {
        tracing::info!(user = %interaction.user.id, "settings refused: no Manage Server");
        say(ctx, texts::NEEDS_MANAGE_SERVER).await?;
        return Ok(None);
    }
    Ok(Some(guild))
}

async fn update(
    ctx: PoiseContext<'_>,
    guild: GuildId,
    change: impl FnOnce(&mut GuildSettings),
) -> Result<(), Error> {
    let app = ctx.data();
    // One change at a time, so two admins' changes never overwrite each other.
    let _writing = app.settings_write.lock().await;
    let mut settings = app.guild_settings(guild);
    change(&mut settings);
    app.bot
        .store()
        .save_guild_settings(&guild.to_string(), &settings)?;
    tracing::info!(guild = guild.get(), "server settings changed");
    Ok(())
}

fn describe(app: &App, settings: &GuildSettings) -> String {
    let region = settings
        .default_region
        .clone()
        .unwrap_or_else(|| "not set (language setting, then international)".to_string());
    let alerts = settings
        .alert_channel
        .as_ref()
        .map_or("off".to_string(), |c| format!("<#{c}>"));
    let monitored = if !app.monitoring_allowed {
        "not available on this bot".to_string()
    } else if settings.monitored_channels.is_empty() {
        "none".to_string()
    } else {
        settings
            .monitored_channels
            .iter()
            .map(|c| format!("<#{c}>"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "**securebase settings for this server**\n• Crisis-contact region: {region}\n• Moderator alerts: {alerts}\n• Monitored channels: {monitored}"
    )
}

async fn say(ctx: PoiseContext<'_>, text: &str) -> Result<(), Error> {
    ctx.send(CreateReply::default().content(text).ephemeral(true))
        .await?;
    Ok(())
}
