//! The `securebase` binary end to end: chat over a pipe, validate, graph, run, data tools.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn securebase(args: &[&str], cwd: &Path, stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_securebase"))
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .env_remove("DISCORD_TOKEN")
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("binary finishes")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `securebase data ACTION` for the terminal user of the store in `data/db`.
fn data_tool(action: &str, data: &tempfile::TempDir) -> Output {
    let dir = data.path().join("db");
    let output = securebase(
        &[
            "data",
            action,
            "--user",
            "terminal:local",
            "--data-dir",
            dir.to_str().unwrap(),
        ],
        &root(),
        b"",
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `securebase data export`, parsed.
fn export(data: &tempfile::TempDir) -> serde_json::Value {
    serde_json::from_slice(&data_tool("export", data).stdout).expect("export is JSON")
}

fn chat(input: &str) -> (Output, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("db");
    let output = securebase(
        &["chat", "--data-dir", dir.to_str().unwrap()],
        &root(),
        input.as_bytes(),
    );
    (output, data)
}

#[test]
fn piped_crisis_message_shows_resources() {
    let (output, _data) = chat("I want to kill myself\n");
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.contains("findahelpline.com"), "{text}");
    assert!(text.contains("automated bot"), "{text}");
}

#[test]
fn piped_idiom_gets_no_crisis_reply() {
    let (output, _data) = chat("this homework is killing me\n");
    assert!(output.status.success());
    assert!(
        !stdout(&output).contains("findahelpline"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn invalid_utf8_is_still_scanned() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("db");
    let output = securebase(
        &["chat", "--data-dir", dir.to_str().unwrap()],
        &root(),
        b"\xff\xfe i want to kill myself\n",
    );
    assert!(output.status.success());
    assert!(stdout(&output).contains("findahelpline.com"));
}

#[test]
fn quit_ends_the_chat_and_nothing_is_stored_without_consent() {
    let (output, data) = chat("1\n1\n7\nquit\n2\n");
    assert!(output.status.success());
    assert!(stdout(&output).contains("2 of 12"));
    assert!(
        !stdout(&output).contains("3 of 12"),
        "input after quit was read"
    );
    let json = export(&data);
    assert!(
        json["consent"].is_null() && json["session"].is_null(),
        "{json}"
    );
    assert_eq!(json["notes"], serde_json::json!([]), "{json}");
}

#[test]
fn consent_then_operator_export_and_erase() {
    let (output, data) = chat("1\n1\nconsent\n1\n");
    assert!(output.status.success());
    assert_eq!(export(&data)["session"]["node"], "q1");
    let erase = data_tool("erase", &data);
    assert!(stdout(&erase).contains("erased"));
    let json = export(&data);
    assert!(
        json["consent"].is_null() && json["session"].is_null(),
        "{json}"
    );
}

#[test]
fn validate_accepts_the_shipped_content() {
    let output = securebase(&["validate"], &root(), b"");
    assert!(output.status.success(), "{}", stdout(&output));
}

#[test]
fn validate_reports_a_broken_file_with_path_and_line() {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&root().join("dialogues"), copy.path());
    let grounding = copy.path().join("grounding.toml");
    let text = std::fs::read_to_string(&grounding).unwrap();
    std::fs::write(
        &grounding,
        text.replace("next = \"hear\"", "next = \"heer\""),
    )
    .unwrap();
    std::fs::write(
        copy.path().join("broken.toml"),
        "id = \"broken\"\ntitle = \"x\n",
    )
    .unwrap();
    let output = securebase(
        &["validate", "--dialogues", copy.path().to_str().unwrap()],
        &root(),
        b"",
    );
    assert!(!output.status.success());
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains("broken.toml:2:"), "{text}");
    assert!(
        lines[1].contains("grounding.toml:") && lines[1].contains("`heer`"),
        "{text}"
    );
    for line in lines {
        let mut parts = line.rsplit(".toml:").next().unwrap().splitn(3, ':');
        assert!(
            parts.next().unwrap().parse::<usize>().is_ok(),
            "line number in {line}"
        );
        assert!(
            parts.next().unwrap().parse::<usize>().is_ok(),
            "column in {line}"
        );
    }
}

#[test]
fn graph_prints_mermaid_and_dot() {
    let mermaid = securebase(&["graph", "checkin"], &root(), b"");
    assert!(mermaid.status.success());
    let text = stdout(&mermaid);
    assert!(text.starts_with("flowchart TD"));
    assert!(
        text.contains("n_result -->|\"otherwise\"| n_secure"),
        "{text}"
    );
    let dot = securebase(&["graph", "grounding", "--format", "dot"], &root(), b"");
    assert!(stdout(&dot).contains("\"same\" -> \"breathe\" [label=\"Once more\"];"));
    let unknown = securebase(&["graph", "nope"], &root(), b"");
    assert!(!unknown.status.success());
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(err.contains("known: ") && err.contains("checkin"), "{err}");
}

#[test]
fn run_without_a_token_says_where_to_put_one_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let output = securebase(&["run"], dir.path(), b"");
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("DISCORD_TOKEN"), "{err}");
    assert!(!dir.path().join("data").exists(), "no data directory made");

    let config = dir.path().join("config.toml");
    let token = dir.path().join("token");
    std::fs::write(&token, "\n").unwrap();
    std::fs::write(
        &config,
        format!("[discord]\ntoken_file = {:?}\n", token.to_str().unwrap()),
    )
    .unwrap();
    let output = securebase(&["run", "--config", config.to_str().unwrap()], &root(), b"");
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("discord.token_file") && err.contains("empty"),
        "{err}"
    );
}

