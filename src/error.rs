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
    /// Another I/O failure, such as reading the bound address.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
