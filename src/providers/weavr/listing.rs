//! Multi's `GET /sends` and `GET /outgoing_wire_transfers` (the user's own,
//! filtered and paged as the description's parameters say), and the single
//! cancel of each, which the description allows only for a scheduled
//! transaction (`CANCELLED`: "the scheduled ... has been cancelled").

use super::error::WeavrError;
use super::model::TransferView;
use super::model::{Listing, Page};
use super::store::SessionMut;
use super::transfers::Kind;
use crate::http::Request;

/// The states both of the description's `SendState` and
/// `OutgoingWireTransferState` have.
const COMMON_STATES: [&str; 9] = [
    "INVALID",
    "PENDING_CHALLENGE",
    "REJECTED",
    "APPROVED",
    "FAILED",
    "COMPLETED",
    "RETURNED",
    "SCHEDULED",
    "CANCELLED",
];

/// Every state of `kind` the description names: a list filters by any of
/// them, played by the sandbox or not.
fn state_names(kind: Kind) -> Vec<&'static str> {
    let own = match kind {
        Kind::Send => ["INITIALISED", "PENDING"],
        Kind::Owt => ["SUBMITTED", "PENDING_CONFIRMATION"],
    };
    COMMON_STATES.iter().chain(&own).copied().collect()
}

/// The filters of a transactions list.
#[derive(Debug, Default)]
pub(crate) struct TxFilter {
    states: Vec<String>,
    profile_id: Option<String>,
    tag: Option<String>,
    created_from: Option<i64>,
    created_to: Option<i64>,
}

impl TxFilter {
    /// `state` (repeated), `profileId`, `tag`, `createdFrom`, `createdTo`
    /// (epoch milliseconds); each checked as the description types it.
    pub(crate) fn of_query(req: &Request, kind: Kind) -> Result<Self, WeavrError> {
        let query = req.query.as_deref().unwrap_or_default();
        let mut filter = Self::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let millis = || {
                value
                    .parse::<i64>()
                    .map_err(|_| WeavrError::field(name.to_string(), "HAS_TEXT", &[]))
            };
            match &*name {
                "state" if state_names(kind).contains(&&*value) => {
                    filter.states.push(value.into_owned())
                }
                "state" => return Err(WeavrError::field("state", "IN", &state_names(kind))),
                "profileId" => filter.profile_id = Some(value.into_owned()),
                "tag" => filter.tag = Some(value.into_owned()),
                "createdFrom" => filter.created_from = Some(millis()?),
                "createdTo" => filter.created_to = Some(millis()?),
                _ => {}
            }
        }
        Ok(filter)
    }
}

impl SessionMut<'_> {
    /// This user's transactions of `kind`, newest first, that `filter`
    /// keeps: found through the user's own index, never the whole store.
    pub(crate) fn transfers(
        &self,
        kind: Kind,
        filter: &TxFilter,
        page: Page,
    ) -> Listing<TransferView> {
        let mine = self.data.owned.get(&self.user_index);
        let mut found: Vec<_> = mine
            .into_iter()
            .flatten()
            .filter_map(|id| self.data.transfers.get(id))
            .filter(|t| t.kind() == kind)
            .filter(|t| {
                // The state as the answers name it.
                let state = serde_json::to_value(t.state).unwrap_or_default();
                filter.states.is_empty() || filter.states.iter().any(|s| state == **s)
            })
            .filter(|t| {
                filter
                    .profile_id
                    .as_deref()
                    .is_none_or(|p| t.profile_id() == p)
            })
            .filter(|t| filter.tag.is_none() || t.tag() == filter.tag.as_deref())
            .filter(|t| filter.created_from.is_none_or(|from| t.created_ms >= from))
            .filter(|t| filter.created_to.is_none_or(|to| t.created_ms <= to))
            .collect();
        found.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then(b.id.cmp(&a.id)));
        Listing {
            key: match kind {
                Kind::Send => "send",
                Kind::Owt => "transfer",
            },
            items: page.of(&found).iter().map(|t| t.view()).collect(),
            count: found.len(),
        }
    }

    /// Cancels a scheduled transaction. The sandbox schedules none, so a
    /// transaction of this user is always in a state that cannot be
    /// cancelled (409 `INVALID_STATE`); another's or an unknown one is 404.
    pub(crate) fn cancel_transfer(&self, kind: Kind, id: &str) -> Result<(), WeavrError> {
        self.transfer(kind, id)?;
        Err(WeavrError::conflict("INVALID_STATE"))
    }
}
