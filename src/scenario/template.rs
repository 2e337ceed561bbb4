//! Templated `respond` bodies: strings may quote the request.
//!
//! ```yaml
//! respond:
//!   status: 402
//!   body:
//!     error: insufficient_funds
//!     requested: "{{body.amount.value}}"   # alone in its string: keeps its JSON type
//!     message: "No {{body.amount.currency}} left for {{header.x-user}}"
//!     id: "{{uuid}}"
//! ```
//!
//! Placeholders: `body.<path>` (object keys and array indexes, dotted),
//! `header.<name>`, `query.<name>`, `path`, `method`, `uuid` (seeded) and
//! `now` (sandbox time). A placeholder alone in its string is replaced by the
//! value itself; inside other text it is written as text. Anything missing
//! becomes `null`, or nothing inside text. Templates are checked when the
//! scenario loads, so a typo is an error with its position, not a silent gap.

use serde_json::{Map, Value};

use super::probe::Probe;
use crate::ids::IdGen;

/// What a template's `uuid` and `now` read from the world that answers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Env<'a> {
    pub(crate) ids: &'a IdGen,
    pub(crate) now: chrono::DateTime<chrono::Utc>,
}

/// One `{{...}}` placeholder.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Body(Vec<String>),
    Header(String),
    Query(String),
    Path,
    Method,
    Uuid,
    Now,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    Text(String),
    Expr(Expr),
}

/// A JSON value with placeholders in its strings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Template {
    Fixed(Value),
    Text(Vec<Part>),
    Array(Vec<Template>),
    Object(Vec<(String, Template)>),
}

impl Template {
    /// Compiles a body; `None` when it holds no placeholder, so the answer can
    /// be serialised once at load time.
    pub(crate) fn compile(value: &Value) -> Result<Option<Self>, String> {
        let template = Self::node(value)?;
        Ok((!matches!(template, Self::Fixed(_))).then_some(template))
    }

    fn node(value: &Value) -> Result<Self, String> {
        Ok(match value {
            Value::String(s) if s.contains("{{") => Self::Text(parse(s)?),
            Value::Array(items) => {
                let nodes = items
                    .iter()
                    .map(Self::node)
                    .collect::<Result<Vec<_>, _>>()?;
                if nodes.iter().all(|n| matches!(n, Self::Fixed(_))) {
                    Self::Fixed(value.clone())
                } else {
                    Self::Array(nodes)
                }
            }
            Value::Object(map) => {
                let nodes = map
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), Self::node(v)?)))
                    .collect::<Result<Vec<_>, String>>()?;
                if nodes.iter().all(|(_, n)| matches!(n, Self::Fixed(_))) {
                    Self::Fixed(value.clone())
                } else {
                    Self::Object(nodes)
                }
            }
            other => Self::Fixed(other.clone()),
        })
    }

    /// The body for one request, if what it quotes fits in `room` bytes
    /// (what it spends is taken off `room`). Rendering stops as soon as it
    /// does not, so a template that repeats a large value costs no more
    /// than the limit.
    pub(crate) fn render(
        &self,
        probe: &Probe<'_>,
        env: Env<'_>,
        room: &mut usize,
    ) -> Option<Value> {
        Some(match self {
            Self::Fixed(v) => v.clone(),
            Self::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|t| t.render(probe, env, room))
                    .collect::<Option<_>>()?,
            ),
            Self::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, t)| Some((k.clone(), t.render(probe, env, room)?)))
                    .collect::<Option<Map<_, _>>>()?,
            ),
            Self::Text(parts) => match parts.as_slice() {
                [Part::Expr(expr)] => {
                    let value = eval(expr, probe, env).unwrap_or(Value::Null);
                    spend(room, json_len(&value, *room)?)?;
                    value
                }
                parts => {
                    let mut out = String::new();
                    for part in parts {
                        match part {
                            Part::Text(t) => out.push_str(t),
                            Part::Expr(e) => match eval(e, probe, env) {
                                Some(Value::String(s)) => out.push_str(&s),
                                Some(Value::Null) | None => {}
                                Some(other) => {
                                    spend(room, json_len(&other, *room)?)?;
                                    out.push_str(&other.to_string());
                                }
                            },
                        }
                        if out.len() > *room {
                            return None;
                        }
                    }
                    spend(room, out.len())?;
                    Value::String(out)
                }
            },
        })
    }
}

