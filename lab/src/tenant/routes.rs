//! The tenant's HTTP routes (see docs/design/tenant.md).

use super::access::{require, require_appliance, Expected};
use super::api_error::ApiError;
use super::internal_url::validate_internal_url;
use super::model::*;
use super::shared::Tenant;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The longest a long poll may wait (lab choice): longer requests are cut to this.
pub const MAX_LONG_POLL: Duration = Duration::from_secs(300);

pub fn router(tenant: Tenant) -> Router {
    Router::new()
        .route("/healthz", get(|| async { StatusCode::OK }))
        .route("/admin/configuration", get(configuration))
        .route("/admin/hybrid-configuration", get(hybrid_configuration))
        .route("/admin/hybrid-configuration/internal-url", put(set_internal_url))
        .route("/admin/network-configuration", get(network_configuration))
        .route("/admin/network-configuration/media-bypass-settings", put(set_media_bypass))
        .route("/admin/appliances", get(appliances))
        .route("/appliance/register", post(register))
        .route("/appliance/configuration", get(appliance_configuration))
        .route("/appliance/contact", post(contact))
        .route("/provisioning/{user}", get(provisioning))
        .with_state(tenant)
}

type Answer<T> = Result<Json<T>, ApiError>;

fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes, what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("the body is not {what}: {e}")))
}

async fn configuration(State(t): State<Tenant>, headers: HeaderMap) -> Answer<TenantConfiguration> {
    require(&headers, t.secrets(), Expected::Admin)?;
    Ok(Json(t.snapshot().await.configuration))
}

async fn hybrid_configuration(State(t): State<Tenant>, headers: HeaderMap) -> Answer<HybridConfiguration> {
    require(&headers, t.secrets(), Expected::Admin)?;
    Ok(Json(t.snapshot().await.configuration.hybrid))
}

async fn network_configuration(State(t): State<Tenant>, headers: HeaderMap) -> Answer<NetworkConfiguration> {
    require(&headers, t.secrets(), Expected::Admin)?;
    Ok(Json(t.snapshot().await.configuration.network))
}

#[derive(Deserialize)]
struct InternalUrl {
    url: Option<String>,
}

async fn set_internal_url(State(t): State<Tenant>, headers: HeaderMap, bytes: Bytes) -> Answer<TenantConfiguration> {
    require(&headers, t.secrets(), Expected::Admin)?;
    let InternalUrl { url } = body(&bytes, r#"{"url": "<string>" | null}"#)?;
    if let Some(url) = &url {
        validate_internal_url(url, &t.topology().tenant.sip_domains).map_err(ApiError::bad_request)?;
    }
    let configuration = t
        .update(|s| {
            s.configuration.hybrid.hybrid_config_service_internal_url = url;
            s.configuration.version += 1;
            Ok(s.configuration.clone())
        })
        .await?;
    Ok(Json(configuration))
}

async fn set_media_bypass(State(t): State<Tenant>, headers: HeaderMap, bytes: Bytes) -> Answer<TenantConfiguration> {
    require(&headers, t.secrets(), Expected::Admin)?;
    let settings: MediaBypassSettings = body(&bytes, "MediaBypassSettings")?;
    let configuration = t
        .update(|s| {
            s.configuration.network.media_bypass_settings = settings;
            s.configuration.version += 1;
            Ok(s.configuration.clone())
        })
        .await?;
    Ok(Json(configuration))
}

fn number(query: &BTreeMap<String, String>, name: &str) -> Result<Option<u64>, ApiError> {
    query
        .get(name)
        .map(|v| v.parse::<u64>().map_err(|_| ApiError::bad_request(format!("{name} must be a whole number, got '{v}'"))))
        .transpose()
}

fn caught_up(state: &super::store::TenantState, min_version: u64) -> bool {
    state.appliances.values().all(|a| a.replicated_version.unwrap_or(0) >= min_version)
}

/// With `min_version`, waits for every registered appliance to report it (or `timeout_ms`).
async fn appliances(
    State(t): State<Tenant>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Answer<Vec<ApplianceRecord>> {
    require(&headers, t.secrets(), Expected::Admin)?;
    let min_version = number(&query, "min_version")?;
    let timeout = Duration::from_millis(number(&query, "timeout_ms")?.unwrap_or(0)).min(MAX_LONG_POLL);
    let mut changes = t.subscribe();
    if let Some(min_version) = min_version {
        let wait = async {
            loop {
                changes.borrow_and_update();
                if caught_up(&t.snapshot().await, min_version) {
                    return;
                }
                if changes.changed().await.is_err() {
                    return;
                }
            }
        };
        tokio::select! {
            _ = tokio::time::timeout(timeout, wait) => {}
            _ = t.shutdown().cancelled() => {}
        }
    }
    Ok(Json(t.snapshot().await.appliances.into_values().collect()))
}

async fn register(State(t): State<Tenant>, headers: HeaderMap, bytes: Bytes) -> Answer<ApplianceRecord> {
    require(&headers, t.secrets(), Expected::Appliance)?;
    let registration: ApplianceRegistration = body(&bytes, "ApplianceRegistration")?;
    let own = require_appliance(&headers, t.secrets(), &registration.name)?;
    let name = match t.topology().find_appliance(&own) {
        Some((_, a)) => a.name.clone(),
        None => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("'{own}' is not an appliance of this tenant's topology"),
            ))
        }
    };
    let record = t
        .update(|s| {
            let record = s.appliances.entry(name.to_ascii_lowercase()).or_insert_with(|| ApplianceRecord {
                identity: uuid::Uuid::new_v4(),
                name: name.clone(),
                site_name: String::new(),
                mediation_server_fqdn: String::new(),
                mediation_server_ip_address: registration.address,
                last_contact: None,
                replicated_version: None,
            });
            record.site_name = registration.site_name.clone();
            record.mediation_server_fqdn = registration.fqdn.clone();
            record.mediation_server_ip_address = registration.address;
            Ok(record.clone())
        })
        .await?;
    Ok(Json(record))
}

fn not_registered(name: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, format!("appliance {name} has not registered: POST /appliance/register first"))
}

async fn appliance_configuration(
    State(t): State<Tenant>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Answer<TenantConfiguration> {
    require(&headers, t.secrets(), Expected::Appliance)?;
    let name = query.get("name").ok_or_else(|| ApiError::bad_request("missing query parameter name=<appliance name>"))?;
    require_appliance(&headers, t.secrets(), name)?;
    Ok(Json(t.snapshot().await.configuration))
}

async fn contact(State(t): State<Tenant>, headers: HeaderMap, bytes: Bytes) -> Result<StatusCode, ApiError> {
    require(&headers, t.secrets(), Expected::Appliance)?;
    let contact: ApplianceContact = body(&bytes, "ApplianceContact")?;
    let own = require_appliance(&headers, t.secrets(), &contact.name)?;
    t.update(|s| {
        let record = s.appliances.get_mut(&own.to_ascii_lowercase()).ok_or_else(|| not_registered(&own))?;
        record.last_contact = Some(contact.at);
        record.replicated_version = Some(contact.replicated_version);
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn provisioning(State(t): State<Tenant>, headers: HeaderMap, Path(user): Path<String>) -> Answer<Provisioning> {
    require(&headers, t.secrets(), Expected::User)?;
    let hybrid = t.snapshot().await.configuration.hybrid;
    Ok(Json(Provisioning {
        user,
        voice_deployment_mode: "OnPremOnlineHybrid".into(),
        hybrid_config_service_internal_url: hybrid.hybrid_config_service_internal_url,
    }))
}
