//! The client host's HTTP surface: its control API, the users' actions and the clock of
//! [`crate::clock::routes`] (routes and status codes: docs/design/client.md).

use super::eligibility::{ClientKind, ClientVersion, Platform, Vpn};
use super::host::Host;
use super::outcome::FetchOutcome;
use super::status::ClientStatus;
use super::ClientError;
use crate::mediation::{CallResult, Direction};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::sync::Arc;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignInRequest {
    pub address: IpAddr,
    /// The client build, e.g. `16.0.7870.2020`; absent: a supported one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `full` or `split` when the client is on a VPN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpn: Option<String>,
    /// `windows` or `mac`; absent: Windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

impl SignInRequest {
    /// The client kind asked for; a bad version or VPN mode is refused before anything happens.
    pub fn kind(&self) -> Result<ClientKind, ClientError> {
        let mut kind = ClientKind::default();
        if let Some(version) = &self.version {
            kind.version = ClientVersion::parse(version).map_err(ClientError::BadSignIn)?;
        }
        if let Some(vpn) = &self.vpn {
            kind.vpn = Some(Vpn::parse(vpn).map_err(ClientError::BadSignIn)?);
        }
        if let Some(platform) = &self.platform {
            kind.platform = Platform::parse(platform).map_err(ClientError::BadSignIn)?;
        }
        Ok(kind)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallOrder {
    pub number: String,
    /// A PSTN caller rings the user instead of the user dialling out.
    #[serde(default)]
    pub inbound: bool,
}

pub fn router(host: Arc<Host>) -> Router {
    let guarded = Router::new()
        .route("/users", get(list))
        .route("/users/{user}", get(status))
        .route("/users/{user}/signin", post(sign_in))
        .route("/users/{user}/signout", post(sign_out))
        .route("/users/{user}/fetch", post(fetch))
        .route("/users/{user}/flushdns", post(flush_dns))
        .route("/users/{user}/call", post(call))
        .route("/users/{user}/log", get(log))
        .merge(crate::clock::routes(host.clock.clone()));
    let guarded = crate::auth::control_routes(guarded, &host.config.control_token);
    let open = Router::new().route("/healthz", get(|| async { "ok" }));
    Router::new().merge(crate::http::server::open_to_anyone(open)).merge(guarded).with_state(host)
}

impl IntoResponse for ClientError {
    fn into_response(self) -> Response {
        let status = match &self {
            ClientError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ClientError::UnknownUser(_) => StatusCode::NOT_FOUND,
            ClientError::BadUserName(_) | ClientError::BadSignIn(_) => StatusCode::BAD_REQUEST,
            ClientError::NotSignedIn(_) => StatusCode::CONFLICT,
            ClientError::Provisioning { .. } | ClientError::CallFailed { .. } | ClientError::NoMediationServer(_) => {
                StatusCode::BAD_GATEWAY
            }
            ClientError::Clock(_) => StatusCode::GATEWAY_TIMEOUT,
            ClientError::Io(_) | ClientError::Panicked(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        crate::http::refusal(status, self.to_string())
    }
}

async fn list(State(host): State<Arc<Host>>) -> Json<Vec<ClientStatus>> {
    Json(host.list())
}

async fn status(State(host): State<Arc<Host>>, Path(user): Path<String>) -> Result<Json<ClientStatus>, ClientError> {
    host.status(&user).map(Json)
}

async fn sign_in(
    State(host): State<Arc<Host>>,
    Path(user): Path<String>,
    Json(body): Json<SignInRequest>,
) -> Result<Json<ClientStatus>, ClientError> {
    host.sign_in(&user, body.address, body.kind()?).await.map(Json)
}

async fn sign_out(State(host): State<Arc<Host>>, Path(user): Path<String>) -> Result<Json<ClientStatus>, ClientError> {
    host.sign_out(&user).map(Json)
}

/// `ipconfig /flushdns` on the user's machine: `{"flushed": N}` names forgotten.
async fn flush_dns(
    State(host): State<Arc<Host>>,
    Path(user): Path<String>,
) -> Result<Json<serde_json::Value>, ClientError> {
    host.flush_dns(&user).map(|n| Json(serde_json::json!({ "flushed": n })))
}

async fn fetch(State(host): State<Arc<Host>>, Path(user): Path<String>) -> Json<FetchOutcome> {
    let now = host.clock.now();
    Json(host.fetch(&user, now).await)
}

async fn call(
    State(host): State<Arc<Host>>,
    Path(user): Path<String>,
    Json(order): Json<CallOrder>,
) -> Result<Json<CallResult>, ClientError> {
    let direction = if order.inbound { Direction::Inbound } else { Direction::Outbound };
    host.call(&user, &order.number, direction).await.map(Json)
}

async fn log(State(host): State<Arc<Host>>, Path(user): Path<String>) -> Result<Response, ClientError> {
    let text = host.log_text(&user)?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}
