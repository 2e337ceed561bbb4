//! `GET /__admin/report`: the integration report of the tenant, as JSON,
//! JUnit XML (`?format=junit`) or Markdown (`?format=markdown`).

use bytes::Bytes;
use hyper::StatusCode;

use super::Cx;
use crate::control::{ControlError, Reply};
use crate::http::{self, Request, Response};
use crate::report::{rendered, Format};

pub(super) fn get(req: &Request, cx: &Cx<'_>) -> Reply<Response> {
    let format = match req.query_param("format") {
        None => Format::Json,
        Some(name) => Format::parse(&name).ok_or_else(|| {
            ControlError::bad_query("format", "format is json, junit or markdown")
        })?,
    };
    let report = cx.tenant.world().report();
    let (body, content_type) = rendered(&report, format);
    Ok(http::with_type(
        StatusCode::OK,
        Bytes::from(body),
        content_type,
    ))
}
