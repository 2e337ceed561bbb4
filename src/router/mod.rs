//! Top-level dispatch: buffer a request once, pick the control API, a provider
//! or the index, and never fail.
//!
//! For a provider request the pipeline is always the same:
//! 1. read the body under the limit (413 in the provider's envelope);
//! 2. route it (404 / 405 in the provider's envelope);
//! 3. let the scenario's rules delay it, answer it, or misbehave;
//! 4. run the operation, catching any panic as a 500 in the envelope;
//! 5. record it in the journal.
//!
//! `pipeline.rs` holds those steps, `body.rs` the reading of a body under its
//! limits.

mod body;
mod pipeline;

use self::body::BodyError;

use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, ALLOW};
use hyper::StatusCode;
use tokio::sync::watch;

use std::borrow::Cow;
use std::sync::Arc;

use crate::admin;
use crate::clock::Clock;
use crate::dashboard;
use crate::http::{self, Response};
use crate::providers::{with_provider, Provider};
use crate::sandbox::{InFlight, Sandbox};
use crate::scenario::SlowBody;
use crate::state::Tenant;

/// Named once: looking a header up by a string parses the name each time.
const TENANT_HEADER: HeaderName = HeaderName::from_static("x-sandbox-tenant");

/// A control API or dashboard request refused, by a page or the API: from
/// another site's page, or for want of the admin token.
struct Denied {
    page: bool,
    foreign: Option<admin::auth::Foreign>,
}

fn first_segment(path: &str) -> &str {
    let rest = path.trim_start_matches('/');
    rest.find('/').map_or(rest, |end| &rest[..end])
}

/// How a request ends.
#[derive(Debug)]
pub(crate) enum Outcome {
    Respond(Response),
    /// Close the connection without answering.
    Drop,
    /// Abort the connection with a TCP reset.
    Reset,
    /// Answer, sending the body a chunk at a time on the sandbox clock.
    Slow(Response, SlowBody, Clock),
    /// Never answer; the connection closes when the server stops. The request
    /// still counts as in flight while it hangs.
    Hang(Option<InFlight>),
}

/// What the router needs beyond the request.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub(crate) sandbox: Sandbox,
    /// Turns `true` when the server begins to shut down.
    pub(crate) stopping: watch::Receiver<bool>,
}

/// The largest request head accepted, in bytes.
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The size of a request head as it was sent: request line, each header as
/// `name: value` and the line ends. Exact for the usual single space after
/// the colon, which is what every client sends.
fn head_len<B>(req: &hyper::Request<B>) -> usize {
    let line = req.method().as_str().len() + 1 + req.uri().to_string().len() + 11;
    let fields: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
        .sum();
    line + fields + 2
}

/// The answer closes the connection: what is left of the request cannot be
/// trusted to be framed.
fn closing(mut res: Response) -> Response {
    res.headers_mut().insert(
        hyper::header::CONNECTION,
        hyper::header::HeaderValue::from_static("close"),
    );
    res
}

impl App {
    pub(crate) async fn dispatch(&self, req: hyper::Request<Incoming>) -> Outcome {
        // hyper reads somewhat past its buffer limit before it gives up, so
        // the documented limit is enforced here, on the head it parsed.
        if head_len(&req) > MAX_HEAD_BYTES {
            return Outcome::Respond(closing(crate::control::error(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "request_header_fields_too_large",
                &format!("The request head exceeds {MAX_HEAD_BYTES} bytes"),
            )));
        }
        let (tenant, skip) = match self.tenant(&req) {
            Ok(found) => found,
            Err(message) => {
                return Outcome::Respond(crate::control::error(
                    StatusCode::BAD_REQUEST,
                    "invalid_tenant",
                    &message,
                ))
            }
        };
        let remember = match self.guard(&req, skip) {
            Ok(remember) => remember,
            Err(Denied {
                page,
                foreign: Some(why),
            }) => return Outcome::Respond(admin::auth::foreign(&why, page)),
            Err(Denied {
                page,
                foreign: None,
            }) => return Outcome::Respond(admin::auth::denied(page)),
        };
        if let Some(token) = remember {
            // The page link did its work: the cookie is set, and the browser
            // goes to the same page without the token in its address bar
            // (nor in its history, nor in a shared screen).
            let mut res = http::empty(StatusCode::SEE_OTHER);
            if let Ok(location) = HeaderValue::from_str(&without_token(req.uri())) {
                res.headers_mut().insert(hyper::header::LOCATION, location);
            }
            admin::auth::set_cookie(&mut res, token);
            return Outcome::Respond(res);
        }
        self.route(req, skip, &tenant).await
    }

