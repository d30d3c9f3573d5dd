//! The real `lethe` binary: start-up, configuration errors, the printed root secret, the key
//! file, JSON logs, graceful shutdown. Each test starts its own process on port 0 over its own
//! database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set).

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail the test on error")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use db::testing::TestDb;

struct Server {
    child: Child,
    base: String,
    /// Everything printed before the server said it was listening.
    banner: Vec<String>,
    lines: mpsc::Receiver<String>,
}

fn lethe(env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lethe"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("LETHE__")) {
        command.env_remove(key);
    }
    command.env("LETHE__SERVER__BIND", "127.0.0.1:0").env("RUST_LOG", "info");
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

impl Server {
    fn start(env: &[(&str, &str)]) -> Server {
        let mut child = lethe(env).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start lethe");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut banner = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let line = lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("lethe did not start; printed: {banner:#?}; {}", stderr_of(&mut child)));
            if let Some(rest) = line.split("listening on ").nth(1) {
                let base = rest.split_whitespace().next().unwrap().to_owned();
                banner.push(line);
                return Server { child, base, banner, lines };
            }
            banner.push(line);
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn banner_value(&self, label: &str) -> Option<String> {
        self.banner.iter().find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_owned()))
    }

    /// Sends SIGTERM and waits for the process to end.
    fn terminate(mut self) -> (ExitStatus, Vec<String>) {
        let status = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().unwrap();
        assert!(status.success());
        let status = wait_with_timeout(&mut self.child, Duration::from_secs(20));
        let rest = self.lines.try_iter().collect();
        (status, rest)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stderr_of(child: &mut Child) -> String {
    let _ = child.kill();
    let mut text = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut err, &mut text);
    }
    text
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "process did not exit in time");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn token(client: &reqwest::blocking::Client, server: &Server, id: &str, secret: &str) -> reqwest::blocking::Response {
    client
        .post(server.url("/api/v1/oauth/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)])
        .send()
        .unwrap()
}

#[test]
fn first_start_prints_the_root_secret_once_and_a_restart_keeps_keys_and_tokens() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let env = [("LETHE__DATABASE__URL", db.url()), ("LETHE__SERVER__DATA_DIR", data_dir)];
    let client = reqwest::blocking::Client::new();

    let first = Server::start(&env);
    let secret = first.banner_value("client_secret:").expect("the generated secret is printed");
    assert_eq!(secret.len(), 32);
    assert!(first.banner.iter().any(|l| l.contains("/api/v1/oauth/token")), "prints how to get a token");
    let reply = token(&client, &first, "lethe_root", &secret);
    assert_eq!(reply.status(), 200);
    let access: serde_json::Value = reply.json().unwrap();
    let access = access["access_token"].as_str().unwrap().to_owned();
    let patterns =
        client.get(first.url("/api/v1/privacy-request-redaction-patterns")).bearer_auth(&access).send().unwrap();
    assert_eq!(patterns.status(), 200);
    assert_eq!(patterns.json::<serde_json::Value>().unwrap(), serde_json::json!({"patterns": []}));
    let (status, _) = first.terminate();
    assert!(status.success(), "SIGTERM ends the server cleanly: {status:?}");

    let key_file = dir.path().join("app_encryption.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key_file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "the generated key is private");
    assert_eq!(std::fs::read_to_string(&key_file).unwrap().len(), 32);

    let second = Server::start(&env);
    assert!(second.banner_value("client_secret:").is_none(), "the secret is printed only once");
    assert!(!second.banner.iter().any(|l| l.contains(&secret)));
    assert_eq!(token(&client, &second, "lethe_root", &secret).status(), 200);
    let still_valid =
        client.get(second.url("/api/v1/privacy-request-redaction-patterns")).bearer_auth(&access).send().unwrap();
    assert_eq!(still_valid.status(), 200, "the key survived the restart, so tokens did too");
}

#[test]
fn unknown_configuration_keys_stop_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let output = lethe(&[("LETHE__SERVER__DATA_DIR", dir.path().to_str().unwrap()), ("LETHE__SERVER__BINDX", "1")])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("server.bindx"), "{stderr}");
}

#[test]
fn a_config_file_is_read_and_the_environment_overrides_it() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lethe.toml");
    std::fs::write(&file, "[security]\nroot_client_id = \"from_file\"\nroot_client_secret = \"file-secret\"\n")
        .unwrap();
    let mut command = lethe(&[
        ("LETHE__DATABASE__URL", db.url()),
        ("LETHE__SERVER__DATA_DIR", dir.path().to_str().unwrap()),
        ("LETHE__SECURITY__ROOT_CLIENT_SECRET", "env-secret"),
    ]);
    command.arg("--config").arg(&file);
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut base = None;
    for line in stdout.lines().map_while(Result::ok) {
        if let Some(rest) = line.split("listening on ").nth(1) {
            base = Some(rest.split_whitespace().next().unwrap().to_owned());
            break;
        }
    }
    let base = base.expect("started");
    let client = reqwest::blocking::Client::new();
    let ok = client
        .post(format!("{base}/api/v1/oauth/token"))
        .form(&[("client_id", "from_file"), ("client_secret", "env-secret")])
        .send()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(ok.status(), 200);
}

#[test]
fn an_unreachable_database_stops_start_up_with_the_driver_error() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let output = lethe(&[
        ("LETHE__SERVER__DATA_DIR", dir.path().to_str().unwrap()),
        ("LETHE__DATABASE__URL", "postgres://postgres@127.0.0.1:1/nothing"),
    ])
    .output()
    .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Connection refused"), "the driver's own reason: {stderr}");
    assert!(started.elapsed() < Duration::from_secs(10), "no pool time-out");
}

