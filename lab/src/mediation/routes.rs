//! The Mediation Server's HTTP surface: the hybridconfig web service, calls, health, and the
//! lab's control API (status, cmdlets, link fault, and the clock of [`crate::clock::routes`]).
//! Routes: docs/design/mediation.md.

use super::appliance::Appliance;
use super::call::CallRequest;
use super::document::SERVICE_PATH;
use super::{cmdlets, gateway, web_service};
use crate::http::{refusal, LinkRequest};
use crate::runbook::Invocation;
use axum::extract::{Json, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::sync::Arc;

type Shared = State<Arc<Appliance>>;

pub fn router(appliance: Arc<Appliance>) -> Router {
    let control = Router::new()
        .route("/lab/status", get(status))
        .route("/lab/cmdlet", post(cmdlet))
        .route("/lab/link", post(link))
        .route("/lab/gateway", post(gateway_fault))
        .merge(crate::clock::routes(appliance.clock.clone()));
    let open = Router::new().route(SERVICE_PATH, get(web_service_get)).route("/healthz", get(|| async { "ok" }));
    let calls = Router::new().route("/call", post(call));
    Router::new()
        .merge(crate::http::server::open_to_anyone(open))
        .merge(crate::auth::user_routes(calls, &appliance.config.user_credential))
        .merge(crate::auth::control_routes(control, &appliance.config.control_token))
        .with_state(appliance)
}

async fn web_service_get(State(app): Shared, headers: HeaderMap) -> Response {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let reply = web_service::answer(&app.local_store(), &app.config.service_name, host);
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/xml; charset=utf-8")], reply.body()).into_response()
}

async fn call(State(app): Shared, Json(request): Json<CallRequest>) -> Response {
    let (gateway, failed_over) = match app.next_gateway() {
        Ok(picked) => picked,
        Err(tried) => {
            let tried: Vec<String> = tried.iter().map(IpAddr::to_string).collect();
            return refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("no gateway of {} answers (down: {})", app.config.name, tried.join(", ")),
            );
        }
    };
    let gateway = gateway.to_string();
    let leg = gateway::Leg {
        appliance: &app.config.name,
        site: &app.config.site_name,
        mediation_server: &app.config.fqdn,
        gateway: &gateway,
    };
    let mut result = gateway::decide(&app.local_store(), leg, &request);
    result.failed_over_from = failed_over.iter().map(IpAddr::to_string).collect();
    Json(result).into_response()
}

async fn status(State(app): Shared) -> Response {
    Json(app.status_probed().await).into_response()
}

async fn cmdlet(State(app): Shared, Json(invocation): Json<Invocation>) -> Response {
    match cmdlets::execute(&app, &invocation).await {
        Ok(output) => Json(output).into_response(),
        Err(e) => refusal(StatusCode::BAD_REQUEST, e.message),
    }
}

/// `POST /lab/link`: `{"tenant": false}` cuts this appliance's link to the tenant.
async fn link(State(app): Shared, Json(request): Json<LinkRequest>) -> Response {
    app.set_link(request.tenant);
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /lab/gateway`: `{"address": "<ip>", "up": false}` stops one of this Mediation Server's
/// gateways (the lab's fault), `true` starts it again.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct GatewayRequest {
    pub address: IpAddr,
    pub up: bool,
}

async fn gateway_fault(State(app): Shared, Json(request): Json<GatewayRequest>) -> Response {
    if app.set_gateway(request.address, request.up) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        refusal(StatusCode::NOT_FOUND, format!("{} is not a gateway of {}", request.address, app.config.name))
    }
}
