//! The binary: flags, start-up lines, exit codes and signals.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_sca-sandbox");

#[test]
fn a_bad_scenario_file_exits_2_with_file_line_and_column() {
    let dir = std::env::temp_dir().join(format!("sca-sandbox-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.yaml");
    std::fs::write(&file, "name: bad\nsettings:\n  shine: { token_ttl: 5 }\n").unwrap();
    let out = Command::new(BIN)
        .args(["--port", "0", "--scenario"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = format!("{}:3:", file.display());
    assert!(stderr.starts_with(&expected), "{stderr}");
    assert!(stderr.contains("needs a unit"), "{stderr}");
}

#[test]
fn port_0_prints_the_address_and_sigterm_stops_cleanly() {
    let mut child = Command::new(BIN)
        .args(["--port", "0"])
        .env("SCA_SANDBOX_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("listening on http://127.0.0.1:"), "{first}");
    assert!(!first.ends_with(":4242"), "{first}");
    // One line per provider with its base URL, then the control API.
    let providers = sca_sandbox::Provider::ALL;
    let rest: Vec<String> = lines
        .by_ref()
        .take(providers.len() + 1)
        .map(Result::unwrap)
        .collect();
    for (line, provider) in rest.iter().zip(providers) {
        let name = provider.name();
        assert!(
            line.trim_start().starts_with(name) && line.ends_with(&format!("/{name}")),
            "{rest:?}"
        );
    }
    assert!(rest[providers.len()].ends_with("/__admin"), "{rest:?}");
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn flags_can_come_from_the_environment() {
    let out = Command::new(BIN)
        .env("SCA_SANDBOX_PORT", "not-a-port")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "clap's usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not-a-port"));
}

#[test]
fn a_closed_stdout_does_not_stop_the_server() {
    let mut command = Command::new(BIN);
    command.stderr(Stdio::null());
    // The reader is dropped inside: the pipe is closed while lines remain to print.
    let (mut child, addr) = on_port_0(&mut command);
    let mut answered = false;
    for _ in 0..100 {
        if let Ok(mut stream) = std::net::TcpStream::connect(&addr) {
            use std::io::{Read, Write};
            stream
                .write_all(
                    b"GET /__admin/health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n",
                )
                .unwrap();
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            answered = answer.starts_with("HTTP/1.1 200");
            break;
        }
    }
    assert!(answered, "the server answered after its stdout closed");
    assert!(child.try_wait().unwrap().is_none(), "still running");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn check_reads_scenarios_without_serving_and_names_each_problem() {
    let ok = Command::new(BIN)
        .args(["check", "scenarios"])
        .output()
        .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let listed = String::from_utf8_lossy(&ok.stdout);
    assert!(listed.contains("scenarios/default.yaml: ok"), "{listed}");

    let dir = std::env::temp_dir().join(format!("sca-sandbox-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.yaml"), "settings:\n  shine: { token_ttl: 5 }\n").unwrap();
    std::fs::write(
        dir.join("b.yml"),
        "rules:\n  - when: { operation: nope.nothing }\n",
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "not a scenario").unwrap();
    let bad = Command::new(BIN).arg("check").arg(&dir).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with(&format!("{}:2:", dir.join("a.yaml").display())),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with(&format!("{}:2:", dir.join("b.yml").display())),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_reader_that_closes_the_pipe_early_ends_the_schema_quietly() {
    use std::io::Read;
    for _ in 0..5 {
        let mut child = Command::new(BIN)
            .arg("schema")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut head = [0; 200];
        child.stdout.take().unwrap().read_exact(&mut head).unwrap();
        // The pipe is closed here, with most of the schema unread.
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{:?}", out.status);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn on_every_interface_the_banner_links_loopback() {
    use std::io::BufRead;
    let mut child = Command::new(BIN)
        .args(["--host", "0.0.0.0", "--port", "0"])
        .env("SCA_SANDBOX_ADMIN_TOKEN", "k3y-f0r-the-t3am-2026")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines: Vec<String> = std::io::BufReader::new(child.stdout.take().unwrap())
        .lines()
        .take(8)
        .map(Result::unwrap)
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        lines[0].contains("listening on http://0.0.0.0:"),
        "{lines:?}"
    );
    for line in &lines[1..] {
        assert!(line.contains("http://127.0.0.1:"), "{line}");
    }
}

#[test]
fn each_request_logs_one_plain_line_at_the_default_level() {
    use std::io::{Read, Write};
    let mut command = Command::new(BIN);
    command.env_remove("RUST_LOG").stderr(Stdio::piped());
    let (child, addr) = on_port_0(&mut command);
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    let body = r#"{"client_id":"shine-client","client_secret":"wrong"}"#;
    write!(
        stream,
        "POST /t/ci-7/shine/v2/authentication/oauth2/action_request/00000000-0000-4000-8000-000000000000/poll?client_secret=hidden HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    // Stopped as a user stops it: what the log holds is written on the way out.
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    let line = log
        .lines()
        .find(|l| l.contains("shine.action_request.poll"))
        .unwrap_or_else(|| panic!("no request line in {log}"));
    for part in [
        "INFO",
        "tenant=\"ci-7\"",
        "method=POST",
        "status=401",
        "duration_ms=",
    ] {
        assert!(
            line.contains(part) || line.contains(&part.replace('"', "")),
            "{part}: {line}"
        );
    }
    assert!(
        !line.contains("hidden"),
        "the query string stays out: {line}"
    );
    assert!(
        !log.contains('\u{1b}'),
        "no colour codes off a terminal: {log}"
    );
}

#[test]
fn check_lists_every_problem_of_a_file_with_its_position() {
    let dir = std::env::temp_dir().join(format!("sca-check-all-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("two.yaml");
    std::fs::write(
        &file,
        "rules:\n  - when: { operation: weavr.multi_stepup.verfy }\n    respond: { status: 503 }\n  - when: { operation: shine.action_request.poll, nth: 0 }\n    respond: { status: 503 }\nsettings:\n  hosts: { Bad_Host: shine }\n",
    )
    .unwrap();
    let out = Command::new(BIN).arg("check").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(
        lines[0].contains("two.yaml:2:") && lines[0].contains("did you mean"),
        "{stderr}"
    );
    assert!(
        lines[1].contains("two.yaml:4:") && lines[1].contains("counts from 1"),
        "{stderr}"
    );
    assert!(
        lines[2].contains("two.yaml:7:") && lines[2].contains("Bad_Host"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Starts `command` on port 0 and reads the address from its first line;
/// the reader of its stdout is dropped with this function.
fn on_port_0(command: &mut Command) -> (std::process::Child, String) {
    let mut child = command
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first.rsplit("http://").next().unwrap().trim().to_owned();
    (child, addr)
}

#[test]
fn report_writes_the_integration_report_when_the_sandbox_stops() {
    use std::io::{Read, Write};
    let dir = std::env::temp_dir().join(format!("sca-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.xml");
    let mut command = Command::new(BIN);
    command.arg("--report").arg(&file);
    let (child, addr) = on_port_0(&mut command);
    // A Shine transfer without a short-lived token breaks a rule.
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    let body = r#"{"amount":234,"bankTransferRecipientId":"recipient-1","uid":"user-1"}"#;
    write!(
        stream,
        "POST /shine/v3/bank/transfers HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer shine-user-1-token\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    let xml = std::fs::read_to_string(&file).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains("name=\"shine.transfer.without_action_request\">"),
        "{xml}"
    );
    assert!(xml.contains("<failure"), "{xml}");
    let _ = std::fs::remove_dir_all(&dir);
}
