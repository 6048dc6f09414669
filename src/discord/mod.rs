//! The Discord adapter: serenity for the connection, poise for slash commands, and the same
//! core as the terminal chat. It translates Discord events into core [`Event`]s and the core's
//! replies into messages and components; every decision about what to say stays in the core.
//!
//! - [`serve`] connects, registers commands, routes events, and shuts down gracefully.
//! - `commands`/`admin`: the slash commands; `interactions`: buttons, selects and modals;
//!   `messages`: DMs, mentions and monitored channels; `render`/`send`: replies out.
//! - [`custom_id`]: what a component means, signed, so clicks survive restarts.

mod admin;
mod commands;
pub mod custom_id;
mod daily;
mod interactions;
mod messages;
pub mod render;
mod send;
mod shutdown;
mod texts;

pub use shutdown::signal as shutdown_signal;

use std::collections::HashMap;
use std::future::Future;
use std::num::NonZeroU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow};
use serenity::all::{
    ClientBuilder, Context, CreateAllowedMentions, FullEvent, GatewayIntents, GuildId, HttpBuilder,
};

use crate::bot::{Bot, Event, EventKind, Reply};
use crate::config::DISCORD_API_URL;
use crate::store::{GuildSettings, UserId};

use custom_id::ClickKey;
use shutdown::InFlight;

/// How long shutdown waits for replies already being worked on.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// A person can ask for a moderator once per server in this window (no accidental floods).
const ALERT_COOLDOWN: Duration = Duration::from_secs(30 * 60);
/// How long the server a person came from is remembered for the DM moderator offer.
const ORIGIN_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// How to connect.
#[derive(Clone)]
pub struct DiscordOptions {
    pub token: String,
    /// Base URL of the Discord API; anything but Discord itself disables serenity's own
    /// ratelimiter (it would otherwise send requests to discord.com, ignoring the proxy).
    pub api_url: String,
    /// Register commands in this server only (instant) instead of globally.
    pub guild: Option<NonZeroU64>,
    /// Whether admins may enable channel monitoring; only then is the privileged
    /// MESSAGE_CONTENT intent requested.
    pub channel_monitoring: bool,
    /// The daily-prompt dispatcher's REST budget (requests per second).
    pub daily_requests_per_second: u32,
}

impl std::fmt::Debug for DiscordOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token never reaches a log, even through a stray `{:?}`.
        f.debug_struct("DiscordOptions")
            .field("api_url", &self.api_url)
            .field("guild", &self.guild)
            .field("channel_monitoring", &self.channel_monitoring)
            .field("daily_requests_per_second", &self.daily_requests_per_second)
            .finish_non_exhaustive()
    }
}

/// The gateway intents the bot asks for, and why each is needed:
/// - `GUILDS`: server names for the "let a moderator of <server> know" button (not privileged);
/// - `GUILD_MESSAGES`: messages that mention the bot, and monitored channels (not privileged);
/// - `DIRECT_MESSAGES`: conversations in DMs (not privileged);
/// - `MESSAGE_CONTENT` (privileged), only with `channel_monitoring`: the text of server messages
///   that do not mention the bot. Slash commands, buttons, modals and DMs never need it.
pub fn intents(channel_monitoring: bool) -> GatewayIntents {
    let mut intents =
        GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES | GatewayIntents::DIRECT_MESSAGES;
    if channel_monitoring {
        intents |= GatewayIntents::MESSAGE_CONTENT;
    }
    intents
}

/// Shared by every handler (poise's user data).
pub struct App {
    bot: Arc<Bot>,
    key: ClickKey,
    monitoring_allowed: bool,
    inflight: Arc<InFlight>,
    /// The server each person last used the bot from (memory only, never stored), so a crisis
    /// card in their DMs can offer to bring in that server's moderators.
    origins: Mutex<HashMap<u64, (GuildId, Instant)>>,
    /// When each person last asked a server's moderators to reach out.
    alerts: Mutex<HashMap<(u64, GuildId), Instant>>,
    /// Held while server settings are read, changed and written back.
    settings_write: tokio::sync::Mutex<()>,
}

type Error = anyhow::Error;
type PoiseContext<'a> = poise::Context<'a, Arc<App>, Error>;

