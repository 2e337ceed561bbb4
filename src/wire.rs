//! What the server puts on the wire beyond plain answers: a socket that can
//! be closed with a reset, and bodies sent slowly.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use atomic_waker::AtomicWaker;
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
///
/// hyper answers a head it cannot parse (too large, malformed) by itself,
/// with an empty body; the socket gives that answer the JSON body every
/// other error has (see [`own_error_answer`]).
#[derive(Debug)]
pub(crate) struct Socket {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
    /// A rewritten answer still being sent, and the length of hyper's
    /// original to report once it is.
    rewritten: Option<(Bytes, usize)>,
}

impl Socket {
    pub(crate) fn new(stream: TcpStream, reset: Arc<AtomicBool>) -> Self {
        Self {
            stream,
            reset,
            rewritten: None,
        }
    }
}

/// The answers hyper writes on its own, before any request reaches the
/// router: the status line's code, and the error code and message we give.
const OWN_ERRORS: [(&[u8], &str, &str); 3] = [
    (
        b"431",
        "request_header_fields_too_large",
        "The request head exceeds 65536 bytes",
    ),
    (b"400", "bad_request", "The request is not valid HTTP/1.1"),
    (b"414", "uri_too_long", "The request target is too long"),
];

/// hyper's own error answer, if `buf` is one, rewritten with a JSON body in
/// the control API's envelope. Recognised by its exact shape: a 4xx status
/// line, then `connection: close` and `content-length: 0` first, which only
/// hyper writes (the router's answers always carry a body or other headers
/// first). The test is a prefix comparison, cheap for every other answer.
fn own_error_answer(buf: &[u8]) -> Option<Bytes> {
    const EMPTY: &[u8] = b"\r\nconnection: close\r\ncontent-length: 0\r\n";
    let rest = buf.strip_prefix(b"HTTP/1.1 4")?;
    let (_, code, message) = OWN_ERRORS
        .iter()
        .find(|(status, _, _)| buf.get(9..12) == Some(*status))?;
    let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
    let after = rest[line_end..].strip_prefix(EMPTY)?;
    if !buf.ends_with(b"\r\n\r\n") {
        return None;
    }
    let body = serde_json::json!({ "error": { "code": code, "message": message } }).to_string();
    let mut out = Vec::with_capacity(buf.len() + body.len() + 64);
    out.extend_from_slice(&buf[..10 + line_end]);
    out.extend_from_slice(b"\r\nconnection: close\r\ncontent-type: application/json\r\n");
    out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    out.extend_from_slice(after);
    out.extend_from_slice(body.as_bytes());
    Some(Bytes::from(out))
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
        let this = self.get_mut();
        if this.rewritten.is_none() {
            match own_error_answer(buf) {
                Some(answer) => this.rewritten = Some((answer, buf.len())),
                None => return Pin::new(&mut this.stream).poll_write(cx, buf),
            }
        }
        // hyper offers the same bytes again until they are taken, so the
        // rewritten answer is sent whole before its original counts as written.
        let Some((answer, original)) = &mut this.rewritten else {
            return Poll::Ready(Ok(0));
        };
        while !answer.is_empty() {
            let n = ready!(Pin::new(&mut this.stream).poll_write(cx, answer))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            let _ = answer.split_to(n);
        }
        let original = *original;
        this.rewritten = None;
        Poll::Ready(Ok(original))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // An answer to rewrite comes in one piece, as the server asks hyper
        // to flatten what it writes.
        let first = bufs.iter().find(|b| !b.is_empty());
        if let Some(first) = first {
            if self.rewritten.is_some() || own_error_answer(first).is_some() {
                return self.poll_write(cx, first);
            }
        }
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
        /// Set when the server stops: the rest goes at once, as delays and
        /// hangs end at once, so a trickle never holds up the drain.
        stopping: tokio::sync::watch::Receiver<bool>,
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
    pub(crate) fn slow(
        body: Bytes,
        slow: SlowBody,
        clock: Clock,
        stopping: tokio::sync::watch::Receiver<bool>,
    ) -> Self {
        Self::Slow {
            rest: body,
            slow,
            clock,
            pause: None,
            stopping,
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
                stopping,
            } => {
                if rest.is_empty() {
                    return Poll::Ready(None);
                }
                // The first chunk goes at once; each later one after `every`.
                if let Some(p) = pause {
                    ready!(p.as_mut().poll(cx));
                }
                if *stopping.borrow() {
                    return Poll::Ready(Some(Ok(Frame::data(std::mem::take(rest)))));
                }
                let chunk = rest.split_to(slow.chunk.min(rest.len()));
                // The next deadline is fixed now, as the chunk leaves, so a
                // clock advanced right after it counts toward the pause.
                let deadline = clock.now() + every(slow);
                let (clock, mut stopping) = (clock.clone(), stopping.clone());
                *pause = Some(Box::pin(async move {
                    tokio::select! {
                        () = clock.sleep_until(deadline) => {}
                        _ = stopping.wait_for(|stop| *stop) => {}
                    }
                }));
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

#[cfg(test)]
mod tests {
    use super::own_error_answer;

    #[test]
    fn only_hypers_own_empty_error_answers_are_rewritten() {
        let own = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Wed, 02 Dec 2026 06:17:14 GMT\r\n\r\n";
        let answer = own_error_answer(own).expect("rewritten");
        let text = std::str::from_utf8(&answer).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(head.contains("content-type: application/json"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        assert!(head.contains("date: Wed, 02 Dec 2026"));
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["error"]["code"], "request_header_fields_too_large");
        let bad = b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        assert!(own_error_answer(bad).is_some());
        // The router's own answers pass untouched.
        for other in [
            &b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"[..],
            b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: 9\r\n\r\n{\"a\": 1}",
            b"HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
        ] {
            assert!(own_error_answer(other).is_none());
        }
    }
}

/// Asks a connection task to close its socket unanswered.
#[derive(Debug, Default)]
pub(crate) struct Kill {
    fired: AtomicBool,
    /// The connection task's waker. Not a `Notify`: the connection task
    /// polls this on every wake-up, several times a request, and an atomic
    /// waker registers with one exchange where a `Notify` takes a lock.
    waker: AtomicWaker,
    /// Close with a reset rather than an orderly FIN; the socket reads it
    /// when it is dropped.
    pub(crate) reset: Arc<AtomicBool>,
}

impl Kill {
    pub(crate) fn fire(&self) {
        self.fired.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Ready once [`Kill::fire`] has been called.
    pub(crate) fn fired(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(|cx| {
            if self.fired.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            self.waker.register(cx.waker());
            // Fired between the check and the registration: the wake went
            // to the old waker, so look again.
            if self.fired.load(Ordering::Acquire) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }
}
