//! The faults a scenario rule can inject: connection-level misbehaviour of
//! an answer, and what can go wrong with a webhook the sandbox sends.

use serde::Deserialize;

use super::Dur;

/// A connection-level misbehaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Close the connection without answering.
    Drop,
    /// Abort the connection with a TCP reset.
    Reset,
    /// Never answer, until the client gives up or the server stops.
    Hang,
    /// Answer, but send the body a few bytes at a time.
    SlowBody(SlowBody),
    /// A webhook: send it twice, with the same call reference.
    Duplicate,
    /// A webhook: hold it until the next one to the same receiver has gone.
    OutOfOrder,
    /// A webhook: spoil its signature headers.
    CorruptSignature,
    /// A webhook: the attempt goes to an endpoint that refuses connections.
    DeadEndpoint,
}

impl Fault {
    /// How a scenario file writes it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Drop => "drop",
            Self::Reset => "reset",
            Self::Hang => "hang",
            Self::SlowBody(_) => "slow_body",
            Self::Duplicate => "duplicate",
            Self::OutOfOrder => "out_of_order",
            Self::CorruptSignature => "corrupt_signature",
            Self::DeadEndpoint => "dead_endpoint",
        }
    }

    /// Whether the fault is one only a webhook can have.
    pub(crate) fn webhook_only(self) -> bool {
        matches!(
            self,
            Self::Duplicate | Self::OutOfOrder | Self::CorruptSignature | Self::DeadEndpoint
        )
    }
}

/// How slowly a `slow_body` fault sends the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlowBody {
    /// Bytes per chunk (16 by default).
    #[serde(default = "default_chunk")]
    pub chunk: usize,
    /// Sandbox time between chunks.
    pub every: Dur,
}

fn default_chunk() -> usize {
    16
}