/// Connect to Discord and serve until `shutdown` resolves; then stop reading events, let
/// replies in flight finish, and flush the store.
pub async fn serve(
    bot: Arc<Bot>,
    options: DiscordOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    commands::check_targets(bot.bundle())?;
    let mut http = HttpBuilder::new(&options.token)
        // Nothing the bot sends may ping @everyone, a role or a person by accident.
        .default_allowed_mentions(CreateAllowedMentions::new());
    if options.api_url.trim_end_matches('/') != DISCORD_API_URL {
        http = http
            .proxy(options.api_url.trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    let http = http.build();
    let me = http.get_current_user().await.map_err(|e| match send::status_of(&e) {
        Some(401) => anyhow!(
            "Discord rejected the bot token (401 Unauthorized): check DISCORD_TOKEN against the Bot page of your application in the Developer Portal"
        ),
        _ => anyhow!(e).context(format!("cannot reach the Discord API at {}", options.api_url)),
    })?;
    tracing::info!(bot_user = %me.id, "token accepted");

    let key = ClickKey::new(
        bot.store()
            .click_key()
            .context("cannot read the button key")?,
    );
    let app = Arc::new(App {
        bot: bot.clone(),
        key,
        monitoring_allowed: options.channel_monitoring,
        inflight: Arc::new(InFlight::default()),
        origins: Mutex::new(HashMap::new()),
        alerts: Mutex::new(HashMap::new()),
        settings_write: tokio::sync::Mutex::new(()),
    });
    let index_bot = bot.clone();
    let indexed =
        tokio::task::spawn_blocking(move || index_bot.store().ensure_daily_index(index_bot.now()))
            .await
            .context("the daily-prompt index check failed")?
            .context("cannot check the daily-prompt index")?;
    if let Some(count) = indexed {
        tracing::info!(count, "daily prompts: due index rebuilt");
    }
    let dispatcher = Arc::new(daily::Dispatcher {
        bot: bot.clone(),
        key: app.key.clone(),
        rest: Arc::new(
            daily::Rest::new(
                &options.api_url,
                &options.token,
                options.daily_requests_per_second,
            )
            .context("cannot set up the daily-prompt dispatcher")?,
        ),
        queue_limit: 2 * options.daily_requests_per_second.max(1) as usize,
    });
    let (stop_daily, daily_stopped) = tokio::sync::watch::channel(false);
    let daily_task = tokio::spawn(dispatcher.run(daily_stopped));
    let guild = options.guild;
    let setup_app = app.clone();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands::all(),
            event_handler: |framework, event| {
                Box::pin(on_event(framework.serenity_context, event, framework.user_data))
            },
            on_error: |error| Box::pin(commands::on_error(error)),
            // Messages are never commands: "@securebase I can't go on" is for the scanner,
            // and poise would log the text of a mention it could not parse as a command.
            prefix_options: poise::PrefixFrameworkOptions {
                mention_as_prefix: false,
                ..Default::default()
            },
            ..Default::default()
        })
        // No owner-only commands: skip the application lookup poise would make at start.
        .initialize_owners(false)
        .setup(move |ctx, _ready, framework| {
            Box::pin(async move {
                let commands = &framework.options().commands;
                let registered = match guild {
                    Some(id) => {
                        poise::builtins::register_in_guild(ctx, commands, GuildId::from(id)).await
                    }
                    None => poise::builtins::register_globally(ctx, commands).await,
                };
                match registered {
                    Ok(()) => tracing::info!(guild = ?guild, count = commands.len(), "slash commands registered"),
                    // Commands registered earlier stay in place; the bot still serves them.
                    Err(e) => tracing::error!(error = %e, "could not register slash commands"),
                }
                Ok(setup_app)
            })
        })
        .build();

    let mut client = ClientBuilder::new_with_http(http, intents(options.channel_monitoring))
        .framework(framework)
        .await
        .context("cannot build the Discord client")?;
    let shards = client.shard_manager.clone();
    let stop_on_signal = stop_daily.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: closing the gateway connection");
        let _ = stop_on_signal.send(true);
        shards.shutdown_all().await;
    });
    let result = client.start().await;
    let _ = stop_daily.send(true);
    if daily_task.await.is_err() {
        tracing::error!("the daily-prompt dispatcher failed");
    }
    let unfinished = app.inflight.wait_idle(SHUTDOWN_GRACE).await;
    if unfinished > 0 {
        tracing::warn!(unfinished, "stopped with replies still in flight");
    }
    bot.store().flush().context("cannot flush the store")?;
    tracing::info!("stopped");
    result.map_err(|e| match e {
        serenity::Error::Gateway(serenity::gateway::GatewayError::InvalidAuthentication) => {
            anyhow!("Discord's gateway rejected the bot token: check DISCORD_TOKEN")
        }
        serenity::Error::Gateway(serenity::gateway::GatewayError::DisallowedGatewayIntents) => {
            anyhow!(
                "Discord refused the MESSAGE_CONTENT intent: turn on \"Message Content Intent\" on the Bot page of the Developer Portal, or set discord.channel_monitoring = false"
            )
        }
        other => anyhow!(other).context("the Discord connection failed"),
    })
}

