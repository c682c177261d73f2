//! The SCIM endpoints as an axum [`Router`] (feature `axum`). Nest it under the path the
//! service's base URL names:
//!
//! ```no_run
//! # async fn serve(service: std::sync::Arc<tenantry_scim::service::ScimService>) -> std::io::Result<()> {
//! let app = axum::Router::new().nest("/scim/v2", tenantry_scim::router::router(service));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8087").await?;
//! axum::serve(listener, app).await
//! # }
//! ```

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;

use crate::service::{ScimRequest, ScimService};

/// The media type of SCIM bodies.
pub const SCIM_JSON: &str = "application/scim+json";

/// Every SCIM endpoint of `service`, answering at the router's root (nest it).
pub fn router(service: Arc<ScimService>) -> Router {
    Router::new().fallback(handle).with_state(service)
}

async fn handle(
    State(service): State<Arc<ScimService>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let answer = service
        .handle(ScimRequest {
            method: method.as_str(),
            path: uri.path(),
            query: uri.query().unwrap_or_default(),
            authorization: text(header::AUTHORIZATION),
            if_match: text(header::IF_MATCH),
            if_none_match: text(header::IF_NONE_MATCH),
            body: &body,
        })
        .await;
    let bytes = answer
        .body
        .as_ref()
        .and_then(|b| serde_json::to_vec(b).ok())
        .unwrap_or_default();
    let has_body = answer.body.is_some();
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let out = response.headers_mut();
    if has_body {
        out.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    }
    if let Some(tag) = answer.etag.and_then(|t| HeaderValue::from_str(&t).ok()) {
        out.insert(header::ETAG, tag);
    }
    if let Some(location) = answer.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        out.insert(header::LOCATION, location);
    }
    if answer.status == 401 {
        out.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"scim\""),
        );
    }
    response
}
