//! The command line: `chat`, `validate`, `scan`, `graph`, `run` (Discord), `data export|erase`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use crate::bot::{Bot, BotOptions};
use crate::bundle::Bundle;
use crate::chat::{self, TERMINAL_USER, TerminalChat};
use crate::config::Config;
use crate::content::graph::{self, GraphFormat};
use crate::discord::{self, DiscordOptions};
use crate::risk::{Scanner, eval};
use crate::store::{Store, UserId};
use crate::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "securebase",
    version,
    about = "A secure base for working on attachment difficulties: a Discord bot and its terminal chat."
)]
pub struct Cli {
    #[command(subcommand)]
    command: CliCommand,
}

#[derive(Debug, Subcommand)]
enum CliCommand {
    /// Chat with the bot in this terminal (no Discord token needed).
    Chat {
        /// Where saved progress lives (only written after you agree to saving).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Check every content file; prints `path:line:col: message` per problem.
    Validate {
        /// The content folder (default: ./dialogues).
        #[arg(long)]
        dialogues: Option<PathBuf>,
    },
    /// Scan lines from stdin for risk; one JSON object per line. With --eval, measure a
    /// labelled set instead.
    Scan {
        /// A labelled file (`LABEL | CATEGORY | TEXT` lines) to measure recall and false positives on.
        #[arg(long)]
        eval: Option<PathBuf>,
        #[arg(long)]
        dialogues: Option<PathBuf>,
    },
    /// Print a dialogue as a graph, for authors.
    Graph {
        dialogue_id: String,
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
        #[arg(long)]
        dialogues: Option<PathBuf>,
    },
    /// Run the Discord bot (token from DISCORD_TOKEN).
    Run {
        #[arg(long)]
        config: Option<PathBuf>,
        /// Register slash commands in this one server (they appear at once), instead of
        /// globally; overrides `discord.guild_id`.
        #[arg(long)]
        guild: Option<std::num::NonZeroU64>,
        /// Where data lives; overrides `storage.data_dir`.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Operator tools over the store.
    Data {
        #[command(subcommand)]
        action: DataAction,
    },
}

#[derive(Debug, Subcommand)]
enum DataAction {
    /// Print everything stored about a person as JSON.
    Export {
        /// The person's id as stored, e.g. `discord:1234` or `terminal:local`.
        #[arg(long)]
        user: String,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Erase every key of a person from the store.
    Erase {
        #[arg(long)]
        user: String,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        CliCommand::Chat { data_dir, config } => {
            let config = Config::load(config.as_deref())?;
            // The chat's own output is the terminal; keep logs to warnings on stderr.
            telemetry::init("warn", config.logging.format);
            let bundle = load_for(&config)?;
            let data_dir = data_dir.unwrap_or(config.storage.data_dir.clone());
            let store = open_store(&data_dir)?;
            if let Err(e) = store.ensure_daily_index(chrono::Utc::now()) {
                tracing::warn!(error = %e, "cannot check the daily-prompt index");
            }
            let options = BotOptions {
                default_zone: Some(terminal_zone(&config)),
                ..bot_options(&config)
            };
            let bot = Bot::new(bundle, store, options);
            let user = UserId::new(TERMINAL_USER)?;
            let locale = std::env::var("LANG")
                .ok()
                .and_then(|l| chat::locale_from_lang(&l));
            chat::run(TerminalChat::new(bot, user).with_locale(locale))?;
            Ok(ExitCode::SUCCESS)
        }
        CliCommand::Validate { dialogues } => {
            let dir = dialogues.unwrap_or_else(|| Config::default().content.dir);
            match Bundle::load(&dir) {
                Ok(bundle) => {
                    let count = bundle.library.dialogues().count();
                    println!(
                        "{}: {count} dialogues, risk lexicon and resources are valid",
                        dir.display()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(problems) => {
                    for problem in &problems {
                        println!("{problem}");
                    }
                    eprintln!("{} problem(s) found", problems.len());
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        CliCommand::Scan { eval, dialogues } => {
            let dir = dialogues.unwrap_or_else(|| Config::default().content.dir);
            let scanner = load_bundle(&dir)?.scanner;
            match eval {
                Some(path) => scan_eval(&scanner, &path),
                None => scan_stdin(&scanner),
            }
        }
        CliCommand::Graph {
            dialogue_id,
            format,
            dialogues,
        } => {
            let dir = dialogues.unwrap_or_else(|| Config::default().content.dir);
            let bundle = load_bundle(&dir)?;
            let Some(dialogue) = bundle.library.get(&dialogue_id) else {
                let known: Vec<_> = bundle.library.dialogues().map(|d| d.id.as_str()).collect();
                bail!("no dialogue `{dialogue_id}`; known: {}", known.join(", "));
            };
            print!("{}", graph::render(dialogue, format));
            Ok(ExitCode::SUCCESS)
        }
        CliCommand::Run {
            config,
            guild,
            data_dir,
        } => {
            let config = Config::load(config.as_deref())?;
            telemetry::init(&config.logging.level, config.logging.format);
            telemetry::quiet_panics();
            let token = config.discord.token().map_err(anyhow::Error::msg)?;
            let bundle = load_for(&config)?;
            tracing::info!(
                dialogues = bundle.library.dialogues().count(),
                "content loaded"
            );
            let data_dir = data_dir.unwrap_or(config.storage.data_dir.clone());
            let store = open_store(&data_dir)?;
            let mut bot = Bot::new(bundle, store, bot_options(&config));
            if let Some(path) = std::env::var_os(CLOCK_FILE_ENV) {
                let path = PathBuf::from(path);
                tracing::warn!(path = %path.display(), "the clock is read from a file: for tests only");
                bot = bot.with_clock(move || clock_from_file(&path));
            }
            let bot = Arc::new(bot);
            let options = DiscordOptions {
                token,
                api_url: config.discord.api_url.clone(),
                guild: guild.or(config.discord.guild_id),
                channel_monitoring: config.discord.channel_monitoring,
                daily_requests_per_second: config.daily.requests_per_second,
            };
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            runtime.block_on(discord::serve(bot, options, discord::shutdown_signal()))?;
            Ok(ExitCode::SUCCESS)
        }
        CliCommand::Data { action } => {
            let (user, data_dir, config, erase) = match action {
                DataAction::Export {
                    user,
                    data_dir,
                    config,
                } => (user, data_dir, config, false),
                DataAction::Erase {
                    user,
                    data_dir,
                    config,
                } => (user, data_dir, config, true),
            };
            let config = Config::load(config.as_deref())?;
            let data_dir = data_dir.unwrap_or(config.storage.data_dir);
            let store = open_store(&data_dir)?;
            let user = UserId::new(user)?;
            if erase {
                let removed = store.erase(&user)?;
                println!("erased {removed} record(s) of {user}");
            } else {
                println!("{}", serde_json::to_string_pretty(&store.export(&user)?)?);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// For end-to-end tests only: a file holding an RFC 3339 instant that the bot takes as "now"
/// (read at every use, so a test moves time by rewriting it).
pub const CLOCK_FILE_ENV: &str = "SECUREBASE_CLOCK_FILE";

fn clock_from_file(path: &Path) -> chrono::DateTime<chrono::Utc> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| chrono::DateTime::parse_from_rfc3339(text.trim()).ok())
        .map_or_else(chrono::Utc::now, |at| at.with_timezone(&chrono::Utc))
}

fn bot_options(config: &Config) -> BotOptions {
    BotOptions {
        default_region: config.safety.default_region.clone(),
        default_zone: None,
        daily_grace: chrono::Duration::minutes(i64::from(config.daily.grace_minutes)),
    }
}

/// The terminal's time zone: the config's, else `TZ`, else the system's `/etc/localtime`
/// link, else `/etc/timezone`, else UTC.
fn terminal_zone(config: &Config) -> chrono_tz::Tz {
    // `/usr/share/zoneinfo/Europe/London`, or `.../zoneinfo/posix/Europe/London`.
    let from_link = || {
        let target = std::fs::read_link("/etc/localtime").ok()?;
        let path = target.to_string_lossy().into_owned();
        let name = path.split("zoneinfo/").nth(1)?;
        Some(name.trim_start_matches("posix/").to_string())
    };
    let from_env = || {
        std::env::var("TZ")
            .ok()
            .map(|tz| tz.trim_start_matches(':').to_string())
    };
    let from_file = || std::fs::read_to_string("/etc/timezone").ok();
    first_known_zone([
        config.daily.terminal_zone.clone(),
        from_env(),
        from_link(),
        from_file(),
    ])
}

/// The first of `names` that is a zone chrono-tz knows (a bad `TZ` does not hide the system's
/// own zone), else UTC.
fn first_known_zone<const N: usize>(names: [Option<String>; N]) -> chrono_tz::Tz {
    names
        .into_iter()
        .flatten()
        .find_map(|name| crate::daily::parse_zone(&name).ok())
        .unwrap_or(chrono_tz::Tz::UTC)
}

/// One JSON object per input line, in order: `{"level": ..., "categories": [...]}`.
fn scan_stdin(scanner: &Scanner) -> Result<ExitCode> {
    use std::io::{BufRead, Write};
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        if input.read_until(b'\n', &mut buffer)? == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&buffer);
        let line = line.trim_end_matches(['\n', '\r']);
        serde_json::to_writer(&mut out, &scanner.scan(line))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Recall and false-positive rate on a labelled set, then every miss and false alarm.
fn scan_eval(scanner: &Scanner, path: &Path) -> Result<ExitCode> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let lines = eval::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let report = eval::evaluate(scanner, &lines);
    println!(
        "recall {:.3} ({}/{} risk lines flagged; {} with another category)",
        report.recall(),
        report.caught,
        report.risk_lines,
        report.wrong_category
    );
    println!(
        "false-positive rate {:.3} ({}/{} safe lines flagged)",
        report.false_positive_rate(),
        report.false_positives,
        report.safe_lines
    );
    for (line, category, text) in &report.misses {
        println!("miss  {}:{line} [{category}] {text}", path.display());
    }
    for (line, level, text) in &report.false_alarms {
        println!("false alarm  {}:{line} [{level:?}] {text}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Load the content and check the config's references into it (the default region).
fn load_for(config: &Config) -> Result<Bundle> {
    let bundle = load_bundle(&config.content.dir)?;
    if let Some(region) = &config.safety.default_region {
        if !bundle.resources.knows(region) {
            let known: Vec<&str> = bundle
                .resources
                .regions()
                .map(|r| r.code.as_str())
                .collect();
            bail!(
                "safety.default_region: `{region}` is not a region in the crisis resources (known: {})",
                known.join(", ")
            );
        }
    }
    Ok(bundle)
}

fn load_bundle(dir: &Path) -> Result<Bundle> {
    Bundle::load(dir).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "the content in {} has {} problem(s); run `securebase validate` for the list:\n{}",
            dir.display(),
            problems.len(),
            lines.join("\n")
        )
    })
}

fn open_store(dir: &Path) -> Result<Store> {
    Store::open(dir).with_context(|| format!("cannot open the data store in {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_terminal_zone_is_the_first_source_that_names_a_real_zone() {
        let some = |s: &str| Some(s.to_string());
        assert_eq!(
            first_known_zone([None, some("Not/AZone"), some("Europe/London\n")]),
            chrono_tz::Europe::London
        );
        assert_eq!(
            first_known_zone([some("Asia/Tokyo"), some("Europe/London")]),
            chrono_tz::Asia::Tokyo
        );
        assert_eq!(first_known_zone([None, some("")]), chrono_tz::Tz::UTC);
    }
}
