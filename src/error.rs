//! Errors of starting and configuring a sandbox. Request-level failures never
//! become these: they are answered in the provider's own envelope.

use std::net::SocketAddr;

use crate::scenario::ScenarioError;

/// Why a sandbox could not be built or started.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The scenario was refused; its message carries `file:line:column`.
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// Binding anything but loopback exposes the control API; it needs a token.
    #[error("listening on {addr} exposes the control API: set --admin-token (SCA_SANDBOX_ADMIN_TOKEN), or bind 127.0.0.1")]
    AdminTokenRequired { addr: SocketAddr },
    /// An empty or blank token would turn authentication off while looking on.
    #[error("the admin token is empty: give --admin-token (SCA_SANDBOX_ADMIN_TOKEN) a value, or leave it unset")]
    AdminTokenBlank,
    /// Off loopback the token is all that guards the control API.
    #[error(
        "listening on {addr} needs an admin token of at least {min} characters; this one has {len}"
    )]
    AdminTokenTooShort {
        addr: SocketAddr,
        min: usize,
        len: usize,
    },
    /// A long token of few characters (`aaaaaaaaaaaaaaaa`) is as easy to
    /// guess as a short one.
    #[error(
        "listening on {addr} needs an admin token of at least {min} different characters; this one has {distinct}"
    )]
    AdminTokenWeak {
        addr: SocketAddr,
        min: usize,
        distinct: usize,
    },
    /// The certificate authority or the TLS server could not be set up.
    #[error("TLS: {0}")]
    Tls(String),
    /// Another I/O failure, such as reading the bound address.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
