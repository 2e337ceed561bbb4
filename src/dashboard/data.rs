//! What each dashboard page shows, gathered from one tenant's world as JSON
//! for the templates. Nothing here is markup: the templates escape it all.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::journal::JournalQuery;
use crate::outbox::{Since, Sms};
use crate::providers::Provider;
use crate::state::World;
use crate::timefmt;

/// How many timeline and journal rows a page shows.
const ROWS: usize = 200;

/// The clock bar, shown on every page.
pub(super) fn clock(world: &World) -> Value {
    json!({
        "now": timefmt::seconds(&world.now()),
        "frozen": world.clock.is_frozen(),
    })
}

/// The last timeline position, so the page's script asks only for news.
pub(super) fn last_event(world: &World) -> u64 {
    world
        .events
        .list(Since::Start, |_| true)
        .last()
        .map_or(0, |e| e.seq)
}

/// The SMS inbox: per phone number (most recent first), newest message first,
/// with the code split out so the page can highlight it.
pub(super) fn inbox(world: &World, tenant_query: &str) -> Value {
    let mut by_phone: BTreeMap<String, Vec<Sms>> = BTreeMap::new();
    for sms in world.outbox.list(Since::Start, |_| true) {
        by_phone.entry(sms.to.clone()).or_default().push(sms);
    }
    let mut phones: Vec<(u64, Value)> = by_phone
        .into_iter()
        .map(|(to, mut messages)| {
            messages.sort_by_key(|m| std::cmp::Reverse(m.seq));
            let newest = messages.first().map_or(0, |m| m.seq);
            let messages: Vec<Value> = messages.iter().map(|m| message(m, tenant_query)).collect();
            (newest, json!({ "to": to, "messages": messages }))
        })
        .collect();
    phones.sort_by_key(|p| std::cmp::Reverse(p.0));
    Value::Array(phones.into_iter().map(|(_, v)| v).collect())
}

fn message(sms: &Sms, tenant_query: &str) -> Value {
    // The text around the code, so the code can be marked without markup
    // in the data.
    let (before, code, after) = match sms
        .code
        .as_deref()
        .and_then(|c| Some((c, sms.text.find(c)?)))
    {
        Some((code, at)) => (&sms.text[..at], Some(code), &sms.text[at + code.len()..]),
        None => (sms.text.as_str(), None, ""),
    };
    let flow = sms.reference.as_ref().map(|r| {
        format!(
            "/timeline?subject={}{tenant_query}",
            form_urlencoded::byte_serialize(r.as_bytes()).collect::<String>()
        )
    });
    json!({
        "id": sms.id,
        "provider": sms.provider,
        "purpose": sms.purpose,
        "sent_at": timefmt::seconds(&sms.sent_at),
        "before": before,
        "code": code,
        "after": after,
        "reference": sms.reference,
        "flow": flow,
    })
}

/// Everything waiting for the end user, keyed by provider.
pub(super) fn pending(world: &World) -> Value {
    Value::Array(crate::providers::pending(world))
}

/// The timeline, newest first, optionally for one provider or subject.
pub(super) fn timeline(world: &World, provider: Option<&str>, subject: Option<&str>) -> Value {
    let events = world.events.list(Since::Start, |e| {
        provider.is_none_or(|p| e.provider == p) && subject.is_none_or(|s| e.subject == s)
    });
    let rows: Vec<Value> = events
        .iter()
        .rev()
        .take(ROWS)
        .map(|e| {
            json!({
                "seq": e.seq,
                "at": timefmt::seconds(&e.at),
                "type": e.kind,
                "provider": e.provider,
                "subject": e.subject,
                "data": if e.data.is_null() { String::new() } else { e.data.to_string() },
                // A webhook's step offers its redelivery.
                "delivery": e.kind.starts_with("webhook.").then(|| e.data.get("delivery")).flatten(),
            })
        })
        .collect();
    Value::Array(rows)
}

/// The journal, newest first.
pub(super) fn journal(world: &World) -> Value {
    let mut entries = world.journal.read(&JournalQuery {
        provider: None,
        operation: None,
        limit: None,
    });
    entries.sort_by_key(|e| std::cmp::Reverse(e.seq));
    let rows: Vec<Value> = entries
        .iter()
        .take(ROWS)
        .map(|e| {
            json!({
                "seq": e.seq,
                "at": timefmt::seconds(&e.at),
                "method": e.method.as_str(),
                "path": e.path,
                "provider": e.provider.name(),
                "operation": e.operation,
                "status": e.status,
                "failed": e.status >= 400 || e.status == 0,
                "duration_ms": format!("{:.2}", e.duration_ms),
                "rule": e.rule.as_deref(),
            })
        })
        .collect();
    Value::Array(rows)
}

/// The provider names for the timeline filter.
pub(super) fn providers(selected: Option<&str>) -> Value {
    Value::Array(
        Provider::ALL
            .iter()
            .map(|p| json!({ "name": p.name(), "selected": Some(p.name()) == selected }))
            .chain(std::iter::once(
                json!({ "name": "sandbox", "selected": Some("sandbox") == selected }),
            ))
            .collect(),
    )
}
