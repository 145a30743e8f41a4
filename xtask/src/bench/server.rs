//! The local benchmark server (`bench-server`) as a child process, and
//! what a sweep server counts.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    pub fn start(bin: &Path, args: &[String]) -> Result<Self, String> {
        let mut child = Command::new(bin)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().ok_or("the server has no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        if !line.starts_with("http://127.0.0.1:") {
            let _ = child.kill();
            return Err(format!("the benchmark server said {line:?}"));
        }
        Ok(Self {
            child,
            url: line.trim().to_owned(),
        })
    }

    /// `bench-server sweep`: a portfolio of `companies`, every listing
    /// answered after `latency_ms`.
    pub fn start_sweep(bin: &Path, companies: u64, latency_ms: u64) -> Result<Self, String> {
        Self::start(
            &bin.join("bench-server"),
            &[
                "sweep".to_owned(),
                companies.to_string(),
                latency_ms.to_string(),
            ],
        )
    }

    /// The count `key` of a sweep server's `GET /bench/stats?{query}`.
    pub fn stat(&self, query: &str, key: &str) -> Result<u64, String> {
        self.stats(query)?[key]
            .as_u64()
            .ok_or_else(|| format!("the sweep server's stats have no count {key}"))
    }

    /// `GET /bench/stats?{query}` of a sweep server.
    fn stats(&self, query: &str) -> Result<Value, String> {
        let address = self.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        write!(
            stream,
            "GET /bench/stats?{query} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
        )
        .map_err(|e| e.to_string())?;
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .map_err(|e| e.to_string())?;
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        serde_json::from_str(body)
            .map_err(|e| format!("the sweep server's stats ({e}): {answer:?}"))
    }

    /// How many listings a sweep server has answered so far.
    pub fn requests(&self) -> Result<u64, String> {
        self.stat("", "requests")
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
