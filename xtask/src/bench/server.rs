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

    /// `GET /bench/stats` of a sweep server.
    pub fn stats(&self) -> Result<Value, String> {
        self.stats_of("")
    }

    /// `GET /bench/stats?{query}` of a sweep server.
    pub fn stats_of(&self, query: &str) -> Result<Value, String> {
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
        self.stats()?["requests"]
            .as_u64()
            .ok_or_else(|| "the sweep server did not count its requests".to_owned())
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
