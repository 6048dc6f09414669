//! Runs the real `securebase run` binary against the fake Discord, on its own data directory,
//! and drives it as Discord would: slash commands, clicks on the components it sent, DMs.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Instant;

use serde_json::{Value, json};
use tokio::process::{Child, Command};

use super::fake_discord::payloads::{self, Place};
use super::fake_discord::{BOT_ID, FakeDiscord, PATIENCE, Recorded};

/// The ephemeral flag on a message.
pub const EPHEMERAL: u64 = 64;

pub struct Options {
    pub channel_monitoring: bool,
    pub token: String,
    /// Run this build of the binary (benchmarks pass the release one).
    pub binary: PathBuf,
    /// Content to serve instead of the shipped `dialogues/`.
    pub content_dir: Option<PathBuf>,
    /// The bot's log filter. Tests use `trace`, the most an operator could ask for, so their
    /// checks that no content is logged cover every level.
    pub log_level: String,
    /// The daily-prompt dispatcher's budget, when not the default.
    pub daily_requests_per_second: Option<u32>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            channel_monitoring: false,
            token: "test-token".to_string(),
            binary: PathBuf::from(env!("CARGO_BIN_EXE_securebase")),
            content_dir: None,
            log_level: "trace".to_string(),
            daily_requests_per_second: None,
        }
    }
}

pub struct Harness {
    pub fake: FakeDiscord,
    pub dir: tempfile::TempDir,
    child: Option<Child>,
    options: Options,
}

