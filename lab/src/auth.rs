//! The lab's credentials.
//!
//! The tenant distinguishes three callers, as Skype for Business Online does: tenant
//! administrators (remote PowerShell), appliances (each with its own credential) and users
//! (clients signing in). A fourth, the lab's control credential, lets the lab itself move a
//! role's clock and inject faults. All travel as `Authorization: Bearer <token>`.

use crate::topology::Topology;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Environment variable through which `serve` commands receive the secrets as JSON.
pub const SECRETS_ENV: &str = "BYPASS_LAB_SECRETS";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Secrets {
    /// Tenant administrator credential.
    pub admin: String,
    /// Lab control credential (clock, faults); never given to clients.
    pub control: String,
    /// The password every simulated user signs in with.
    pub users: String,
    /// Each appliance's own credential, by appliance name.
    pub appliances: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("cannot read secrets from {origin}: {reason}")]
    Unreadable { origin: String, reason: String },
}

impl Secrets {
    /// Fresh random credentials for every role of a topology.
    pub fn generate(topology: &Topology) -> Secrets {
        let token = || uuid::Uuid::new_v4().simple().to_string();
        Secrets {
            admin: token(),
            control: token(),
            users: token(),
            appliances: topology.appliances().map(|(_, a)| (a.name.clone(), token())).collect(),
        }
    }

    /// Fixed, documented credentials for a role started by hand (`serve` without secrets).
    pub fn well_known(topology: &Topology) -> Secrets {
        Secrets {
            admin: "lab-admin".into(),
            control: "lab-control".into(),
            users: "lab-user".into(),
            appliances: topology
                .appliances()
                .map(|(_, a)| (a.name.clone(), format!("lab-appliance-{}", a.name)))
                .collect(),
        }
    }

    /// From `--secrets FILE`, else `$BYPASS_LAB_SECRETS`, else the well-known ones.
    pub fn resolve(file: Option<&Path>, topology: &Topology) -> Result<Secrets, SecretsError> {
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| SecretsError::Unreadable { origin: path.display().to_string(), reason: e.to_string() })?;
            return serde_json::from_str(&text)
                .map_err(|e| SecretsError::Unreadable { origin: path.display().to_string(), reason: e.to_string() });
        }
        if let Ok(text) = std::env::var(SECRETS_ENV) {
            return serde_json::from_str(&text)
                .map_err(|e| SecretsError::Unreadable { origin: format!("${SECRETS_ENV}"), reason: e.to_string() });
        }
        Ok(Secrets::well_known(topology))
    }

    /// The credential of one appliance, if it is part of the lab.
    pub fn appliance(&self, name: &str) -> Option<&str> {
        self.appliances.get(name).map(String::as_str)
    }
}

/// The bearer token of a request's `Authorization` header, if it has one.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// The credential a guarded route wants, as the state of [`require_control`] and
/// [`require_user`].
#[derive(Clone)]
pub struct ControlToken(pub std::sync::Arc<str>);

impl ControlToken {
    pub fn new(token: &str) -> ControlToken {
        ControlToken(token.into())
    }
}

/// The one check of the control credential on every role's control routes (`/lab/...`), as a
/// layer: it runs from the headers alone, before one byte of the body is read
/// ([`crate::http::server::accepted`]), so a caller without the credential gets 401, its
/// connection closed, and learns nothing of a route's fields. Refusals have the body every
/// role uses for errors ([`crate::http::refusal`]).
pub async fn require_control(
    axum::extract::State(expected): axum::extract::State<ControlToken>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    check(&expected, request, next, "the lab's control credential").await
}

/// [`require_control`] for routes a user's client calls with the users' credential (a
/// Mediation Server's `/call`).
pub async fn require_user(
    axum::extract::State(expected): axum::extract::State<ControlToken>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    check(&expected, request, next, "a user's credential").await
}

/// Lets the request on when it carries `expected`; otherwise 401 naming `credential`.
async fn check(
    expected: &ControlToken,
    request: axum::extract::Request,
    next: axum::middleware::Next,
    credential: &str,
) -> axum::response::Response {
    let reason = match bearer(request.headers()) {
        Some(token) if token == &*expected.0 => return accept(request, next).await,
        Some(_) => format!("the bearer token is not {credential}"),
        None => format!("expected 'Authorization: Bearer <{credential}>'"),
    };
    crate::http::refusal(axum::http::StatusCode::UNAUTHORIZED, reason)
}

/// The request passed its check: its body may now be read.
async fn accept(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    match crate::http::server::accepted(request).await {
        Ok(request) => next.run(request).await,
        Err(refused) => refused,
    }
}

/// Applies [`require_control`] to every route of `routes`.
pub fn control_routes<S: Clone + Send + Sync + 'static>(routes: axum::Router<S>, token: &str) -> axum::Router<S> {
    routes.route_layer(axum::middleware::from_fn_with_state(ControlToken::new(token), require_control))
}

/// Applies [`require_user`] to every route of `routes`.
pub fn user_routes<S: Clone + Send + Sync + 'static>(routes: axum::Router<S>, token: &str) -> axum::Router<S> {
    routes.route_layer(axum::middleware::from_fn_with_state(ControlToken::new(token), require_user))
}