/// Everything poise does not handle itself: component clicks, modals, messages.
async fn on_event(ctx: &Context, event: &FullEvent, app: &Arc<App>) -> Result<(), Error> {
    let _working = app.inflight.enter();
    match event {
        FullEvent::InteractionCreate { interaction } => {
            interactions::on_interaction(ctx, app, interaction).await;
        }
        FullEvent::Message { new_message } => messages::on_message(ctx, app, new_message).await,
        FullEvent::Ready { data_about_bot } => {
            tracing::info!(
                guilds = data_about_bot.guilds.len(),
                "connected to the gateway"
            );
        }
        FullEvent::Resume { .. } => tracing::info!("gateway session resumed"),
        _ => {}
    }
    Ok(())
}

impl App {
    /// Run the core for `event` off the async threads (it may touch sled). If the core fails
    /// on free text, the text is still answered with a crisis card when it shows risk: safety
    /// wins over errors. Anything else gets a short reply that still points to help.
    async fn core(&self, event: Event) -> Vec<Reply> {
        let text = match &event.kind {
            EventKind::Text(text) => Some((text.clone(), event.server_region.clone())),
            _ => None,
        };
        let bot = self.bot.clone();
        match tokio::task::spawn_blocking(move || bot.handle(event)).await {
            Ok(replies) => replies,
            Err(e) => {
                // Only whether it panicked: a panic's message can quote what was written.
                tracing::error!(panicked = e.is_panic(), "the core failed on an event");
                let bot = self.bot.clone();
                let card = match text {
                    Some((text, region)) => tokio::task::spawn_blocking(move || {
                        bot.crisis_reply(&text, region.as_deref())
                    })
                    .await
                    .ok()
                    .flatten(),
                    None => None,
                };
                card.map(|card| vec![card]).unwrap_or_else(|| {
                    vec![Reply::with_options(
                        texts::CORE_FAILED,
                        vec![crate::action::Offer::command(
                            "Talk to someone now",
                            crate::action::Command::Resources,
                        )],
                    )]
                })
            }
        }
    }

    fn guild_settings(&self, guild: GuildId) -> GuildSettings {
        match self.bot.store().guild_settings(&guild.to_string()) {
            Ok(settings) => settings.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read server settings; using defaults");
                GuildSettings::default()
            }
        }
    }

    /// The region the server set for crisis contacts, if any.
    fn server_region(&self, guild: Option<GuildId>) -> Option<String> {
        guild.and_then(|g| self.guild_settings(g).default_region)
    }

    fn note_origin(&self, user: u64, guild: GuildId) {
        lock(&self.origins).insert(user, (guild, Instant::now()));
    }

    /// The server a person came from in the last day, if any.
    fn origin(&self, user: u64) -> Option<GuildId> {
        let mut origins = lock(&self.origins);
        origins.retain(|_, (_, at)| at.elapsed() < ORIGIN_TTL);
        origins.get(&user).map(|(guild, _)| *guild)
    }

    /// In DMs: the server whose moderators the person may ask to reach out (alerts on).
    fn alert_server(&self, ctx: &Context, user: u64) -> Option<(u64, String)> {
        let guild = self.origin(user)?;
        self.guild_settings(guild).alert_channel.as_ref()?;
        let name = ctx
            .cache
            .guild(guild)
            .map(|g| g.name.clone())
            .unwrap_or_else(|| "your server".to_string());
        Some((guild.get(), name))
    }

    /// Claim the person's one request to this server's moderators in the cooldown; false if
    /// it is taken (two quick presses send one alert). Release it if the alert fails.
    fn reserve_alert(&self, user: u64, guild: GuildId) -> bool {
        let mut alerts = lock(&self.alerts);
        alerts.retain(|_, at| at.elapsed() < ALERT_COOLDOWN);
        match alerts.entry((user, guild)) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(Instant::now());
                true
            }
        }
    }

    fn release_alert(&self, user: u64, guild: GuildId) {
        lock(&self.alerts).remove(&(user, guild));
    }
}

/// The store's id for a Discord user.
fn person(user: serenity::all::UserId) -> Option<UserId> {
    UserId::new(format!("discord:{}", user.get())).ok()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_privileged_intent_unless_monitoring() {
        let plain = intents(false);
        assert!(!plain.contains(GatewayIntents::MESSAGE_CONTENT));
        assert!(!plain.contains(GatewayIntents::GUILD_MEMBERS));
        assert!(!plain.contains(GatewayIntents::GUILD_PRESENCES));
        assert!(plain.contains(GatewayIntents::DIRECT_MESSAGES));
        assert!(intents(true).contains(GatewayIntents::MESSAGE_CONTENT));
    }
}