#[test]
fn bad_config_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[storage]\ndata_dir = \"x\"\n[logging]\nlevle = \"info\"\n",
    )
    .unwrap();
    let output = securebase(&["run", "--config", config.to_str().unwrap()], &root(), b"");
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("config.toml:4:") && err.contains("levle"),
        "{err}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn unknown_default_region_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[safety]\ndefault_region = \"UKK\"\n").unwrap();
    let output = securebase(
        &["chat", "--config", config.to_str().unwrap()],
        &root(),
        b"",
    );
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("safety.default_region") && err.contains("UKK"),
        "{err}"
    );
}

#[test]
fn a_number_typed_at_a_free_text_step_is_the_answer_not_an_old_button() {
    // privacy -> continue -> at the input step type "1": an old "Turn saving off" must not run.
    let (output, data) = chat("consent\n1\nmenu\n2\n1\n1\n1\n1\nprivacy\ncontinue\n1\n");
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.contains("How do you feel now"), "{text}");
    let json = export(&data);
    assert!(
        json["consent"].is_object(),
        "saving must still be on: {json}"
    );
    assert_eq!(json["notes"][0]["text"], "1");
}

#[test]
fn scan_writes_one_json_object_per_line_in_order() {
    let input =
        "I want to kill myself\nthis homework is killing me\n\nmy partner beats me\n\u{ff}\u{fe}\n";
    let output = securebase(&["scan"], &root(), input.as_bytes());
    assert!(output.status.success());
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(
        lines.len(),
        5,
        "one object per input line, blank ones included"
    );
    assert_eq!(lines[0]["level"], "crisis");
    assert_eq!(lines[0]["categories"], serde_json::json!(["suicide"]));
    assert_eq!(lines[1]["level"], "none");
    assert_eq!(lines[1]["categories"], serde_json::json!([]));
    assert_eq!(lines[2]["level"], "none");
    assert_eq!(lines[3]["categories"], serde_json::json!(["abuse"]));
    let raw = securebase(&["scan"], &root(), b"\xff\xfe k1ll myself\n");
    let value: serde_json::Value = serde_json::from_slice(&raw.stdout).unwrap();
    assert_eq!(
        value["level"], "crisis",
        "invalid UTF-8 is read lossily and still scanned"
    );
}

#[test]
fn scan_eval_reports_recall_false_positives_and_misses() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set.txt");
    std::fs::write(
        &set,
        "# a tiny set\nrisk | suicide | I want to die\nrisk | suicide | the sky is a colour\nsafe | idiom | I'm dead tired\neither | x | whatever\n",
    )
    .unwrap();
    let output = securebase(&["scan", "--eval", set.to_str().unwrap()], &root(), b"");
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.contains("recall 0.500 (1/2"), "{text}");
    assert!(text.contains("false-positive rate 0.000 (0/1"), "{text}");
    assert!(
        text.contains("set.txt:3 [suicide] the sky is a colour"),
        "{text}"
    );
}

#[test]
fn the_chat_subscribes_in_its_configured_zone_and_export_shows_it() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("db");
    let config = data.path().join("config.toml");
    std::fs::write(&config, "[daily]\nterminal_zone = \"America/New_York\"\n").unwrap();
    let output = securebase(
        &[
            "chat",
            "--config",
            config.to_str().unwrap(),
            "--data-dir",
            dir.to_str().unwrap(),
        ],
        &root(),
        b"daily start 08:30\n",
    );
    let text = stdout(&output);
    assert!(text.contains("at 08:30 (America/New_York)"), "{text}");
    let exported = export(&data);
    assert_eq!(exported["daily_prompts"]["zone"], "America/New_York");
    assert_eq!(
        exported["consent"],
        serde_json::Value::Null,
        "saving stays off"
    );
}
