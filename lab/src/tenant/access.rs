//! Who is calling: the tenant tells administrators, appliances and users apart by their bearer
//! token, and refuses everything else with a reason that names the expected credential.

use super::api_error::ApiError;
use crate::auth::{bearer, Secrets};
use axum::http::{header, HeaderMap};
use std::collections::HashMap;

/// The lab's secrets as the tenant checks them: every request carries a token, and with
/// thousands of appliances a scan of their credentials per request would cost more than the
/// request itself.
pub struct Credentials {
    secrets: Secrets,
    /// Appliance name by its credential.
    appliances: HashMap<String, String>,
}

impl Credentials {
    pub fn new(secrets: Secrets) -> Credentials {
        let appliances = secrets.appliances.iter().map(|(name, token)| (token.clone(), name.clone())).collect();
        Credentials { secrets, appliances }
    }

    /// The appliance whose credential `token` is.
    fn appliance(&self, token: &str) -> Option<&String> {
        self.appliances.get(token)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Admin,
    /// An appliance, by its name in the topology.
    Appliance(String),
    User,
    /// The lab's own control credential: valid, but never for tenant routes.
    Control,
}

impl Caller {
    fn describe(&self) -> String {
        match self {
            Caller::Admin => "the tenant administrator's credential".into(),
            Caller::Appliance(name) => format!("the credential of appliance {name}"),
            Caller::User => "a user's credential".into(),
            Caller::Control => "the lab control credential".into(),
        }
    }
}

/// The kind of credential a route wants, for messages.
#[derive(Debug, Clone, Copy)]
pub enum Expected {
    Admin,
    Appliance,
    User,
}

impl Expected {
    fn describe(self) -> &'static str {
        match self {
            Expected::Admin => "the tenant administrator's credential",
            Expected::Appliance => "an appliance's credential",
            Expected::User => "a user's credential",
        }
    }
}

/// Identifies the caller, or 401 when the header is missing, malformed or unknown.
pub fn identify(headers: &HeaderMap, credentials: &Credentials, expected: Expected) -> Result<Caller, ApiError> {
    let want = expected.describe();
    if !headers.contains_key(header::AUTHORIZATION) {
        return Err(ApiError::unauthorized(format!("missing Authorization header: expected 'Bearer <{want}>'")));
    }
    let token = bearer(headers)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized(format!("malformed Authorization header: expected 'Bearer <{want}>'")))?;
    let secrets = &credentials.secrets;
    if token == secrets.admin {
        Ok(Caller::Admin)
    } else if token == secrets.users {
        Ok(Caller::User)
    } else if token == secrets.control {
        Ok(Caller::Control)
    } else if let Some(name) = credentials.appliance(token) {
        Ok(Caller::Appliance(name.clone()))
    } else {
        Err(ApiError::unauthorized(format!("the bearer token is not a credential of this tenant: expected {want}")))
    }
}

/// Identifies the caller and insists on the kind of credential; the wrong kind is 403.
pub fn require(headers: &HeaderMap, credentials: &Credentials, expected: Expected) -> Result<Caller, ApiError> {
    let caller = identify(headers, credentials, expected)?;
    let fits = matches!(
        (&caller, expected),
        (Caller::Admin, Expected::Admin) | (Caller::Appliance(_), Expected::Appliance) | (Caller::User, Expected::User)
    );
    if fits {
        Ok(caller)
    } else {
        Err(ApiError::forbidden(format!(
            "this route needs {}, but the request carries {}",
            expected.describe(),
            caller.describe()
        )))
    }
}

/// An appliance may act only under its own name.
pub fn require_appliance(headers: &HeaderMap, credentials: &Credentials, name: &str) -> Result<String, ApiError> {
    match require(headers, credentials, Expected::Appliance)? {
        Caller::Appliance(own) if own.eq_ignore_ascii_case(name) => Ok(own),
        Caller::Appliance(own) => Err(ApiError::forbidden(format!(
            "the credential of appliance {own} cannot act for appliance '{name}': expected {name}'s own credential"
        ))),
        _ => unreachable!("require checked the kind"),
    }
}

/// The tenant's routes' check of the kind of credential, as a layer: from the headers alone,
/// before one byte of the body is read ([`crate::http::server::accepted`]), so a caller
/// without the credential is refused with its connection closed and its body never read.
pub async fn guard(
    axum::extract::State((tenant, expected)): axum::extract::State<(super::state::Tenant, Expected)>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Err(refused) = require(request.headers(), tenant.credentials(), expected) {
        return refused.into_response();
    }
    match crate::http::server::accepted(request).await {
        Ok(request) => next.run(request).await,
        Err(refused) => refused,
    }
}
