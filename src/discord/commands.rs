//! The slash commands people use. Each one is a core action; the reply is rendered like any
//! other (ephemeral in servers, plain in DMs), so a command and the matching button behave
//! the same.

use std::time::Instant;

use poise::CreateReply;
use serenity::all::{AutocompleteChoice, CreateAutocompleteResponse};
use tracing::Instrument;

use crate::action::{Action, Command};
use crate::bot::Event;
use crate::bundle::Bundle;
use crate::crisis::INTERNATIONAL;

use super::interactions::render_for;
use super::send::{self, First, Target};
use super::{App, Error, PoiseContext, admin, person, texts};

/// Dialogues that slash commands open directly.
const COMMAND_DIALOGUES: [(&str, &str); 4] = [
    ("checkin", "checkin"),
    ("selfcare", "selfcare"),
    ("partner", "partners"),
    ("therapy", "therapy"),
];

pub fn all() -> Vec<poise::Command<std::sync::Arc<App>, Error>> {
    vec![
        start(),
        checkin(),
        selfcare(),
        partner(),
        therapy(),
        resources(),
        region(),
        privacy(),
        mydata(),
        forget(),
        help(),
        daily(),
        admin::settings(),
    ]
}

/// The bot refuses to start when a command would open a dialogue the content lacks.
pub fn check_targets(bundle: &Bundle) -> anyhow::Result<()> {
    for (command, dialogue) in COMMAND_DIALOGUES {
        if bundle.library.get(dialogue).is_none() {
            anyhow::bail!(
                "the /{command} command opens the dialogue `{dialogue}`, which is not in the content"
            );
        }
    }
    Ok(())
}

fn dialogue_for(command: &str) -> Action {
    let dialogue = COMMAND_DIALOGUES
        .iter()
        .find(|(c, _)| *c == command)
        .map_or(command, |(_, d)| d);
    Action::Start {
        dialogue: dialogue.to_string(),
    }
}

/// Open the main menu: check-in, self-care, partners, therapy, support.
#[poise::command(slash_command)]
async fn start(ctx: PoiseContext<'_>) -> Result<(), Error> {
    run(ctx, Action::Command(Command::Menu)).await
}

/// A short attachment check-in to reflect on how you relate (not a diagnosis).
#[poise::command(slash_command)]
async fn checkin(ctx: PoiseContext<'_>) -> Result<(), Error> {
    run(ctx, dialogue_for("checkin")).await
}

/// Guided self-care exercises: grounding, self-compassion, boundaries and more.
#[poise::command(slash_command)]
async fn selfcare(ctx: PoiseContext<'_>) -> Result<(), Error> {
    run(ctx, dialogue_for("selfcare")).await
}

/// Guides for supporting a partner, and yourself, in a relationship.
#[poise::command(slash_command)]
async fn partner(ctx: PoiseContext<'_>) -> Result<(), Error> {
    run(ctx, dialogue_for("partner")).await
}

/// Types of therapy, and how to find a therapist.
#[poise::command(slash_command)]
async fn therapy(ctx: PoiseContext<'_>) -> Result<(), Error> {
    run(ctx, dialogue_for("therapy")).await
}

/// People you can talk to right now: crisis lines for your region.
#[poise::command(slash_command)]
async fn resources(ctx: PoiseContext<'_>) -> Result<(), Error> {
    run(ctx, Action::Command(Command::Resources)).await
}

/// Choose the region whose crisis lines I show you.
#[poise::command(slash_command)]
async fn region(
    ctx: PoiseContext<'_>,
    #[description = "A region code such as UK, US or INTL; leave empty to pick from a list"]
    #[autocomplete = "autocomplete_region"]
    #[max_length = 8]
    code: Option<String>,
) -> Result<(), Error> {
    let action = match code {
        Some(code) => Action::SetRegion {
            code: code.trim().to_ascii_uppercase(),
        },
        None => Action::Command(Command::Region),
    };
    run(ctx, action).await
}

/// What I store about you, and how to turn saving on or off.
#[poise::command(slash_command)]
async fn privacy(ctx: PoiseContext<'_>) -> Result<(), Error> {
    run(ctx, Action::Command(Command::Privacy)).await
}

/// Everything I have stored about you, as a JSON file only you can see.
#[poise::command(slash_command)]
async fn mydata(ctx: PoiseContext<'_>) -> Result<(), Error> {
    run(ctx, Action::Command(Command::Export)).await
}

/// Erase everything I have stored about you (asks first).
#[poise::command(slash_command)]
async fn forget(ctx: PoiseContext<'_>) -> Result<(), Error> {
    run(ctx, Action::Command(Command::Forget)).await
}

/// What I can do, what I am not, and how to get help now.
#[poise::command(slash_command)]
async fn help(ctx: PoiseContext<'_>) -> Result<(), Error> {
    run(ctx, Action::Command(Command::Help)).await
}

/// One short self-compassion prompt a day by DM, at a time you choose.
#[poise::command(
    slash_command,
    subcommands(
        "daily_start",
        "daily_pause",
        "daily_resume",
        "daily_stop",
        "daily_status"
    ),
    subcommand_required
)]
async fn daily(_ctx: PoiseContext<'_>) -> Result<(), Error> {
    Ok(())
}

