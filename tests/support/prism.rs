//! Prism, the OpenAPI mock server, serving one document on a loopback port:
//! with the document's examples, or (`dynamic`) with answers its
//! json-schema-faker generates from the schemas. It comes pinned from
//! `tests/prism/package-lock.json`; `cargo xtask ci` installs it.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use codat_connections::{Client, RetryPolicy};

use super::net::free_port;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn prism_bin() -> PathBuf {
    let path = std::env::var_os("PRISM_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("tests/prism/node_modules/.bin/prism"));
    assert!(
        path.exists(),
        "Prism is not installed at {}. Run `cargo xtask ci`, which installs the pinned version, \
         or `npm ci --prefix tests/prism` (Node.js 20+ with npm), or set PRISM_BIN.",
        path.display()
    );
    path
}

/// A Prism process serving one document on a free loopback port; killed on drop.
pub struct Prism {
    child: Child,
    pub base_url: String,
}

impl Prism {
    /// Prism answering with the document's examples.
    pub fn start(document: &Path) -> Prism {
        Self::spawn(document, &[])
    }

    /// Prism answering with values generated from the document's schemas
    /// (its `--dynamic` mode): a new answer each request.
    pub fn start_dynamic(document: &Path) -> Prism {
        Self::spawn(document, &["--dynamic"])
    }

    fn spawn(document: &Path, mode: &[&str]) -> Prism {
        assert!(document.exists(), "no document at {}", document.display());
        let port = free_port();
        let child = Command::new(prism_bin())
            .args([
                "mock",
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-v",
                "warn",
                "--errors",
            ])
            .args(mode)
            .arg(document)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("Prism starts");
        let mut prism = Prism {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
        };
        // With `-v warn` Prism prints no "listening" line: wait for the port
        // to answer HTTP at all.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = prism.child.try_wait().expect("Prism's status") {
                panic!("Prism exited before listening: {status}");
            }
            if answers_http(port) {
                return prism;
            }
            assert!(
                Instant::now() < deadline,
                "Prism did not listen within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A client of this Prism that makes one attempt a call, with no pace
    /// under Codat's rate limit (for many requests).
    pub fn unpaced_client(&self) -> Client {
        self.builder()
            .requests_per_minute(None)
            .build()
            .expect("valid settings")
    }

    /// A client of this Prism that makes one attempt a call.
    pub fn client(&self) -> Client {
        self.builder().build().expect("valid settings")
    }

    fn builder(&self) -> codat_connections::ClientBuilder {
        Client::builder("contract-test-key")
            .base_url(&self.base_url)
            .retry(RetryPolicy::none())
            // Prism never answers a request whose JSON body is malformed.
            .timeout(Duration::from_secs(20))
    }
}

fn answers_http(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).is_ok() && first.starts_with(b"HTTP/1.1 ")
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
