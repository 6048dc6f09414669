//! A fake Discord on 127.0.0.1 for end-to-end tests: the REST routes the bot uses and a gateway
//! that speaks enough of the protocol (HELLO, IDENTIFY -> READY, heartbeats, RESUME, dispatch)
//! for the real serenity client. Every REST request is recorded so tests can read what the bot
//! sent; failures (429, 500) can be injected for a path; the gateway connection can be dropped.
//!
//! Payloads the tests dispatch are built in `payloads` and checked against serenity's own
//! model types first, since an event serenity cannot parse is dropped silently.

#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// The bot's user and application id in the fake.
pub const BOT_ID: u64 = 1000;
/// A token the fake rejects with 401.
pub const REJECTED_TOKEN: &str = "rejected-token";

/// How long a test waits for something the bot should do before failing (a liveness bound,
/// never a timing assertion).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// One REST request the bot made.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// The JSON body (for multipart, the `payload_json` part); `Null` when empty.
    pub body: Value,
    /// The raw body as text (multipart file contents can be searched here).
    pub raw: String,
    /// The status the fake answered with.
    pub status: u16,
    /// Discord's error code in the fake's answer (0 for none).
    pub reply_code: i64,
    pub at: Instant,
}

struct Failure {
    path_contains: String,
    status: u16,
    remaining: u32,
}

enum GatewayCommand {
    Dispatch(String, Value),
    Drop,
}

struct RateLimit {
    per_second: f64,
    tokens: f64,
    refilled: Instant,
}

#[derive(Default)]
struct State {
    requests: Mutex<Vec<Recorded>>,
    changed: Notify,
    failures: Mutex<Vec<Failure>>,
    gateway: Mutex<Option<mpsc::UnboundedSender<GatewayCommand>>>,
    sequence: AtomicU64,
    identifies: AtomicUsize,
    resumes: AtomicUsize,
    next_id: AtomicU64,
    closed_dms: Mutex<HashSet<u64>>,
    /// Discord's global REST limit, when a test turns it on: a bucket of `per_second`
    /// tokens refilled continuously; interaction callbacks and webhooks are exempt, as on
    /// Discord.
    rate: Mutex<Option<RateLimit>>,
    /// Requests that are carried out and then answered with an error, as when Discord made
    /// the message but the answer was lost (`lose_answers`).
    lost_answers: Mutex<Vec<Failure>>,
    /// Messages made with `enforce_nonce`, by (channel, nonce): a repeat returns the first.
    nonces: Mutex<std::collections::HashMap<(u64, String), Value>>,
    /// How many messages were made in each channel (repeats returned by nonce not counted).
    created: Mutex<std::collections::HashMap<u64, usize>>,
    /// When each interaction was dispatched, and whether it has been answered: like Discord,
    /// the fake refuses a second response, and any response after 3 s.
    interactions: Mutex<std::collections::HashMap<u64, (Instant, bool)>>,
}