impl Harness {
    pub async fn start() -> Harness {
        Harness::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Harness {
        let mut harness = Harness::unstarted(options, FakeDiscord::start().await);
        harness.spawn().await;
        harness
    }

    /// A harness whose bot has not been started (to run [`Harness::command`] by hand).
    pub fn unstarted(options: Options, fake: FakeDiscord) -> Harness {
        Harness {
            fake,
            dir: tempfile::tempdir().expect("temp dir"),
            child: None,
            options,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("bot.log")
    }

    /// Everything the bot logged so far (stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The file the bot reads "now" from (absent: the real time).
    pub fn clock_path(&self) -> PathBuf {
        self.dir.path().join("clock.txt")
    }

    /// Move the bot's clock to `at` (RFC 3339); it reads the file at every use.
    pub fn set_clock(&self, at: &str) {
        std::fs::write(self.clock_path(), at).expect("write the clock");
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(|c| c.id())
    }

    fn write_config(&self) -> PathBuf {
        let content = self
            .options
            .content_dir
            .clone()
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues"));
        let config = format!(
            "[storage]\ndata_dir = {data:?}\n[content]\ndir = {content:?}\n[discord]\napi_url = {api:?}\nchannel_monitoring = {monitoring}\n[logging]\nlevel = {level:?}\n",
            data = self.data_dir(),
            content = content,
            api = self.fake.rest_url,
            monitoring = self.options.channel_monitoring,
            level = self.options.log_level,
        );
        let config = match self.options.daily_requests_per_second {
            Some(rate) => format!("{config}[daily]\nrequests_per_second = {rate}\n"),
            None => config,
        };
        let path = self.dir.path().join("config.toml");
        std::fs::write(&path, config).expect("write config");
        path
    }

    /// The command line the bot runs with (for tests of start-up errors).
    pub fn command(&self) -> Command {
        let config = self.write_config();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("log file");
        let mut command = Command::new(&self.options.binary);
        command
            .arg("run")
            .arg("--config")
            .arg(config)
            .env("DISCORD_TOKEN", &self.options.token)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("SECUREBASE_CLOCK_FILE", self.clock_path())
            .env_remove("RUST_LOG")
            .env_remove("HTTP_PROXY")
            .env_remove("HTTPS_PROXY")
            .env_remove("http_proxy")
            .env_remove("https_proxy")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .kill_on_drop(true);
        command
    }

    /// Start the bot (after [`Harness::unstarted`]) and wait for it to connect.
    pub async fn spawn(&mut self) {
        let before = self.fake.sessions();
        let registrations = self.registrations();
        self.child = Some(self.command().spawn().expect("start the bot"));
        self.fake
            .wait_until("the bot to connect and register its commands", |fake| {
                fake.sessions() > before
                    && fake
                        .requests()
                        .iter()
                        .filter(|r| r.method == "PUT" && r.path.ends_with("/commands"))
                        .count()
                        > registrations
            })
            .await;
    }

    fn registrations(&self) -> usize {
        self.fake
            .requests()
            .iter()
            .filter(|r| r.method == "PUT" && r.path.ends_with("/commands"))
            .count()
    }

    /// SIGTERM, then wait for the process to exit.
    pub async fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the bot is running");
        if let Some(pid) = child.id() {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        tokio::time::timeout(PATIENCE, child.wait())
            .await
            .expect("the bot exits after SIGTERM")
            .expect("wait for the bot")
    }

    /// Stop gracefully and start again on the same data directory.
    pub async fn restart(&mut self) {
        let status = self.stop().await;
        assert!(status.success(), "graceful stop exits 0, got {status}");
        self.spawn().await;
    }

    // --- driving it -----------------------------------------------------------------------

    /// Run a slash command and return the bot's response to it.
    pub async fn slash(&self, name: &str, user: u64, place: Place, options: Value) -> Reply {
        self.slash_resolved(name, user, place, options, None).await
    }

    pub async fn slash_resolved(
        &self,
        name: &str,
        user: u64,
        place: Place,
        options: Value,
        resolved: Option<Value>,
    ) -> Reply {
        let id = self.fake.next_id();
        let sent = Instant::now();
        self.fake.dispatch(
            "INTERACTION_CREATE",
            payloads::slash(id, name, user, place, options, resolved),
        );
        self.reply(id, place, sent).await
    }

    /// Press the component labelled `label` on `on` (a button, or an option of its select).
    pub async fn press(&self, on: &Reply, label: &str, user: u64) -> Reply {
        let id = self.fake.next_id();
        let sent = Instant::now();
        let payload = match on.component(label) {
            Some(Component::Button(custom_id)) => {
                payloads::click(id, &custom_id, user, on.place, on.as_message())
            }
            Some(Component::Option { select, value }) => {
                payloads::select(id, &select, &value, user, on.place, on.as_message())
            }
            None => panic!("no component `{label}` in {:#}", on.data),
        };
        self.fake.dispatch("INTERACTION_CREATE", payload);
        self.reply(id, on.place, sent).await
    }

    /// Submit the modal the bot opened in `modal` with `text`.
    pub async fn submit(&self, modal: &Reply, text: &str, user: u64, from: &Reply) -> Reply {
        let custom_id = modal.data["custom_id"]
            .as_str()
            .expect("a modal")
            .to_string();
        let input = modal.data["components"][0]["components"][0]["custom_id"]
            .as_str()
            .expect("a text input")
            .to_string();
        let id = self.fake.next_id();
        let sent = Instant::now();
        self.fake.dispatch(
            "INTERACTION_CREATE",
            payloads::modal(
                id,
                &custom_id,
                &input,
                text,
                user,
                from.place,
                Some(from.as_message()),
            ),
        );
        self.reply(id, from.place, sent).await
    }

    /// Send a DM as `user`; returns the messages the bot posted in that DM in answer.
    pub async fn dm(&self, user: u64, text: &str, expect: usize) -> Vec<Value> {
        let channel = FakeDiscord::dm_channel(user);
        let path = format!("/api/v10/channels/{channel}/messages");
        let before = self.posts_to(&path).len();
        let id = self.fake.next_id();
        self.fake.dispatch(
            "MESSAGE_CREATE",
            payloads::message(id, channel, None, user, text, false),
        );
        self.fake
            .wait_until("the bot's DM answer", |_| {
                self.posts_to(&path).len() >= before + expect
            })
            .await;
        self.posts_to(&path)[before..]
            .iter()
            .map(|r| r.body.clone())
            .collect()
    }

    /// The text the bot put in after deferring `reply`: an edit of it or its first follow-up.
    pub async fn followup(&self, reply: &Reply) -> String {
        let token = format!("/token-{}", reply.interaction);
        let found = self
            .fake
            .wait_for("the answer after a deferral", |r| {
                r.path.starts_with("/api/v10/webhooks/")
                    && r.path.contains(&token)
                    && r.status < 300
            })
            .await;
        found.body["content"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Successful POSTs to `path`, in order.
    pub fn posts_to(&self, path: &str) -> Vec<Recorded> {
        self.fake
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == path && r.status < 300)
            .collect()
    }

    async fn reply(&self, interaction: u64, place: Place, sent: Instant) -> Reply {
        let response = self.fake.response_to(interaction).await;
        Reply {
            interaction,
            kind: response.body["type"].as_u64().unwrap_or(0),
            data: response.body["data"].clone(),
            place,
            latency: response.at.duration_since(sent),
        }
    }
}

/// A copy of the shipped content in `to`, for tests that edit it.
pub fn copy_content(to: &Path) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("make dir");
        for entry in std::fs::read_dir(from).expect("read dir") {
            let path = entry.expect("entry").path();
            let target = to.join(path.file_name().expect("name"));
            if path.is_dir() {
                copy(&path, &target);
            } else {
                std::fs::copy(&path, &target).expect("copy");
            }
        }
    }
    copy(&Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues"), to);
}

impl Drop for Harness {
    /// Stops the bot; with `SECUREBASE_E2E_LOG=1`, prints what it logged (for debugging).
    /// Every test also checks, here, that the bot broke none of Discord's rules (answering an
    /// interaction twice or too late, an edit before a response, a message over the limits).
    fn drop(&mut self) {
        if std::env::var_os("SECUREBASE_E2E_LOG").is_some() {
            eprintln!("--- bot log ---\n{}", self.log());
        }
        let broken = self.fake.protocol_errors();
        if !broken.is_empty() && !std::thread::panicking() {
            if let Some(child) = self.child.as_mut() {
                let _ = child.start_kill();
            }
            panic!("the bot broke Discord's rules:\n{}", broken.join("\n"));
        }
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
    }
}

/// The bot's response to one interaction.
#[derive(Debug, Clone)]
pub struct Reply {
    pub interaction: u64,
    /// The callback type: 4 message, 5 deferred, 6 deferred update, 7 update, 9 modal.
    pub kind: u64,
    pub data: Value,
    pub place: Place,
    /// From dispatching the event to the callback arriving at the fake.
    pub latency: std::time::Duration,
}

pub enum Component {
    Button(String),
    Option { select: String, value: String },
}

impl Reply {
    pub fn content(&self) -> &str {
        self.data["content"].as_str().unwrap_or_default()
    }

    pub fn ephemeral(&self) -> bool {
        self.data["flags"].as_u64().unwrap_or(0) & EPHEMERAL != 0
    }

    /// Every label on the message: buttons and select options.
    pub fn labels(&self) -> Vec<String> {
        let mut labels = Vec::new();
        for row in self.data["components"].as_array().into_iter().flatten() {
            for component in row["components"].as_array().into_iter().flatten() {
                if let Some(label) = component["label"].as_str() {
                    labels.push(label.to_string());
                }
                for option in component["options"].as_array().into_iter().flatten() {
                    labels.push(option["label"].as_str().unwrap_or_default().to_string());
                }
            }
        }
        labels
    }

    pub fn component(&self, label: &str) -> Option<Component> {
        for row in self.data["components"].as_array().into_iter().flatten() {
            for component in row["components"].as_array().into_iter().flatten() {
                if component["label"].as_str() == Some(label) {
                    return Some(Component::Button(
                        component["custom_id"].as_str()?.to_string(),
                    ));
                }
                for option in component["options"].as_array().into_iter().flatten() {
                    if option["label"].as_str() == Some(label) {
                        return Some(Component::Option {
                            select: component["custom_id"].as_str()?.to_string(),
                            value: option["value"].as_str()?.to_string(),
                        });
                    }
                }
            }
        }
        None
    }

    /// The message this response shows, as Discord would send it back with a click.
    pub fn as_message(&self) -> Value {
        let (channel, guild) = match self.place {
            Place::Dm => (1, None),
            Place::Server { guild, channel, .. } => (channel, Some(guild)),
        };
        let mut message =
            payloads::message_json(self.interaction + 1, channel, guild, BOT_ID, self.content());
        message["author"]["bot"] = json!(true);
        message["components"] = self.data["components"].clone();
        if self.ephemeral() {
            message["flags"] = json!(EPHEMERAL);
        }
        message
    }
}

impl Reply {
    /// A message the bot posted (in a DM or a channel), to read or press like a response.
    pub fn posted(body: &Value, place: Place) -> Reply {
        Reply {
            interaction: 0,
            kind: 0,
            data: body.clone(),
            place,
            latency: std::time::Duration::ZERO,
        }
    }
}
