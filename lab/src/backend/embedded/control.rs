//! The control API of an embedded lab started with `bypass-lab up`, so that other commands
//! (`clock advance`, `fault restart`) can reach what only this process holds.

use super::appliances::Appliances;
use crate::clock::Clock;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
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
    let guarded = Router::new()
        .merge(crate::clock::routes(state.clock.clone()))
        .route("/lab/restart", post(restart))
        .route("/lab/dns", post(dns_fault));
    let open = Router::new().route("/healthz", get(|| async { "ok" }));
    let app = Router::new()
        .merge(crate::http::server::open_to_anyone(open))
        .merge(crate::auth::control_routes(guarded, &state.token))
        .with_state(state);
    crate::http::server::serve(listener, app, Default::default(), shutdown).await
}

fn refuse(status: StatusCode, reason: impl Into<String>) -> (StatusCode, Json<serde_json::Value>) {
    (status, Json(serde_json::json!({ "error": reason.into() })))
}

async fn restart(State(state): State<ControlState>, Json(r): Json<Restart>) -> Reply<serde_json::Value> {
    state.appliances.restart(&r.appliance, r.kill).await.map_err(|e| refuse(StatusCode::NOT_FOUND, e.to_string()))?;
    Ok(Json(serde_json::json!({ "restarted": r.appliance })))
}

async fn dns_fault(State(state): State<ControlState>, Json(r): Json<DnsFaultRequest>) -> Reply<serde_json::Value> {
    let role = state
        .dns
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(&r.server))
        .ok_or_else(|| refuse(StatusCode::NOT_FOUND, format!("no DNS server named '{}' in this lab", r.server)))?;
    role.fault(r.fault).await.map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(serde_json::json!({ "server": r.server, "fault": r.fault })))
}