/// The running fake. Dropping it stops accepting connections when the test's runtime ends.
#[derive(Clone)]
pub struct FakeDiscord {
    pub rest_url: String,
    pub gateway_url: String,
    state: Arc<State>,
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        let rest = TcpListener::bind("127.0.0.1:0").await.expect("bind REST");
        let gateway = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind gateway");
        let rest_url = format!("http://{}", rest.local_addr().unwrap());
        let gateway_url = format!("ws://{}", gateway.local_addr().unwrap());
        let state = Arc::new(State {
            next_id: AtomicU64::new(5_000_000),
            ..State::default()
        });
        let fake = FakeDiscord {
            rest_url,
            gateway_url,
            state,
        };
        let http = fake.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = rest.accept().await {
                let fake = http.clone();
                tokio::spawn(async move { fake.serve_http(stream).await });
            }
        });
        let ws = fake.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = gateway.accept().await {
                let fake = ws.clone();
                tokio::spawn(async move { fake.serve_gateway(stream).await });
            }
        });
        fake
    }

    // --- what tests do --------------------------------------------------------------------

    /// Send a gateway event (`t`, `d`) to the connected bot.
    pub fn dispatch(&self, event: &str, data: Value) {
        if event == "INTERACTION_CREATE" {
            if let Some(id) = data["id"].as_str().and_then(|id| id.parse().ok()) {
                self.expect_interaction(id);
            }
        }
        let sender = self.state.gateway.lock().unwrap().clone();
        sender
            .expect("the bot is connected to the gateway")
            .send(GatewayCommand::Dispatch(event.to_string(), data))
            .expect("gateway connection alive");
    }

    /// Hold interaction `id` to Discord's rules from now on (dispatching one does this; unit
    /// tests that call the sending code directly use it by hand).
    pub fn expect_interaction(&self, id: u64) {
        self.state
            .interactions
            .lock()
            .unwrap()
            .insert(id, (Instant::now(), false));
    }

    /// Responses the fake refused as Discord would (answered twice, too late, an edit before
    /// any response, a message over Discord's limits), as `status path: reason`.
    pub fn protocol_errors(&self) -> Vec<String> {
        self.state
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.status == 400 || r.status == 404)
            .filter(|r| [40060, 10062, 10015, 50035].contains(&r.reply_code))
            .map(|r| {
                format!(
                    "{} {} {}: code {}",
                    r.method, r.path, r.status, r.reply_code
                )
            })
            .collect()
    }

    /// Close the gateway connection abruptly, as a network fault would.
    pub fn drop_gateway(&self) {
        if let Some(sender) = self.state.gateway.lock().unwrap().take() {
            let _ = sender.send(GatewayCommand::Drop);
        }
    }

    /// Answer the next `count` requests whose path contains `path_contains` with `status`.
    pub fn fail_next(&self, path_contains: &str, status: u16, count: u32) {
        self.state.failures.lock().unwrap().push(Failure {
            path_contains: path_contains.to_string(),
            status,
            remaining: count,
        });
    }

    /// Carry out the next `count` requests whose path contains `path_contains`, then answer
    /// them with `status` anyway (the message exists; the bot is told it failed).
    pub fn lose_answers(&self, path_contains: &str, status: u16, count: u32) {
        self.state.lost_answers.lock().unwrap().push(Failure {
            path_contains: path_contains.to_string(),
            status,
            remaining: count,
        });
    }

    /// How many messages the bot made in `channel` (a resend with an enforced nonce that
    /// matched an earlier one is not a new message).
    pub fn created_in(&self, channel: u64) -> usize {
        self.state
            .created
            .lock()
            .unwrap()
            .get(&channel)
            .copied()
            .unwrap_or(0)
    }

    /// Enforce a global REST limit of `per_second` requests (burst `per_second`), answering
    /// 429 with `retry_after` beyond it, like Discord's global limit of 50.
    pub fn enforce_rate(&self, per_second: u32) {
        *self.state.rate.lock().unwrap() = Some(RateLimit {
            per_second: f64::from(per_second),
            tokens: f64::from(per_second),
            refilled: Instant::now(),
        });
    }

    /// Messages to this user's DM channel fail with 50007 (DMs closed).
    pub fn close_dms(&self, user: u64) {
        self.state.closed_dms.lock().unwrap().insert(user);
    }

    pub fn identifies(&self) -> usize {
        self.state.identifies.load(Ordering::SeqCst)
    }

    pub fn sessions(&self) -> usize {
        self.identifies() + self.state.resumes.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// A fresh snowflake-like id.
    pub fn next_id(&self) -> u64 {
        self.state.next_id.fetch_add(1, Ordering::SeqCst)
    }

    /// The DM channel the fake gives `user`.
    pub fn dm_channel(user: u64) -> u64 {
        9_000_000_000 + user
    }

    /// Wait until `ready` holds (checked whenever something changes).
    pub async fn wait_until(&self, what: &str, mut ready: impl FnMut(&FakeDiscord) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let changed = self.state.changed.notified();
            if ready(self) {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!(
                    "timed out waiting for {what}; requests so far:\n{:#?}",
                    self.requests()
                        .iter()
                        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
                        .collect::<Vec<_>>()
                );
            }
            let _ = tokio::time::timeout(left.min(Duration::from_millis(200)), changed).await;
        }
    }

    /// Wait for the first recorded request that matches.
    pub async fn wait_for(&self, what: &str, matches: impl Fn(&Recorded) -> bool) -> Recorded {
        let mut found = None;
        self.wait_until(what, |fake| {
            found = fake.find(&matches);
            found.is_some()
        })
        .await;
        found.unwrap()
    }

    /// The first recorded request that matches (without copying the others).
    pub fn find(&self, matches: impl Fn(&Recorded) -> bool) -> Option<Recorded> {
        self.state
            .requests
            .lock()
            .unwrap()
            .iter()
            .find(|r| matches(r))
            .cloned()
    }

    /// Forget the requests recorded so far (long runs such as benchmarks).
    pub fn clear(&self) {
        self.state.requests.lock().unwrap().clear();
    }

    /// The first successful response to interaction `id` (its callback).
    pub async fn response_to(&self, interaction: u64) -> Recorded {
        let prefix = format!("/api/v10/interactions/{interaction}/");
        self.wait_for(&format!("the response to interaction {interaction}"), |r| {
            r.path.starts_with(&prefix) && r.status < 300
        })
        .await
    }

    // --- REST -----------------------------------------------------------------------------

    async fn serve_http(&self, stream: TcpStream) {
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let mut parts = line.split_whitespace();
            let method = parts.next().unwrap_or_default().to_string();
            let path = parts.next().unwrap_or_default().to_string();
            let mut length = 0usize;
            let mut chunked = false;
            let mut authorization = String::new();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).await.unwrap_or(0) == 0 {
                    return;
                }
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                let (name, value) = header.split_once(':').unwrap_or((header, ""));
                let value = value.trim();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.parse().unwrap_or(0),
                    "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                    "authorization" => authorization = value.to_string(),
                    _ => {}
                }
            }
            let body = if chunked {
                read_chunked(&mut reader).await
            } else {
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).await.is_err() {
                    return;
                }
                body
            };
            // Timed on arrival, so the fake's own checks never count as the bot's latency.
            let arrived = Instant::now();
            let (mut status, mut reply) = self.route(&method, &path, &body, &authorization);
            if status < 300 {
                let mut lost = self.state.lost_answers.lock().unwrap();
                if let Some(rule) = lost
                    .iter_mut()
                    .find(|f| f.remaining > 0 && path.contains(&f.path_contains))
                {
                    rule.remaining -= 1;
                    status = rule.status;
                    reply = failure_body(status);
                }
            }
            let raw = String::from_utf8_lossy(&body).to_string();
            self.state.requests.lock().unwrap().push(Recorded {
                method,
                path: path.split('?').next().unwrap_or_default().to_string(),
                body: json_body(&raw),
                raw,
                status,
                reply_code: reply["code"].as_i64().unwrap_or(0),
                at: arrived,
            });
            self.state.changed.notify_waiters();
            let text = if status == 204 {
                String::new()
            } else {
                reply.to_string()
            };
            let mut response = format!(
                "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
                reason(status),
                text.len()
            );
            if status == 429 {
                let after = reply["retry_after"].as_f64().unwrap_or(0.2);
                response.push_str(&format!(
                    "retry-after: {after:.3}\r\nx-ratelimit-global: {}\r\n",
                    reply["global"].as_bool().unwrap_or(false)
                ));
            }
            response.push_str("\r\n");
            response.push_str(&text);
            if write.write_all(response.as_bytes()).await.is_err() {
                return;
            }
        }
    }

    fn route(&self, method: &str, path: &str, body: &[u8], authorization: &str) -> (u16, Value) {
        if authorization == format!("Bot {REJECTED_TOKEN}") {
            return (401, json!({"message": "401: Unauthorized", "code": 0}));
        }
        if let Some(status) = self.injected_failure(path) {
            return (status, failure_body(status));
        }
        let exempt = path.contains("/interactions/") || path.contains("/webhooks/");
        if !exempt {
            if let Some(wait) = self.over_rate() {
                return (
                    429,
                    json!({"message": "You are being rate limited.", "retry_after": wait, "global": true}),
                );
            }
        }
        let segments: Vec<&str> = path
            .split('?')
            .next()
            .unwrap_or_default()
            .trim_start_matches("/api/v10/")
            .split('/')
            .collect();
        let body = json_body(&String::from_utf8_lossy(body));
        if let Some(problem) = over_limits(&body) {
            return (
                400,
                json!({"message": format!("Invalid Form Body: {problem}"), "code": 50035}),
            );
        }
        if let ["webhooks", _, token, ..] = segments.as_slice() {
            if !self.answered(token) {
                return (404, json!({"message": "Unknown Webhook", "code": 10015}));
            }
        }
        match (method, segments.as_slice()) {
            ("GET", ["gateway"]) | ("GET", ["gateway", "bot"]) => (
                200,
                json!({"url": self.gateway_url, "shards": 1, "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}}),
            ),
            ("GET", ["users", "@me"]) => (200, user(BOT_ID, "securebase", true)),
            ("POST", ["users", "@me", "channels"]) => {
                let recipient: u64 = body["recipient_id"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .or_else(|| body["recipient_id"].as_u64())
                    .unwrap_or(0);
                (
                    200,
                    json!({"id": Self::dm_channel(recipient).to_string(), "type": 1, "recipients": [user(recipient, "person", false)]}),
                )
            }
            ("POST", ["channels", channel, "messages"]) => {
                let channel: u64 = channel.parse().unwrap_or(0);
                let closed = self
                    .state
                    .closed_dms
                    .lock()
                    .unwrap()
                    .iter()
                    .any(|u| Self::dm_channel(*u) == channel);
                if closed {
                    return (
                        403,
                        json!({"message": "Cannot send messages to this user", "code": 50007}),
                    );
                }
                let nonce = body["nonce"]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| body["nonce"].as_u64().map(|n| n.to_string()));
                if let (Some(nonce), true) = (&nonce, body["enforce_nonce"] == json!(true)) {
                    if let Some(existing) = self
                        .state
                        .nonces
                        .lock()
                        .unwrap()
                        .get(&(channel, nonce.clone()))
                    {
                        return (200, existing.clone());
                    }
                }
                let message = self.message(channel, &body);
                *self
                    .state
                    .created
                    .lock()
                    .unwrap()
                    .entry(channel)
                    .or_default() += 1;
                if let (Some(nonce), true) = (nonce, body["enforce_nonce"] == json!(true)) {
                    self.state
                        .nonces
                        .lock()
                        .unwrap()
                        .insert((channel, nonce), message.clone());
                }
                (200, message)
            }
            ("POST", ["interactions", id, _, "callback"]) => self.callback(id),
            ("POST", ["webhooks", _, _]) => (200, self.message(1, &body)),
            ("PATCH", ["webhooks", _, _, "messages", _]) => (200, self.message(1, &body)),
            ("PUT", ["applications", _, "commands"])
            | ("PUT", ["applications", _, "guilds", _, "commands"]) => (200, json!([])),
            _ => (404, json!({"message": "404: Not Found", "code": 0})),
        }
    }

    /// Whether the interaction behind a `token-ID` webhook token has had its first response
    /// (follow-ups and edits need one). Tokens of interactions the fake does not hold to the
    /// rules are let through.
    fn answered(&self, token: &str) -> bool {
        let id: Option<u64> = token.strip_prefix("token-").and_then(|id| id.parse().ok());
        let interactions = self.state.interactions.lock().unwrap();
        match id.and_then(|id| interactions.get(&id)) {
            Some((_, answered)) => *answered,
            None => true,
        }
    }

    /// Discord's rules for the first response: once, and within 3 s of the interaction.
    fn callback(&self, id: &str) -> (u16, Value) {
        let id: u64 = id.parse().unwrap_or(0);
        let mut interactions = self.state.interactions.lock().unwrap();
        match interactions.get_mut(&id) {
            Some((_, true)) => (
                400,
                json!({"message": "Interaction has already been acknowledged.", "code": 40060}),
            ),
            Some((at, _)) if at.elapsed() > Duration::from_secs(3) => (
                404,
                json!({"message": "Unknown interaction", "code": 10062}),
            ),
            Some((_, answered)) => {
                *answered = true;
                (204, Value::Null)
            }
            // Interactions the test did not dispatch (unit tests calling `send` directly).
            None => (204, Value::Null),
        }
    }

    /// Take a token from the global bucket; `Some(seconds until one is free)` if it is empty.
    fn over_rate(&self) -> Option<f64> {
        let mut rate = self.state.rate.lock().unwrap();
        let rate = rate.as_mut()?;
        let now = Instant::now();
        let elapsed = now.duration_since(rate.refilled).as_secs_f64();
        rate.tokens = (rate.tokens + elapsed * rate.per_second).min(rate.per_second);
        rate.refilled = now;
        if rate.tokens >= 1.0 {
            rate.tokens -= 1.0;
            None
        } else {
            Some((1.0 - rate.tokens) / rate.per_second)
        }
    }

    fn injected_failure(&self, path: &str) -> Option<u16> {
        let mut failures = self.state.failures.lock().unwrap();
        let failure = failures
            .iter_mut()
            .find(|f| f.remaining > 0 && path.contains(&f.path_contains))?;
        failure.remaining -= 1;
        Some(failure.status)
    }

    fn message(&self, channel: u64, body: &Value) -> Value {
        let mut message = payloads::message_json(
            self.next_id(),
            channel,
            None,
            BOT_ID,
            body["content"].as_str().unwrap_or_default(),
        );
        message["author"]["bot"] = json!(true);
        if body["components"].is_array() {
            message["components"] = body["components"].clone();
        }
        message
    }

    // --- gateway --------------------------------------------------------------------------

    async fn serve_gateway(&self, stream: TcpStream) {
        let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
            return;
        };
        let (mut sink, mut source) = socket.split();
        let hello = json!({"op": 10, "d": {"heartbeat_interval": 45000}});
        if sink.send(WsMessage::Text(hello.to_string())).await.is_err() {
            return;
        }
        let (commands, mut inbox) = mpsc::unbounded_channel();
        loop {
            tokio::select! {
                frame = source.next() => {
                    let Some(Ok(frame)) = frame else { return };
                    let WsMessage::Text(text) = frame else { continue };
                    let Ok(payload) = serde_json::from_str::<Value>(&text) else { continue };
                    let reply = match payload["op"].as_u64() {
                        Some(1) => Some(json!({"op": 11})),
                        Some(2) => {
                            self.state.identifies.fetch_add(1, Ordering::SeqCst);
                            // A new session counts its events from 1; a resumed one goes on.
                            self.state.sequence.store(0, Ordering::SeqCst);
                            *self.state.gateway.lock().unwrap() = Some(commands.clone());
                            Some(json!({"op": 0, "s": self.next_sequence(), "t": "READY", "d": {
                                "v": 10,
                                "user": user(BOT_ID, "securebase", true),
                                "guilds": [],
                                "session_id": "fake-session",
                                "resume_gateway_url": self.gateway_url,
                                "application": {"id": BOT_ID.to_string(), "flags": 0},
                            }}))
                        }
                        Some(6) => {
                            self.state.resumes.fetch_add(1, Ordering::SeqCst);
                            *self.state.gateway.lock().unwrap() = Some(commands.clone());
                            Some(json!({"op": 0, "s": self.next_sequence(), "t": "RESUMED", "d": {}}))
                        }
                        _ => None,
                    };
                    if let Some(reply) = reply {
                        if sink.send(WsMessage::Text(reply.to_string())).await.is_err() {
                            return;
                        }
                        self.state.changed.notify_waiters();
                    }
                }
                command = inbox.recv() => {
                    match command {
                        Some(GatewayCommand::Dispatch(event, data)) => {
                            let frame = json!({"op": 0, "s": self.next_sequence(), "t": event, "d": data});
                            if sink.send(WsMessage::Text(frame.to_string())).await.is_err() {
                                return;
                            }
                        }
                        // Dropping both halves closes the TCP connection without a close frame.
                        Some(GatewayCommand::Drop) | None => return,
                    }
                }
            }
        }
    }

    fn next_sequence(&self) -> u64 {
        self.state.sequence.fetch_add(1, Ordering::SeqCst) + 1
    }
}