/// Get a daily prompt by DM. This stores your time and zone until /daily stop.
#[poise::command(slash_command, rename = "start")]
async fn daily_start(
    ctx: PoiseContext<'_>,
    #[description = "Your time zone, such as Europe/London: start typing your city"]
    #[autocomplete = "autocomplete_zone"]
    #[max_length = 40]
    zone: String,
    #[description = "HH:MM (24-hour), or a window such as 09:00-12:00 for a surprise time"]
    #[autocomplete = "autocomplete_time"]
    #[max_length = 11]
    time: Option<String>,
) -> Result<(), Error> {
    let action = Action::DailyStart {
        zone,
        time: time.unwrap_or_default(),
    };
    run(ctx, action).await
}

/// Skip the next few daily prompts.
#[poise::command(slash_command, rename = "pause")]
async fn daily_pause(
    ctx: PoiseContext<'_>,
    #[description = "How many days of prompts to skip (default 7)"]
    #[min = 1]
    #[max = 365]
    days: Option<u16>,
) -> Result<(), Error> {
    let days = days.unwrap_or(crate::bot::PAUSE_A_WEEK);
    run(ctx, Action::Command(Command::DailyPause { days })).await
}

/// Daily prompts again after a pause.
#[poise::command(slash_command, rename = "resume")]
async fn daily_resume(ctx: PoiseContext<'_>) -> Result<(), Error> {
    run(ctx, Action::Command(Command::DailyResume)).await
}

/// Stop daily prompts and delete what was kept for them.
#[poise::command(slash_command, rename = "stop")]
async fn daily_stop(ctx: PoiseContext<'_>) -> Result<(), Error> {
    run(ctx, Action::Command(Command::DailyStop)).await
}

/// Your daily prompt time, zone and the next one due.
#[poise::command(slash_command, rename = "status")]
async fn daily_status(ctx: PoiseContext<'_>) -> Result<(), Error> {
    run(ctx, Action::Command(Command::Daily)).await
}

/// Zones people pick most, offered before anything is typed.
const COMMON_ZONES: [&str; 20] = [
    "Europe/London",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "Africa/Johannesburg",
    "Africa/Lagos",
    "UTC",
];

/// IANA zones matching what was typed ("london", "new york", "tokyo"), cities that start with
/// it first, at most 25.
pub(super) fn zone_suggestions(partial: &str) -> Vec<&'static str> {
    let wanted = partial.trim().to_lowercase().replace(' ', "_");
    if wanted.is_empty() {
        return COMMON_ZONES.to_vec();
    }
    let mut matches: Vec<(u8, &'static str)> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| tz.name())
        .filter_map(|name| {
            let lower = name.to_lowercase();
            let city = lower.rsplit('/').next().unwrap_or(&lower);
            let rank = if city.starts_with(&wanted) || lower.starts_with(&wanted) {
                0
            } else if lower.contains(&wanted) {
                1
            } else {
                return None;
            };
            // Region/City names before legacy aliases such as US/Eastern or GB.
            let alias = !name.contains('/') || name.starts_with("US/") || name.starts_with("Etc/");
            Some((rank * 2 + u8::from(alias), name))
        })
        .collect();
    matches.sort();
    matches.into_iter().take(25).map(|(_, name)| name).collect()
}

async fn autocomplete_zone(_ctx: PoiseContext<'_>, partial: &str) -> CreateAutocompleteResponse {
    let choices = zone_suggestions(partial)
        .into_iter()
        .map(|name| AutocompleteChoice::new(name.replace('_', " "), name))
        .collect();
    CreateAutocompleteResponse::new().set_choices(choices)
}

/// Times to offer: what was typed, if it reads as one, then a few common choices.
async fn autocomplete_time(_ctx: PoiseContext<'_>, partial: &str) -> CreateAutocompleteResponse {
    let mut choices = Vec::new();
    let typed = partial.trim();
    if let Ok(time) = typed.parse::<crate::daily::DailyTime>() {
        choices.push(AutocompleteChoice::new(time.to_string(), time.to_string()));
    }
    for (name, value) in [
        ("Surprise me, 09:00-12:00", "09:00-12:00"),
        ("Surprise me, 12:00-17:00", "12:00-17:00"),
        ("Surprise me, 18:00-21:00", "18:00-21:00"),
        ("08:00", "08:00"),
        ("12:30", "12:30"),
        ("20:00", "20:00"),
    ] {
        let typed = typed.to_lowercase();
        let already = choices.len() == 1 && typed == value;
        if !already && (value.starts_with(&typed) || name.to_lowercase().contains(&typed)) {
            choices.push(AutocompleteChoice::new(name, value));
        }
    }
    CreateAutocompleteResponse::new().set_choices(choices)
}

