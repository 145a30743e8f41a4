//! A shaped link between the benchmark clients and `bench-server`: a TCP
//! proxy that gives every byte the latency and the bandwidth of a real
//! network, so that a benchmark can measure what the internet costs.
//!
//! `bench-link <upstream base url> <megabits per second> <round trip ms>`
//! listens on 127.0.0.1, prints its own base URL on the first line of
//! stdout, and forwards every connection to the upstream server:
//! - **bandwidth**: each direction is one link of that many megabits a
//!   second, shared by every connection (as a customer's uplink is): a
//!   chunk leaves when the link has sent every byte read before it, and
//!   takes its length over the bandwidth to send;
//! - **latency**: a chunk arrives half the round trip after it has been
//!   sent; a new connection waits a whole round trip before its first bytes
//!   go (TCP's handshake; no TLS);
//! - **bytes on the wire**: it counts the bytes of HTTP each way. A line
//!   `stats` on stdin prints `{"up": bytes, "down": bytes, "connections":
//!   n}` since the last such line (or the start) and starts counting
//!   again; the end of stdin ends the program.
//!
//! Each direction of a connection holds at most [`QUEUE`] chunks on their
//! way; past that it stops reading, and TCP holds the sender back, as a
//! full router queue would. The link is ideal otherwise: no loss, no
//! slow start, no packet headers counted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Chunks on their way in one direction of one connection.
const QUEUE: usize = 512;

/// The most bytes read at once: a chunk.
const CHUNK: usize = 16 * 1024;

/// One direction of the link.
struct Link {
    bytes_per_second: f64,
    one_way: Duration,
    /// When the link has sent every byte given to it so far.
    free_at: Mutex<Instant>,
    bytes: AtomicU64,
}

impl Link {
    fn new(megabits: f64, one_way: Duration) -> Self {
        Link {
            bytes_per_second: megabits * 1e6 / 8.0,
            one_way,
            free_at: Mutex::new(Instant::now()),
            bytes: AtomicU64::new(0),
        }
    }

    /// When `len` bytes handed to the link now arrive at the other end.
    fn arrival(&self, len: usize) -> Instant {
        self.bytes.fetch_add(len as u64, Ordering::Relaxed);
        let sending = Duration::from_secs_f64(len as f64 / self.bytes_per_second);
        let mut free_at = self.free_at.lock().unwrap_or_else(|e| e.into_inner());
        let sent = (*free_at).max(Instant::now()) + sending;
        *free_at = sent;
        sent + self.one_way
    }
}

struct Shaped {
    upstream: String,
    round_trip: Duration,
    up: Link,
    down: Link,
    connections: AtomicU64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [upstream, megabits, round_trip] = args.as_slice() else {
        return Err("usage: bench-link <upstream base url> <megabits/s> <round trip ms>".into());
    };
    let upstream = upstream
        .strip_prefix("http://")
        .ok_or("the upstream is an http:// base URL")?
        .trim_end_matches('/')
        .to_owned();
    let megabits: f64 = megabits.parse()?;
    let round_trip = Duration::from_secs_f64(round_trip.parse::<f64>()? / 1000.0);
    if megabits.is_nan() || megabits <= 0.0 {
        return Err("the bandwidth is a positive number of megabits a second".into());
    }
    let shaped = Arc::new(Shaped {
        upstream,
        round_trip,
        up: Link::new(megabits, round_trip / 2),
        down: Link::new(megabits, round_trip / 2),
        connections: AtomicU64::new(0),
    });
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    println!("http://{}", listener.local_addr()?);
    tokio::spawn(stats(shaped.clone()));
    loop {
        let (client, _) = listener.accept().await?;
        let shaped = shaped.clone();
        tokio::spawn(async move {
            if let Err(e) = forward(client, shaped).await {
                eprintln!("bench-link: {e}");
            }
        });
    }
}

/// Prints the counts on each `stats` line of stdin; ends the program at
/// the end of stdin.
async fn stats(shaped: Arc<Shaped>) {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.trim() == "stats" {
            let take = |count: &AtomicU64| count.swap(0, Ordering::Relaxed);
            println!(
                r#"{{"up":{},"down":{},"connections":{}}}"#,
                take(&shaped.up.bytes),
                take(&shaped.down.bytes),
                take(&shaped.connections)
            );
        }
    }
    std::process::exit(0);
}

/// One connection: the handshake's round trip, then each direction
/// through its link.
async fn forward(client: TcpStream, shaped: Arc<Shaped>) -> Result<(), Failure> {
    shaped.connections.fetch_add(1, Ordering::Relaxed);
    tokio::time::sleep(shaped.round_trip).await;
    let server = TcpStream::connect(&shaped.upstream).await?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = pipe(client_read, server_write, shaped.clone(), |s| &s.up);
    let down = pipe(server_read, client_write, shaped.clone(), |s| &s.down);
    let _ = tokio::join!(up, down);
    Ok(())
}

/// Copies `from` to `to`, each chunk delivered when `link` says it arrives.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    shaped: Arc<Shaped>,
    link: fn(&Shaped) -> &Link,
) {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<(Instant, Vec<u8>)>(QUEUE);
    let reading = async move {
        let mut buffer = vec![0; CHUNK];
        while let Ok(read @ 1..) = from.read(&mut buffer).await {
            let arrival = link(&shaped).arrival(read);
            if sender
                .send((arrival, buffer[..read].to_vec()))
                .await
                .is_err()
            {
                break;
            }
        }
    };
    let writing = async move {
        while let Some((arrival, chunk)) = receiver.recv().await {
            tokio::time::sleep_until(arrival).await;
            if to.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reading, writing);
}
