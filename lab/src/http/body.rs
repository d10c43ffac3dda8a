//! A request's body stays sealed until its route has accepted the request from its headers
//! alone: a caller without a credential gets its refusal, and its connection closed, before
//! one byte of its body is read.
//!
//! [`gate`] wraps every request of a role (see [`super::server`]): it refuses a declared body
//! over the size limit, seals the body, and after the answer closes the connection when the
//! request was refused for its credential (401, 403), its body was never read, or no route has
//! accepted a request on the connection (a refusal by a route that accepted the request, such as
//! a web service's 403, is an answer and keeps the connection). A route's access layer calls
//! [`accepted`] once the credential is checked ([`crate::auth::require_control`], the tenant's
//! own); routes open to anyone go through [`open_to_anyone`], which reads no body. A handler
//! behind neither finds the body sealed and its extractor fails.

use super::budget::Admission;
use super::server::Limits;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The body of a request no route has accepted yet, with the limits it will be read within.
#[derive(Clone)]
struct Sealed {
    body: Arc<Mutex<Option<Body>>>,
    limits: Limits,
    admission: Admission,
    /// This request's route accepted it: a refusal it answers (a web service's 403) is an
    /// answer, not a refused credential, and its connection stays open.
    accepted: Arc<AtomicBool>,
}

/// The outermost layer of every role's router.
pub(super) async fn gate(
    axum::extract::State(limits): axum::extract::State<Limits>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body as u64) {
        return too_large(limits);
    }
    let Some(admission) = request.extensions().get::<Admission>().cloned() else {
        return one_error_body(next.run(request).await).await;
    };
    let carries_body = declared.is_some_and(|n| n > 0) || request.headers().contains_key(header::TRANSFER_ENCODING);
    let (mut parts, body) = request.into_parts();
    let sealed = Sealed {
        body: Arc::new(Mutex::new(Some(body))),
        limits,
        admission: admission.clone(),
        accepted: Arc::default(),
    };
    parts.extensions.insert(sealed.clone());
    let response = next.run(Request::from_parts(parts, unread())).await;
    let mut response = one_error_body(response).await;
    let unread = carries_body && sealed.body.lock().unwrap().is_some();
    let refused = matches!(response.status(), StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        && !sealed.accepted.load(Ordering::SeqCst);
    if unread || refused || !admission.is_admitted() {
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// What a handler reads of a body no route has accepted: an error.
fn unread() -> Body {
    Body::from_stream(futures::stream::once(async {
        Err::<Bytes, _>(std::io::Error::other("the body of a request no route has accepted is not read"))
    }))
}

/// The request's route accepted it (its credential is good): admits its connection and reads
/// its body within the limits, or answers 408 (too slow) or 413 (too large) and closes.
pub async fn accepted(request: Request) -> Result<Request, Response> {
    let Some(sealed) = request.extensions().get::<Sealed>().cloned() else {
        return Ok(request); // not served by `server::serve` (a router driven directly)
    };
    sealed.admission.admit();
    sealed.accepted.store(true, Ordering::SeqCst);
    let Some(body) = sealed.body.lock().unwrap().take() else {
        return Ok(request);
    };
    let bytes = read_within(body, sealed.limits).await?;
    let (parts, _) = request.into_parts();
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// A layer admitting the connections of `routes`, which anyone may call and which read no body
/// (health checks, the hybridconfig web service).
pub fn open_to_anyone<S: Clone + Send + Sync + 'static>(routes: axum::Router<S>) -> axum::Router<S> {
    routes.route_layer(axum::middleware::from_fn(|request: Request, next: Next| async move {
        if let Some(sealed) = request.extensions().get::<Sealed>() {
            sealed.admission.admit();
            sealed.accepted.store(true, Ordering::SeqCst);
        }
        next.run(request).await
    }))
}

/// Reads `body` whole: it must end within `limits.body` of the headers, and keep up with
/// `limits.body_min_rate` once `limits.body_grace` has passed.
async fn read_within(body: Body, limits: Limits) -> Result<Bytes, Response> {
    let start = tokio::time::Instant::now();
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    loop {
        let by_rate = Duration::from_secs_f64(bytes.len() as f64 / limits.body_min_rate.max(1) as f64);
        let deadline = (start + limits.body_grace + by_rate).min(start + limits.body);
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => return Err(too_slow(limits)),
            Ok(None) => return Ok(Bytes::from(bytes)),
            Ok(Some(Err(e))) => {
                return Err(refuse(StatusCode::BAD_REQUEST, format!("the request body could not be read: {e}")))
            }
            Ok(Some(Ok(chunk))) if bytes.len() + chunk.len() > limits.max_body => return Err(too_large(limits)),
            Ok(Some(Ok(chunk))) => bytes.extend_from_slice(&chunk),
        }
    }
}

/// Errors answered in plain text (axum's refusals of a body it cannot read as JSON, of an
/// unknown method) get the body every role's errors have, `{"error": "<reason>"}`.
async fn one_error_body(response: Response) -> Response {
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !(response.status().is_client_error() || response.status().is_server_error()) || !plain {
        return response;
    }
    let (parts, body) = response.into_parts();
    let reason = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(bytes) if !bytes.is_empty() => String::from_utf8_lossy(&bytes).into_owned(),
        _ => parts.status.canonical_reason().unwrap_or("refused").to_string(),
    };
    let mut response = super::refusal(parts.status, reason);
    for (name, value) in
        parts.headers.iter().filter(|(n, _)| *n != header::CONTENT_TYPE && *n != header::CONTENT_LENGTH)
    {
        response.headers_mut().insert(name.clone(), value.clone());
    }
    response
}

fn too_slow(limits: Limits) -> Response {
    refuse(
        StatusCode::REQUEST_TIMEOUT,
        format!(
            "the request body did not arrive within {:?}, at {} bytes/s after the first {:?}",
            limits.body, limits.body_min_rate, limits.body_grace
        ),
    )
}

fn too_large(limits: Limits) -> Response {
    refuse(StatusCode::PAYLOAD_TOO_LARGE, format!("the request body is larger than {} bytes", limits.max_body))
}

fn refuse(status: StatusCode, reason: String) -> Response {
    let mut response = super::refusal(status, reason);
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