/// Region codes and names matching what was typed, for `/region` and `/settings region`.
pub(super) async fn autocomplete_region(
    ctx: PoiseContext<'_>,
    partial: &str,
) -> CreateAutocompleteResponse {
    let partial = partial.trim().to_lowercase();
    let choices = ctx
        .data()
        .bot
        .bundle()
        .resources
        .regions()
        .filter(|r| {
            partial.is_empty()
                || r.code.to_lowercase().starts_with(&partial)
                || r.name.to_lowercase().contains(&partial)
        })
        .take(25)
        .map(|r| {
            let name = if r.code == INTERNATIONAL {
                "Somewhere else (international)".to_string()
            } else {
                r.name.clone()
            };
            AutocompleteChoice::new(format!("{name} ({})", r.code), r.code.clone())
        })
        .collect();
    CreateAutocompleteResponse::new().set_choices(choices)
}

/// Hand `action` to the core and answer the command with what it says.
async fn run(ctx: PoiseContext<'_>, action: Action) -> Result<(), Error> {
    let poise::Context::Application(actx) = ctx else {
        return Ok(());
    };
    let interaction = actx.interaction;
    let app = ctx.data();
    // poise runs commands before the event handler, so commands count themselves as work in
    // flight for a graceful shutdown.
    let _working = app.inflight.enter();
    let serenity_ctx = ctx.serenity_context();
    let user = interaction.user.id;
    let started = Instant::now();
    let span = tracing::info_span!("command", name = %ctx.command().qualified_name, interaction = %interaction.id, user = %user, guild = ?interaction.guild_id.map(|g| g.get()));
    async {
        let Some(id) = person(user) else { return };
        if let Some(guild) = interaction.guild_id {
            app.note_origin(user.get(), guild);
        }
        let in_server = interaction.guild_id.is_some();
        let event = Event::action(&id, action)
            .with_locale(Some(interaction.locale.clone()))
            .with_server_region(app.server_region(interaction.guild_id.or(app.origin(user.get()))));
        let target = Target::arrived(
            interaction.id,
            &interaction.token,
            interaction.guild_id,
            interaction.channel_id,
        );
        let work = async {
            let replies = app.core(event).await;
            (
                First::New,
                render_for(serenity_ctx, app, &replies, user.get(), in_server),
            )
        };
        send::answer_in_time(&serenity_ctx.http, &target, First::New, work).await;
        tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "handled");
    }
    .instrument(span)
    .await;
    Ok(())
}

/// Errors never reach the person as a stack of details: a short private note that still
/// points to help, and a log line naming the kind of error. poise's own handler is not used:
/// it logs the text of messages and options it could not parse.
pub async fn on_error(error: poise::FrameworkError<'_, std::sync::Arc<App>, Error>) {
    use poise::FrameworkError as E;
    let (kind, note) = match &error {
        E::Command { error, ctx, .. } => {
            tracing::error!(command = %ctx.command().qualified_name, error = %error, "command failed");
            ("command", texts::CORE_FAILED)
        }
        E::GuildOnly { .. } => ("guild_only", texts::SERVER_ONLY),
        E::ArgumentParse { .. } | E::CommandStructureMismatch { .. } => {
            ("arguments", texts::ARGUMENTS_UNREADABLE)
        }
        E::CommandPanic { .. } => ("panic", texts::CORE_FAILED),
        E::Setup { .. } => ("setup", texts::CORE_FAILED),
        E::EventHandler { .. } => ("event_handler", texts::CORE_FAILED),
        E::UnknownInteraction { .. } => ("unknown_interaction", texts::CORE_FAILED),
        _ => ("other", texts::CORE_FAILED),
    };
    tracing::warn!(kind, "a command could not run");
    if let Some(ctx) = error.ctx() {
        let reply = CreateReply::default().content(note).ephemeral(true);
        if let Err(e) = ctx.send(reply).await {
            tracing::warn!(status = ?send::status_of(&e), "could not report a failed command");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_fits_discords_limits() {
        fn check(command: &poise::Command<std::sync::Arc<App>, Error>) {
            assert!((1..=32).contains(&command.name.len()), "{}", command.name);
            let description = command.description.as_deref().unwrap_or_default();
            assert!(
                (1..=100).contains(&description.chars().count()),
                "/{}: {description}",
                command.name
            );
            assert!(command.parameters.len() <= 25);
            for parameter in &command.parameters {
                let text = parameter.description.as_deref().unwrap_or_default();
                assert!((1..=100).contains(&text.chars().count()), "{text}");
            }
            command.subcommands.iter().for_each(check);
        }
        let commands = all();
        assert!(commands.len() <= 100);
        commands.iter().for_each(check);
    }

    #[test]
    fn zone_suggestions_find_cities_and_stay_within_25() {
        assert_eq!(zone_suggestions("london")[0], "Europe/London");
        assert_eq!(zone_suggestions("new york")[0], "America/New_York");
        assert!(zone_suggestions("").contains(&"Europe/London"));
        assert!(zone_suggestions("a").len() <= 25);
        assert!(zone_suggestions("zzzz").is_empty());
        for name in zone_suggestions("") {
            assert!(crate::daily::parse_zone(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn the_shipped_content_has_every_dialogue_a_command_opens() {
        let bundle =
            Bundle::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues"))
                .expect("content");
        check_targets(&bundle).expect("targets");
    }
}