    /// The control API and the dashboard answer only their own pages and
    /// scripts, never another site's page (see [`admin::auth::same_site`]);
    /// with an admin token, they need it too. `Ok(Some(token))` when a page
    /// link granted it: the answer sets the cookie. `Err` says whether a page
    /// or the API refused, and why.
    fn guard(&self, req: &hyper::Request<Incoming>, skip: usize) -> Result<Option<&str>, Denied> {
        let first = first_segment(&req.uri().path()[skip..]);
        let page = first.is_empty() || dashboard::PATHS.contains(&first);
        if first != "__admin" && !page {
            return Ok(None);
        }
        admin::auth::same_site(req.method(), req.headers(), self.sandbox.allowed_hosts()).map_err(
            |why| Denied {
                page,
                foreign: Some(why),
            },
        )?;
        let Some(token) = self.sandbox.admin_token() else {
            return Ok(None);
        };
        // The static script holds nothing to protect.
        if first == "dashboard.js" {
            return Ok(None);
        }
        let link = page && req.method() == hyper::Method::GET;
        match admin::auth::check(token, req.headers(), req.uri().query(), link) {
            admin::auth::Access::Granted => Ok(None),
            admin::auth::Access::GrantedByLink => Ok(Some(token)),
            admin::auth::Access::Denied => Err(Denied {
                page,
                foreign: None,
            }),
        }
    }

