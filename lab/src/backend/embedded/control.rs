//! The control API of an embedded lab started with `bypass-lab up`, so that other commands
//! (`clock advance`, `fault restart`) can reach what only this process holds.

use super::appliances::Appliances;
use crate::clock::{Clock, ClockMove, ClockReading};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct ControlState {
    pub clock: Clock,
    pub appliances: Arc<Appliances>,
    /// The DNS servers, for `fault stop|restart dns`.
    pub dns: Arc<Vec<super::dns_roles::DnsRole>>,
    pub token: String,
}

/// `POST /lab/dns`: stop or restart one DNS server.
#[derive(Debug, Serialize, Deserialize)]
pub struct DnsFaultRequest {
    pub server: String,
    pub fault: crate::backend::DnsFault,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Restart {
    pub appliance: String,
    #[serde(default)]
    pub kill: bool,
}

type Reply<T> = Result<Json<T>, (StatusCode, Json<serde_json::Value>)>;

pub async fn serve(listener: TcpListener, state: ControlState, shutdown: CancellationToken) -> std::io::Result<()> {
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/lab/clock", get(now).post(advance))
        .route("/lab/restart", post(restart))
        .route("/lab/dns", post(dns_fault))
        .with_state(state);
    axum::serve(listener, app).with_graceful_shutdown(async move { shutdown.cancelled().await }).await
}

fn authorize(state: &ControlState, headers: &HeaderMap) -> Result<(), (StatusCode, Json<serde_json::Value>)> {
    match crate::auth::bearer(headers) {
        Some(t) if t == state.token => Ok(()),
        Some(_) => Err(refuse(StatusCode::UNAUTHORIZED, "the control credential is not valid for this lab")),
        None => Err(refuse(StatusCode::UNAUTHORIZED, "the lab control API needs the lab's control credential (Authorization: Bearer)")),
    }
}

fn refuse(status: StatusCode, reason: impl Into<String>) -> (StatusCode, Json<serde_json::Value>) {
    (status, Json(serde_json::json!({ "error": reason.into() })))
}

async fn now(State(state): State<ControlState>, headers: HeaderMap) -> Reply<ClockReading> {
    authorize(&state, &headers)?;
    Ok(Json(ClockReading::of(&state.clock)))
}

async fn advance(State(state): State<ControlState>, headers: HeaderMap, Json(m): Json<ClockMove>) -> Reply<ClockReading> {
    authorize(&state, &headers)?;
    state
        .clock
        .advance_to(Duration::from_millis(m.to_ms))
        .await
        .map_err(|e| refuse(StatusCode::GATEWAY_TIMEOUT, e.to_string()))?;
    Ok(Json(ClockReading::of(&state.clock)))
}

async fn restart(State(state): State<ControlState>, headers: HeaderMap, Json(r): Json<Restart>) -> Reply<serde_json::Value> {
    authorize(&state, &headers)?;
    state.appliances.restart(&r.appliance, r.kill).await.map_err(|e| refuse(StatusCode::NOT_FOUND, e.to_string()))?;
    Ok(Json(serde_json::json!({ "restarted": r.appliance })))
}

async fn dns_fault(State(state): State<ControlState>, headers: HeaderMap, Json(r): Json<DnsFaultRequest>) -> Reply<serde_json::Value> {
    authorize(&state, &headers)?;
    let role = state.dns.iter().find(|d| d.name.eq_ignore_ascii_case(&r.server)).ok_or_else(|| refuse(StatusCode::NOT_FOUND, format!("no DNS server named '{}' in this lab", r.server)))?;
    role.fault(r.fault).await.map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(serde_json::json!({ "server": r.server, "fault": r.fault })))
}
