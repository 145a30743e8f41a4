//! An in-memory log for a `tracing_subscriber::fmt` subscriber, so a test
//! can read what the SDK logged.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

/// An in-memory log, shared with the subscriber that writes it: give the
/// subscriber `.with_writer(log.writer())`, then read `log.text()`.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<u8>>>);

impl Log {
    /// A writer factory for `with_writer`: every writer appends here.
    pub fn writer(&self) -> impl Fn() -> Log + Send + Sync + 'static + use<> {
        let log = self.clone();
        move || log.clone()
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut log = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        log.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