/// Takes `n` bytes off `room`, if it has them.
fn spend(room: &mut usize, n: usize) -> Option<()> {
    *room = room.checked_sub(n)?;
    Some(())
}

/// The length of `value` as JSON, if it is at most `limit`: writing stops
/// at the limit, so a large value is never written out whole.
fn json_len(value: &Value, limit: usize) -> Option<usize> {
    struct Count {
        n: usize,
        limit: usize,
    }
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.n += buf.len();
            if self.n > self.limit {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count { n: 0, limit };
    serde_json::to_writer(&mut count, value).ok()?;
    Some(count.n)
}

fn parse(text: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            parts.push(Part::Text(rest[..start].to_owned()));
        }
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unclosed `{{{{` in template `{text}`"))?;
        parts.push(Part::Expr(expr(after[..end].trim())?));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_owned()));
    }
    Ok(parts)
}

fn expr(name: &str) -> Result<Expr, String> {
    let named = |prefix: &str| name.strip_prefix(prefix).filter(|rest| !rest.is_empty());
    Ok(match name {
        "path" => Expr::Path,
        "method" => Expr::Method,
        "uuid" => Expr::Uuid,
        "now" => Expr::Now,
        _ => {
            if let Some(path) = named("body.") {
                Expr::Body(path.split('.').map(str::to_owned).collect())
            } else if let Some(header) = named("header.") {
                Expr::Header(header.to_ascii_lowercase())
            } else if let Some(query) = named("query.") {
                Expr::Query(query.to_owned())
            } else {
                return Err(format!(
                    "unknown placeholder `{{{{{name}}}}}`; use body.<field>, header.<name>, query.<name>, path, method, uuid or now"
                ));
            }
        }
    })
}

fn eval(expr: &Expr, probe: &Probe<'_>, env: Env<'_>) -> Option<Value> {
    match expr {
        Expr::Body(path) => {
            let mut at = probe.body()?;
            for key in path {
                at = match at {
                    Value::Array(items) => items.get(key.parse::<usize>().ok()?)?,
                    Value::Object(map) => map.get(key)?,
                    _ => return None,
                };
            }
            Some(at.clone())
        }
        Expr::Header(name) => probe.header(name).map(|h| Value::String(h.to_owned())),
        Expr::Query(name) => probe.query(name).map(Value::String),
        Expr::Path => Some(Value::String(probe.path.to_owned())),
        Expr::Method => Some(Value::String(probe.method.to_owned())),
        Expr::Uuid => Some(Value::String(env.ids.uuid().to_string())),
        Expr::Now => Some(Value::String(crate::timefmt::millis(&env.now))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn bodies_without_placeholders_stay_fixed() {
        assert_eq!(Template::compile(&json!({ "a": [1, "b"] })).unwrap(), None);
    }

    #[test]
    fn placeholders_are_parsed_and_checked() {
        let t = Template::compile(&json!({ "x": "a {{ body.b.0 }} c {{uuid}}" }))
            .unwrap()
            .unwrap();
        let Template::Object(fields) = t else {
            panic!()
        };
        assert_eq!(
            fields[0].1,
            Template::Text(vec![
                Part::Text("a ".into()),
                Part::Expr(Expr::Body(vec!["b".into(), "0".into()])),
                Part::Text(" c ".into()),
                Part::Expr(Expr::Uuid),
            ])
        );
        for (bad, says) in [
            ("{{body}}", "unknown placeholder"),
            ("{{header.}}", "unknown placeholder"),
            ("{{nope}}", "unknown placeholder"),
            ("{{body.a", "unclosed"),
        ] {
            let err = Template::compile(&json!(bad)).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
