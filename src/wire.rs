//! What the server puts on the wire beyond plain answers: a socket the
//! connection task can still reach (to reset it), and bodies sent slowly.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::clock::Clock;
use crate::scenario::SlowBody;

/// A TCP stream shared between hyper and the connection task: hyper reads and
/// writes it, and the task can set `SO_LINGER` to zero so that closing it
/// sends a reset (the `reset` fault). Reads and writes go through the same
/// readiness calls tokio's own stream uses.
#[derive(Debug, Clone)]
pub(crate) struct SharedStream(pub(crate) Arc<TcpStream>);

impl AsyncRead for SharedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            ready!(self.0.poll_read_ready(cx))?;
            match self.0.try_read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for SharedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                other => return Poll::Ready(other),
            }
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write_vectored(bufs) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                other => return Poll::Ready(other),
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// The socket closes when the last handle is dropped, right after hyper
    /// asks for this, so there is nothing to half-close first.
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
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