async fn read_chunked(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        if reader.read_line(&mut size).await.unwrap_or(0) == 0 {
            return body;
        }
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        let mut chunk = vec![0; size + 2];
        if reader.read_exact(&mut chunk).await.is_err() {
            return body;
        }
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

/// What Discord would refuse in a message body: its limits on text and components.
fn over_limits(body: &Value) -> Option<String> {
    let data = if body["data"].is_object() {
        &body["data"]
    } else {
        body
    };
    if data["content"]
        .as_str()
        .is_some_and(|c| c.chars().count() > 2000)
    {
        return Some("content over 2000 characters".into());
    }
    let rows = data["components"].as_array().cloned().unwrap_or_default();
    if rows.len() > 5 {
        return Some(format!("{} action rows", rows.len()));
    }
    let mut ids = HashSet::new();
    for row in &rows {
        let components = row["components"].as_array().cloned().unwrap_or_default();
        if components.is_empty() || components.len() > 5 {
            return Some(format!("a row of {} components", components.len()));
        }
        for component in &components {
            if let Some(id) = component["custom_id"].as_str() {
                if id.is_empty() || id.len() > 100 {
                    return Some(format!("custom_id of {} characters", id.len()));
                }
                if !ids.insert(id.to_string()) {
                    return Some("duplicate custom_id".into());
                }
            }
            if component["label"]
                .as_str()
                .is_some_and(|l| l.chars().count() > 80)
            {
                return Some("button label over 80 characters".into());
            }
            let options = component["options"].as_array().cloned().unwrap_or_default();
            if options.len() > 25 {
                return Some(format!("{} select options", options.len()));
            }
            for option in &options {
                let too_long = |key: &str| {
                    option[key]
                        .as_str()
                        .is_some_and(|v| v.chars().count() > 100)
                };
                if too_long("label") || too_long("value") {
                    return Some("select option over 100 characters".into());
                }
            }
        }
    }
    None
}

/// The JSON of a body: plain JSON, or the `payload_json` part of a multipart body.
fn json_body(raw: &str) -> Value {
    if raw.is_empty() {
        return Value::Null;
    }
    if let Ok(value) = serde_json::from_str(raw) {
        return value;
    }
    if let Some(start) = raw.find("name=\"payload_json\"") {
        let after = &raw[start..];
        if let Some(body_start) = after.find("\r\n\r\n") {
            let part = &after[body_start + 4..];
            let end = part.find("\r\n--").unwrap_or(part.len());
            if let Ok(value) = serde_json::from_str(&part[..end]) {
                return value;
            }
        }
    }
    Value::Null
}

fn failure_body(status: u16) -> Value {
    match status {
        429 => {
            json!({"message": "You are being rate limited.", "retry_after": 0.2, "global": false})
        }
        _ => json!({"message": format!("{status}: Server Error"), "code": 0}),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Internal Server Error",
    }
}

pub fn user(id: u64, name: &str, bot: bool) -> Value {
    json!({"id": id.to_string(), "username": name, "discriminator": "0", "global_name": null, "avatar": null, "bot": bot})
}

/// Gateway payloads, each checked against serenity's model before use.
pub mod payloads {
    use serde_json::{Value, json};
    use serenity::all::{Interaction, Message};

    use super::{BOT_ID, user};

    /// Manage Server.
    pub const MANAGE_GUILD: u64 = 1 << 5;
    /// Send Messages and View Channel: an ordinary member.
    pub const MEMBER: u64 = (1 << 11) | (1 << 10);

    /// Where an interaction happens: a DM, or a server with the caller's permissions.
    #[derive(Debug, Clone, Copy)]
    pub enum Place {
        Dm,
        Server {
            guild: u64,
            channel: u64,
            permissions: u64,
        },
    }

    pub fn message_json(
        id: u64,
        channel: u64,
        guild: Option<u64>,
        author: u64,
        content: &str,
    ) -> Value {
        let mut message = json!({
            "id": id.to_string(),
            "channel_id": channel.to_string(),
            "author": user(author, "person", false),
            "content": content,
            "timestamp": "2026-12-03T10:00:00.000000+00:00",
            "edited_timestamp": null,
            "tts": false,
            "mention_everyone": false,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": false,
            "type": 0,
        });
        if let Some(guild) = guild {
            message["guild_id"] = json!(guild.to_string());
        }
        message
    }

    /// A message a person sends (a DM when `guild` is `None`); `mention_bot` adds the bot to
    /// its mentions as Discord does for `<@1000>`.
    pub fn message(
        id: u64,
        channel: u64,
        guild: Option<u64>,
        author: u64,
        content: &str,
        mention_bot: bool,
    ) -> Value {
        let mut message = message_json(id, channel, guild, author, content);
        if mention_bot {
            message["mentions"] = json!([user(BOT_ID, "securebase", true)]);
        }
        serde_json::from_value::<Message>(message.clone()).expect("serenity parses the message");
        message
    }

    fn base(id: u64, kind: u8, user_id: u64, place: Place, data: Value) -> Value {
        let mut interaction = json!({
            "id": id.to_string(),
            "application_id": BOT_ID.to_string(),
            "type": kind,
            "data": data,
            "token": format!("token-{id}"),
            "version": 1,
            "locale": "en-GB",
            "entitlements": [],
            "attachment_size_limit": 8_388_608,
        });
        match place {
            Place::Dm => {
                interaction["channel_id"] =
                    json!(super::FakeDiscord::dm_channel(user_id).to_string());
                interaction["user"] = user(user_id, "person", false);
            }
            Place::Server {
                guild,
                channel,
                permissions,
            } => {
                interaction["guild_id"] = json!(guild.to_string());
                interaction["channel_id"] = json!(channel.to_string());
                interaction["member"] = json!({
                    "user": user(user_id, "person", false),
                    "roles": [],
                    "deaf": false,
                    "mute": false,
                    "flags": 0,
                    "joined_at": "2026-01-01T00:00:00.000000+00:00",
                    "permissions": permissions.to_string(),
                });
            }
        }
        interaction
    }

    fn checked(interaction: Value) -> Value {
        serde_json::from_value::<Interaction>(interaction.clone())
            .expect("serenity parses the interaction");
        interaction
    }

    /// A slash command; `options` as Discord sends them (subcommands nest).
    pub fn slash(
        id: u64,
        name: &str,
        user_id: u64,
        place: Place,
        options: Value,
        resolved: Option<Value>,
    ) -> Value {
        let mut data = json!({"id": "77", "name": name, "type": 1, "options": options});
        if let Some(resolved) = resolved {
            data["resolved"] = resolved;
        }
        checked(base(id, 2, user_id, place, data))
    }

    /// A button click on `message`.
    pub fn click(id: u64, custom_id: &str, user_id: u64, place: Place, message: Value) -> Value {
        let mut interaction = base(
            id,
            3,
            user_id,
            place,
            json!({"custom_id": custom_id, "component_type": 2}),
        );
        interaction["message"] = message;
        checked(interaction)
    }

    /// A pick in a select menu on `message`.
    pub fn select(
        id: u64,
        custom_id: &str,
        value: &str,
        user_id: u64,
        place: Place,
        message: Value,
    ) -> Value {
        let mut interaction = base(
            id,
            3,
            user_id,
            place,
            json!({"custom_id": custom_id, "component_type": 3, "values": [value]}),
        );
        interaction["message"] = message;
        checked(interaction)
    }

    /// A submitted modal with one text input.
    pub fn modal(
        id: u64,
        custom_id: &str,
        input_id: &str,
        value: &str,
        user_id: u64,
        place: Place,
        message: Option<Value>,
    ) -> Value {
        let mut interaction = base(
            id,
            5,
            user_id,
            place,
            json!({"custom_id": custom_id, "components": [{"type": 1, "components": [{"type": 4, "custom_id": input_id, "value": value}]}]}),
        );
        if let Some(message) = message {
            interaction["message"] = message;
        }
        checked(interaction)
    }
}