#[test]
fn migrate_applies_migrations_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("m.db").display());
    let first = lethe(&[("LETHE__DATABASE__URL", &url)]).arg("migrate").output().unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let migrations =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations/sqlite")).unwrap().count();
    assert!(String::from_utf8_lossy(&first.stdout).starts_with(&format!("applied {migrations} migration")));
    let second = lethe(&[("LETHE__DATABASE__URL", &url)]).arg("migrate").output().unwrap();
    assert!(String::from_utf8_lossy(&second.stdout).starts_with("applied 0 migration"));
}

#[test]
fn json_log_format_writes_one_json_object_per_line() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&[
        ("LETHE__DATABASE__URL", db.url()),
        ("LETHE__SERVER__DATA_DIR", dir.path().to_str().unwrap()),
        ("LETHE__LOG__FORMAT", "json"),
    ]);
    let logs: Vec<serde_json::Value> =
        server.banner.iter().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!logs.is_empty(), "{:#?}", server.banner);
    assert!(logs.iter().all(|l| l["level"].is_string() && l["timestamp"].is_string()));
}

#[test]
fn openapi_command_prints_the_committed_document() {
    let output = lethe(&[]).arg("openapi").output().unwrap();
    assert!(output.status.success());
    let committed = include_str!("../../../openapi/openapi.json");
    assert_eq!(String::from_utf8_lossy(&output.stdout), committed);
}

/// One step of the README's walkthrough: its name, shell commands and the output shown.
struct Step {
    name: String,
    commands: String,
    expected: Option<(String, String)>,
}

/// The walkthrough steps of the README, in order: each `<!-- walkthrough: NAME -->` marker,
/// the `sh` block after it, and the output block (`text` or `json`) right after that.
fn walkthrough() -> Vec<Step> {
    let readme = include_str!("../../../README.md");
    let mut steps = Vec::new();
    for part in readme.split("<!-- walkthrough: ").skip(1) {
        let name = part.split(" -->").next().unwrap().to_owned();
        let mut blocks = part.split("```").skip(1).step_by(2);
        let commands = blocks.next().unwrap().strip_prefix("sh\n").unwrap().to_owned();
        let after_commands = part.splitn(3, "```").nth(2).unwrap();
        let expected = after_commands.trim_start().strip_prefix("```").and_then(|rest| {
            let (kind, body) = rest.split_once('\n')?;
            Some((kind.to_owned(), body.split("```").next()?.to_owned()))
        });
        steps.push(Step { name, commands, expected });
    }
    steps
}

#[test]
fn the_readme_walkthrough_runs_as_written_against_lethe_demo() {
    if Command::new("curl").arg("--version").output().is_err() {
        assert!(!db::testing::in_ci(), "CI must have curl");
        eprintln!("the README walkthrough needs curl; not run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let mut server = {
        let mut child = lethe(&[("LETHE__SERVER__DATA_DIR", data_dir)])
            .arg("demo")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut banner = Vec::new();
        let base = loop {
            let line = lines.recv_timeout(Duration::from_secs(30)).expect("lethe demo starts");
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
            banner.push(line);
        };
        Server { child, base, banner, lines }
    };
    let export = server.banner.iter().find(|l| l.trim().starts_with("export LETHE=")).expect("the export line").clone();
    assert!(export.contains(&format!("LETHE={}", server.base)), "{export}");
    assert!(server.banner.iter().any(|l| l.contains("Demo data is ready")), "{:#?}", server.banner);

    let steps = walkthrough();
    let names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["submit", "watch", "download", "erase", "watch", "erasure-log"]);
    // One shell session, as a reader would have: the export line, then each step in order. A
    // watch step is repeated until it shows what the README shows (the request may still run).
    let mut script = format!("set -euo pipefail\n{}\n", export.trim());
    for (i, step) in steps.iter().enumerate() {
        script.push_str(&format!("echo '### {i}'\n"));
        match (&step.name[..], &step.expected) {
            ("watch", Some((_, expected))) => script.push_str(&format!(
                "for _ in $(seq 1 200); do out=$({}); [ \"$out\" = '{}' ] && break; sleep 0.05; done; echo \"$out\"\n",
                step.commands.trim(),
                expected.trim()
            )),
            _ => script.push_str(&format!("{}\n", step.commands.trim())),
        }
    }
    let output = Command::new("bash").arg("-c").arg(&script).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{script}\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let outputs: Vec<&str> =
        stdout.split("### ").skip(1).map(|part| part.split_once('\n').map_or("", |(_, o)| o)).collect();
    assert_eq!(outputs.len(), steps.len(), "{stdout}");
    for (step, got) in steps.iter().zip(outputs) {
        match &step.expected {
            Some((kind, expected)) if kind == "json" => {
                let got: serde_json::Value =
                    serde_json::from_str(got).unwrap_or_else(|e| panic!("{}: {e}: {got}", step.name));
                let expected: serde_json::Value = serde_json::from_str(expected).unwrap();
                assert_eq!(got, expected, "step {}", step.name);
            }
            Some((_, expected)) => assert_eq!(got.trim(), expected.trim(), "step {}", step.name),
            None => assert!(got.trim().is_empty(), "step {} prints nothing: {got}", step.name),
        }
    }

    // Swagger UI is there, and the demo client it names can get a token.
    let client = reqwest::blocking::Client::new();
    assert_eq!(client.get(server.url("/docs/")).send().unwrap().status(), 200);
    let credentials = server.banner.iter().find_map(|l| l.split("a demo client (").nth(1)).unwrap().to_owned();
    let (id, rest) = credentials.split_once(", secret ").unwrap();
    let secret = rest.split(')').next().unwrap();
    assert_eq!(token(&client, &server, id, secret).status(), 200);
    let _ = server.child.kill();
}
