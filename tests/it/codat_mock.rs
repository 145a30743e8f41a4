//! The `codat-mock` program: started as a user would, driven over HTTP by
//! the crate's own client, stopped by SIGTERM; and its refusals, each a
//! clear message with nothing left listening.
#![cfg(all(feature = "mock", unix))]

use crate::support;

#[path = "codat_mock/control_api.rs"]
mod control_api;

use support::program::{PROGRAM, start, stderr_of, stop};

use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use codat_connections::mock::MOCK_API_KEY;
use codat_connections::{Client, ConnectionStatus, RetryPolicy};

fn client(base_url: &str) -> Client {
    Client::builder(MOCK_API_KEY)
        .base_url(base_url)
        .requests_per_minute(None)
        .build()
        .expect("a client of the program")
}

#[test]
fn a_test_that_fails_leaves_no_program_running() {
    let (sender, started) = std::sync::mpsc::channel();
    let failed = std::thread::spawn(move || {
        let (child, _base_url) = start(&["--latency", "200", "--rate-limit", "1"]);
        sender.send(child.id()).unwrap();
        panic!("a test that fails with codat-mock running");
    })
    .join();
    assert!(failed.is_err(), "the test did not fail");
    let pid = started.recv().unwrap();
    // Killed and reaped: the process is gone, not even a zombie.
    let process = std::path::PathBuf::from(format!("/proc/{pid}"));
    assert!(
        !process.exists(),
        "codat-mock ({pid}) outlived the test that started it"
    );
}

#[tokio::test]
async fn the_program_serves_a_seeded_mock_and_stops_cleanly_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("codat-mock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("seed.json");
    let company = "8a210b68-6988-11ed-a1eb-0242ac120002";
    std::fs::write(
        &seed,
        format!(
            r#"{{"companies": [{{"id": "{company}", "connections": [
                {{"platformKey": "gbol", "status": "Linked"}},
                {{"platformKey": "qhyg", "status": "Deauthorized"}}]}}]}}"#
        ),
    )
    .unwrap();
    let (mut child, base_url) = start(&["--seed", seed.to_str().unwrap()]);
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");

    let client = client(&base_url);
    let listed = client.connections().list(company).await.unwrap();
    assert_eq!(listed.total_results, 2);
    let created = client.connections().create(company, "gbol").await.unwrap();
    assert_eq!(created.status, ConnectionStatus::PendingAuth);
    let needing = client
        .connections()
        .needing_reauthorization(company)
        .await
        .unwrap();
    assert_eq!(needing.len(), 1, "the seeded Deauthorized connection");

    let status = stop(&mut child, "TERM");
    assert!(status.success(), "{status:?}: {}", stderr_of(&mut child));
    // Nothing listens any more.
    let once = client.connections().retry(RetryPolicy::none());
    let gone = once.list(company).await.unwrap_err();
    assert!(
        matches!(gone, codat_connections::Error::Transport { .. }),
        "{gone:?}"
    );
    support::record(
        "Standalone mock",
        "codat-mock started with a seed file, driven by the crate's client, sent SIGTERM",
        "serves the seeded companies and connections; exits 0 and stops listening",
    );
}

#[test]
fn sigint_stops_it_too_and_flags_set_latency_and_a_rate_limit() {
    let (mut child, base_url) = start(&["--latency", "200", "--rate-limit", "1"]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // By hand: the crate's client would wait out the limit instead.
        let http = support::net::plain_http();
        let url = format!("{base_url}/companies/8a210b68-6988-11ed-a1eb-0242ac120002/connections");
        let authorization = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(MOCK_API_KEY)
        );
        let get = || {
            http.get(&url)
                .header("Authorization", &authorization)
                .send()
        };
        let started = Instant::now();
        let first = get().await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(200),
            "the latency"
        );
        assert_eq!(first.status().as_u16(), 404, "no such company");
        let second = get().await.unwrap();
        assert_eq!(
            second.status().as_u16(),
            429,
            "over the limit of 1 a minute"
        );
    });
    assert!(stop(&mut child, "INT").success());
}

#[test]
fn each_refusal_says_why_and_starts_nothing() {
    let dir = std::env::temp_dir().join(format!("codat-mock-refusals-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad_seed = dir.join("bad.json");
    std::fs::write(
        &bad_seed,
        r#"{"companies": [{"connections": [{"platformKey": "GBOL", "status": "Linked"}]}]}"#,
    )
    .unwrap();
    let twice = dir.join("twice.json");
    let id = "8a210b68-6988-11ed-a1eb-0242ac120002";
    std::fs::write(
        &twice,
        format!(r#"{{"companies": [{{"id": "{id}"}}, {{"id": "{id}"}}]}}"#),
    )
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = listener.local_addr().unwrap().to_string();
    let missing = dir.join("missing.json");
    let (bad_seed, twice, missing) = (
        bad_seed.to_str().unwrap(),
        twice.to_str().unwrap(),
        missing.to_str().unwrap(),
    );
    #[rustfmt::skip]
    let cases = [
        ("--addr 0.0.0.0:0", vec!["--addr", "0.0.0.0:0"], 2, "--allow-non-loopback"),
        ("--addr localhost", vec!["--addr", "localhost"], 2, "not an address"),
        ("--latency soon", vec!["--latency", "soon"], 2, "milliseconds"),
        ("--rate-limit 0", vec!["--rate-limit", "0"], 2, "above 0"),
        ("--seed (no file)", vec!["--seed"], 2, "needs a value"),
        ("--colour blue", vec!["--colour", "blue"], 2, "unknown argument"),
        ("--addr (an address in use)", vec!["--addr", taken.as_str()], 1, "cannot listen"),
        ("--seed (a file that does not exist)", vec!["--seed", missing], 1, "cannot read the seed file"),
        ("--seed (a platform key GBOL)", vec!["--seed", bad_seed], 1, "not a seed"),
        ("--seed (a company ID twice)", vec!["--seed", twice], 1, "twice"),
    ];
    for (case, args, code, says) in cases {
        let output = Command::new(PROGRAM).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{case}: {stderr}");
        assert!(stderr.contains(says), "{case}: {stderr}");
        assert!(
            output.stdout.is_empty(),
            "{case} printed {:?}",
            output.stdout
        );
        support::record(
            "Standalone mock",
            &format!("codat-mock {case}"),
            &format!("exit {code}, \"{says}\" on stderr, nothing started"),
        );
    }
    drop(listener);
}