    async fn route(
        &self,
        req: hyper::Request<Incoming>,
        skip: usize,
        tenant: &Arc<Tenant>,
    ) -> Outcome {
        let path = &req.uri().path()[skip..];
        let first = first_segment(path);
        if let Some(refusal) = mutual_tls_refusal(&req, first) {
            return Outcome::Respond(refusal);
        }
        if first == "__admin" {
            let limit = self.sandbox.body_limit();
            let tls = req
                .extensions()
                .get::<crate::tls::Peer>()
                .is_some_and(|p| p.tls);
            return match self.buffer(req, skip).await {
                Ok(req) => Outcome::Respond(
                    admin::handle(&req, &self.sandbox, tenant, &self.stopping, tls).await,
                ),
                Err(BodyError::TooLarge) => Outcome::Respond(crate::control::error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    &format!("Request body exceeds {limit} bytes"),
                )),
                Err(BodyError::TooSlow) => Outcome::Respond(closing(crate::control::error(
                    StatusCode::REQUEST_TIMEOUT,
                    "request_timeout",
                    &self.too_slow(),
                ))),
                Err(BodyError::Gone) => Outcome::Drop,
            };
        }
        if (first.is_empty() && dashboard::wants_page(&req)) || dashboard::PATHS.contains(&first) {
            return match self.buffer(req, skip).await {
                Ok(req) => Outcome::Respond(dashboard::handle(&req, &self.sandbox)),
                Err(BodyError::TooLarge) => {
                    Outcome::Respond(http::empty(StatusCode::PAYLOAD_TOO_LARGE))
                }
                Err(BodyError::TooSlow) => {
                    Outcome::Respond(closing(http::empty(StatusCode::REQUEST_TIMEOUT)))
                }
                Err(BodyError::Gone) => Outcome::Drop,
            };
        }
        if let Some(provider) = Provider::from_name(first) {
            // Only slashes can stand before the first segment.
            let slashes = path.len() - path.trim_start_matches('/').len();
            let prefix = skip + slashes + first.len();
            return with_provider!(provider, P => self.provider::<P>(req, prefix, tenant).await);
        }
        // A provider's own host name reaches it without the path prefix.
        // Looked up only here, after the prefixes, so prefixed requests pay
        // nothing for it.
        if let Some((provider, _)) = self.host_provider(&req, tenant) {
            return with_provider!(provider, P => self.provider::<P>(req, skip, tenant).await);
        }
        match first {
            // Browsers ask every page's site for an icon; the pages have
            // none, and say so without a 404 in the console.
            "favicon.ico" => {
                let mut res = http::empty(StatusCode::NO_CONTENT);
                res.headers_mut().insert(
                    hyper::header::CACHE_CONTROL,
                    HeaderValue::from_static("max-age=86400"),
                );
                Outcome::Respond(res)
            }
            "" => Outcome::Respond(match dashboard::Page::parse(req.method(), first) {
                Ok(_) => admin::index(),
                Err(allow) => {
                    let mut res = crate::control::error(
                        StatusCode::METHOD_NOT_ALLOWED,
                        "method_not_allowed",
                        &format!("This endpoint accepts {allow}"),
                    );
                    res.headers_mut()
                        .insert(ALLOW, hyper::header::HeaderValue::from_static(allow));
                    res
                }
            }),
            _ => Outcome::Respond(crate::control::error(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("No provider or page at {path}; providers live under /<provider>/..."),
            )),
        }
    }

    /// The provider whose host the request names: its `Host` header, or the
    /// authority of an absolute-form target (a client that sends its request
    /// through the sandbox as an HTTP proxy).
    fn host_provider<B>(
        &self,
        req: &hyper::Request<B>,
        tenant: &Arc<Tenant>,
    ) -> Option<(Provider, String)> {
        let host = req
            .uri()
            .authority()
            .map(|a| a.as_str())
            .or_else(|| req.headers().get(hyper::header::HOST)?.to_str().ok())?;
        let provider = Provider::for_host(host, &tenant.world().scenario.settings.hosts)?;
        Some((provider, host.to_owned()))
    }

    /// The tenant a request names, by a `/t/<name>/` path prefix or the
    /// `X-Sandbox-Tenant` header, and how many path bytes the prefix takes.
    /// The default tenant is borrowed, not cloned: most requests name none,
    /// and a reference count shared by every request costs on the hot path.
    fn tenant(
        &self,
        req: &hyper::Request<Incoming>,
    ) -> Result<(Cow<'_, Arc<Tenant>>, usize), String> {
        let path = req.uri().path();
        if let Some(rest) = path.strip_prefix("/t/") {
            let name = rest.split('/').next().unwrap_or_default();
            return Ok((Cow::Owned(self.sandbox.tenant_named(name)?), 3 + name.len()));
        }
        match req.headers().get(&TENANT_HEADER) {
            None => Ok((Cow::Borrowed(self.sandbox.tenant()), 0)),
            Some(value) => {
                let name = value
                    .to_str()
                    .map_err(|_| "X-Sandbox-Tenant is not text".to_owned())?;
                Ok((Cow::Owned(self.sandbox.tenant_named(name)?), 0))
            }
        }
    }
}

/// The request's path and query, without its `token` parameter.
fn without_token(uri: &hyper::Uri) -> String {
    let kept: Vec<(String, String)> =
        form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .filter(|(name, _)| name != "token")
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
    if kept.is_empty() {
        return uri.path().to_owned();
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .finish();
    format!("{}?{query}", uri.path())
}

/// Mutual TLS is a property of the connection: over TLS without a client
/// certificate, a connection whose handshake (SNI) or `Host` named a
/// mutual-TLS host is refused whatever path it takes, in the envelope of the
/// provider the path names, else of the host's.
fn mutual_tls_refusal<B>(req: &hyper::Request<B>, first: &str) -> Option<Response> {
    let peer = req.extensions().get::<crate::tls::Peer>()?;
    if !peer.tls || peer.client_certificate {
        return None;
    }
    let named = peer.mutual.or_else(|| {
        let host = req.headers().get(hyper::header::HOST)?.to_str().ok()?;
        crate::providers::mutual_tls_provider(host)
    })?;
    let provider = Provider::from_name(first).unwrap_or(named);
    let refusal = crate::providers::CommonError::ClientCertificateRequired;
    Some(with_provider!(provider, P => <P as crate::providers::ProviderApi>::common_error(refusal)))
}

#[cfg(test)]
mod tests {
    use super::first_segment;

    #[test]
    fn the_first_segment_skips_leading_slashes() {
        for (path, first) in [
            ("", ""),
            ("/", ""),
            ("///", ""),
            ("/shine", "shine"),
            ("//shine//v2/", "shine"),
            ("/__admin/health", "__admin"),
        ] {
            assert_eq!(first_segment(path), first, "{path}");
        }
    }
}
