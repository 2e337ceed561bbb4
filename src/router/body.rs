//! Reading a request's body once, under the body limit and the body timeout.

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use super::App;
use crate::http::Request;

/// Why the body could not be read.
pub(super) enum BodyError {
    TooLarge,
    /// The body did not arrive within the time limit (a stalled or trickled
    /// upload); the answer closes the connection.
    TooSlow,
    /// The client went away mid-body; there is no one to answer.
    Gone,
}

impl App {
    /// Reads the whole body, refusing more than the body limit, up front when
    /// the client declares the length and otherwise as the bytes arrive, and
    /// refusing a body that takes longer than the body timeout. The request's
    /// path is what follows the first `prefix` bytes.
    pub(super) async fn buffer(
        &self,
        req: hyper::Request<Incoming>,
        prefix: usize,
    ) -> Result<Request, BodyError> {
        let limit = self.sandbox.body_limit();
        let (parts, body) = req.into_parts();
        // hyper knows a declared length (it checked `Content-Length`); a body
        // without one is counted by `Limited` as it arrives.
        if hyper::body::Body::size_hint(&body).lower() > limit as u64 {
            return Err(BodyError::TooLarge);
        }
        // Real time, not the sandbox clock: this guards the server's sockets.
        let body = if hyper::body::Body::is_end_stream(&body) {
            Bytes::new()
        } else {
            tokio::time::timeout(self.sandbox.body_timeout(), read_body(body, limit))
                .await
                .map_err(|_| BodyError::TooSlow)??
        };
        Ok(request(parts, prefix, body))
    }

    pub(super) fn too_slow(&self) -> String {
        let after = crate::scenario::Dur(self.sandbox.body_timeout());
        format!("The request body did not arrive within {after}")
    }
}

fn request(parts: hyper::http::request::Parts, prefix: usize, body: Bytes) -> Request {
    Request {
        method: parts.method,
        path: parts
            .uri
            .path()
            .get(prefix..)
            .unwrap_or_default()
            .to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
        tls: parts
            .extensions
            .get::<crate::tls::Peer>()
            .is_some_and(|peer| peer.tls),
        id: (0, ""),
    }
}

/// The body's bytes. A body that arrives in one frame, as most do, is kept
/// as it came, without a copy or a list of chunks.
async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, BodyError> {
    let mut body = Limited::new(body, limit);
    let mut first = Bytes::new();
    let mut joined: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                BodyError::TooLarge
            } else {
                BodyError::Gone
            }
        })?;
        // Trailers carry nothing a handler reads.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        match &mut joined {
            Some(joined) => joined.extend_from_slice(&data),
            None if first.is_empty() => first = data,
            None => {
                let mut both = BytesMut::with_capacity(first.len() + data.len());
                both.extend_from_slice(&first);
                both.extend_from_slice(&data);
                joined = Some(both);
            }
        }
    }
    Ok(joined.map_or(first, BytesMut::freeze))
}
