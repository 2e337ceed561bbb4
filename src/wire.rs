//! What the server puts on the wire beyond plain answers: a socket that can
//! be closed with a reset, and bodies sent slowly.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::clock::Clock;
use crate::scenario::SlowBody;

/// The accepted TCP stream, owned by hyper's connection. A `reset` fault
/// asks for the socket to close with a TCP reset: the flag is set, the
/// connection task drops the connection, and the drop sets `SO_LINGER` to
/// zero just before the socket closes. Reads and writes are tokio's own, so a
/// short read clears readiness (no extra `recv` that would find nothing) and
/// the read buffer is never zeroed first.
#[derive(Debug)]
pub(crate) struct Socket {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Socket {
    pub(crate) fn new(stream: TcpStream, reset: Arc<AtomicBool>) -> Self {
        Self { stream, reset }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        if self.reset.load(Ordering::Acquire) {
            // Closing with a zero linger sends RST instead of FIN.
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl AsyncRead for Socket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

type Pause = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A response body: whole, or trickled out by a `slow_body` fault.
pub(crate) enum WireBody {
    Whole(crate::http::Body),
    Slow {
        rest: Bytes,
        slow: SlowBody,
        clock: Clock,
        pause: Option<Pause>,
    },
}

impl std::fmt::Debug for WireBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Whole(_) => f.write_str("WireBody::Whole"),
            Self::Slow { rest, .. } => write!(f, "WireBody::Slow({} bytes left)", rest.len()),
        }
    }
}

impl WireBody {
    pub(crate) fn slow(body: Bytes, slow: SlowBody, clock: Clock) -> Self {
        Self::Slow {
            rest: body,
            slow,
            clock,
            pause: None,
        }
    }
}

fn every(slow: &SlowBody) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(slow.every.0).unwrap_or(chrono::TimeDelta::MAX)
}

impl Body for WireBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Self::Whole(body) => Pin::new(body).poll_frame(cx),
            Self::Slow {
                rest,
                slow,
                clock,
                pause,
            } => {
                if rest.is_empty() {
                    return Poll::Ready(None);
                }
                // The first chunk goes at once; each later one after `every`.
                if let Some(p) = pause {
                    ready!(p.as_mut().poll(cx));
                }
                let chunk = rest.split_to(slow.chunk.min(rest.len()));
                // The next deadline is fixed now, as the chunk leaves, so a
                // clock advanced right after it counts toward the pause.
                let deadline = clock.now() + every(slow);
                let clock = clock.clone();
                *pause = Some(Box::pin(async move { clock.sleep_until(deadline).await }));
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Whole(body) => body.is_end_stream(),
            Self::Slow { rest, .. } => rest.is_empty(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Whole(body) => body.size_hint(),
            Self::Slow { rest, .. } => SizeHint::with_exact(rest.len() as u64),
        }
    }
}
