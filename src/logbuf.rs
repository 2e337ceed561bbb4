//! A log writer that keeps the request path free of syscalls: lines are
//! appended to a buffer in memory, and a thread of its own writes the buffer
//! to stderr every few milliseconds, or at once when it grows large. One
//! line a request at the default level then costs a copy, not a `write`.
//!
//! Lines still in the buffer when the process ends are written by
//! [`LogBuffer::flush`], which the binary calls on its way out.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

/// How long a line may wait in the buffer.
const EVERY: Duration = Duration::from_millis(20);
/// A buffer this large is written at once rather than at the next tick.
const SOON: usize = 64 * 1024;
/// Past this, lines are dropped until the writer catches up: a log must not
/// grow memory without end when stderr is slower than the requests.
const MOST: usize = 4 * 1024 * 1024;

/// The shared buffer; clones write to the same one.
#[derive(Debug, Clone)]
pub(crate) struct LogBuffer {
    inner: Arc<(Mutex<Vec<u8>>, Condvar)>,
}

impl Default for LogBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl LogBuffer {
    /// A buffer, and the thread that writes it to stderr.
    pub(crate) fn new() -> Self {
        let buffer = Self {
            inner: Arc::new((Mutex::new(Vec::with_capacity(SOON)), Condvar::new())),
        };
        let writer = buffer.clone();
        let _ = std::thread::Builder::new()
            .name("log".to_owned())
            .spawn(move || loop {
                writer.wait();
                writer.flush();
            });
        buffer
    }

    /// Waits for a tick, or for the buffer to grow large.
    fn wait(&self) {
        let (lines, grew) = &*self.inner;
        let mut lines = lines.lock();
        if lines.len() < SOON {
            grew.wait_for(&mut lines, EVERY);
        }
    }

    /// Writes whatever the buffer holds to stderr.
    pub(crate) fn flush(&self) {
        let pending = std::mem::take(&mut *self.inner.0.lock());
        if !pending.is_empty() {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(&pending);
            let _ = err.flush();
        }
    }
}

impl Write for LogBuffer {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let (lines, grew) = &*self.inner;
        let mut lines = lines.lock();
        if lines.len() + line.len() <= MOST {
            lines.extend_from_slice(line);
        }
        if lines.len() >= SOON {
            grew.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
