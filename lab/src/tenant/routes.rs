//! The tenant's HTTP routes (see docs/design/tenant.md).

use super::access::{guard, require_appliance, Expected};
use super::api_error::ApiError;
use super::internal_url::{sip_domain_warning, validate_internal_url, validate_url};
use super::model::*;
use super::state::Tenant;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

/// The longest a long poll may wait (lab choice): longer requests are cut to this.
pub const MAX_LONG_POLL: Duration = Duration::from_secs(300);

pub fn router(tenant: Tenant) -> Router {
    let admin = Router::new()
        .route("/admin/configuration", get(configuration))
        .route("/admin/tenant", get(tenant_info))
        .route("/admin/hybrid-configuration", get(hybrid_configuration).put(set_hybrid_configuration))
        .route("/admin/hybrid-configuration/internal-url", put(set_internal_url))
        .route("/admin/network-configuration", get(network_configuration))
        .route("/admin/network-configuration/media-bypass-settings", put(set_media_bypass))
        .route("/admin/appliances", get(appliances))
        .route("/admin/appliances/{name}/maintenance", put(set_maintenance))
        .route("/admin/sites", get(sites))
        .route("/admin/users/{user}/pstn-site", get(user_pstn_settings).put(set_user_pstn_site));
    let appliance = Router::new()
        .route("/appliance/register", post(register))
        .route("/appliance/unregister", post(unregister))
        .route("/appliance/configuration", get(appliance_configuration))
        .route("/appliance/contact", post(contact));
    let user =
        Router::new().route("/pstn-route/{user}", get(pstn_route)).route("/provisioning/{user}", get(provisioning));
    let open = Router::new().route("/healthz", get(|| async { StatusCode::OK }));
    Router::new()
        .merge(crate::http::server::open_to_anyone(open))
        .merge(guarded(admin, &tenant, Expected::Admin))
        .merge(guarded(appliance, &tenant, Expected::Appliance))
        .merge(guarded(user, &tenant, Expected::User))
        .with_state(tenant)
}

/// Every route of `routes` checks for the `expected` kind of credential from the headers alone
/// ([`guard`]), before its body is read.
fn guarded(routes: Router<Tenant>, tenant: &Tenant, expected: Expected) -> Router<Tenant> {
    routes.route_layer(axum::middleware::from_fn_with_state((tenant.clone(), expected), guard))
}

type Answer<T> = Result<Json<T>, ApiError>;

fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes, what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("the body is not {what}: {e}")))
}

async fn configuration(State(t): State<Tenant>) -> Answer<TenantConfiguration> {
    Ok(Json(t.configuration()))
}

/// `Get-CsTenant`: the tenant's id and name.
async fn tenant_info(State(t): State<Tenant>) -> Answer<TenantInfo> {
    let topology = t.topology();
    Ok(Json(TenantInfo { tenant_id: topology.tenant_id(), display_name: topology.tenant.domain.clone() }))
}

async fn hybrid_configuration(State(t): State<Tenant>) -> Answer<HybridConfiguration> {
    Ok(Json(t.configuration().hybrid))
}

async fn network_configuration(State(t): State<Tenant>) -> Answer<NetworkConfiguration> {
    Ok(Json(t.configuration().network))
}

#[derive(Deserialize)]
struct InternalUrl {
    url: Option<String>,
}

/// The old single-field route, kept for callers that set only the internal URL.
async fn set_internal_url(State(t): State<Tenant>, bytes: Bytes) -> Answer<TenantConfiguration> {
    let InternalUrl { url } = body(&bytes, r#"{"url": "<string>" | null}"#)?;
    let change = HybridConfigurationChange { internal_url: Some(url), ..Default::default() };
    Ok(Json(apply_hybrid_change(&t, change).await?.configuration))
}

async fn set_hybrid_configuration(State(t): State<Tenant>, bytes: Bytes) -> Answer<HybridConfigurationAnswer> {
    let change: HybridConfigurationChange = body(&bytes, "HybridConfigurationChange")?;
    Ok(Json(apply_hybrid_change(&t, change).await?))
}

/// Checks every given URL before changing anything, so a refused call changes nothing.
async fn apply_hybrid_change(
    t: &Tenant,
    change: HybridConfigurationChange,
) -> Result<HybridConfigurationAnswer, ApiError> {
    let mut warnings = Vec::new();
    if let Some(Some(url)) = &change.internal_url {
        validate_internal_url(url).map_err(ApiError::bad_request)?;
        warnings.extend(sip_domain_warning(url, &t.topology().tenant.sip_domains));
    }
    if let Some(Some(url)) = &change.external_url {
        validate_url("HybridConfigServiceExternalUrl", url).map_err(ApiError::bad_request)?;
    }
    let configuration = t
        .update_configuration(|c| {
            if let Some(url) = change.internal_url.clone() {
                c.hybrid.hybrid_config_service_internal_url = url;
            }
            if let Some(url) = change.external_url.clone() {
                c.hybrid.hybrid_config_service_external_url = url;
            }
            if let Some(peer) = change.peer_destination.clone() {
                c.hybrid.peer_destination = peer;
            }
            if let Some(dial_plan) = change.use_on_prem_dial_plan {
                c.hybrid.use_on_prem_dial_plan = dial_plan;
            }
            c.version += 1;
            Ok(c.clone())
        })
        .await?;
    Ok(HybridConfigurationAnswer { configuration, warnings })
}

async fn set_media_bypass(State(t): State<Tenant>, bytes: Bytes) -> Answer<TenantConfiguration> {
    let settings: MediaBypassSettings = body(&bytes, "MediaBypassSettings")?;
    let configuration = t
        .update_configuration(|c| {
            c.network.media_bypass_settings = settings;
            c.version += 1;
            Ok(c.clone())
        })
        .await?;
    Ok(Json(configuration))
}

fn number(query: &BTreeMap<String, String>, name: &str) -> Result<Option<u64>, ApiError> {
    query
        .get(name)
        .map(|v| {
            v.parse::<u64>().map_err(|_| ApiError::bad_request(format!("{name} must be a whole number, got '{v}'")))
        })
        .transpose()
}

/// Every appliance of the topology (`keys`) has registered and reports `min_version` or later.
/// Checked on every committed change while a long poll waits: a count first, so that during a
/// wave of contacts most checks end without a lookup.
fn caught_up(state: &super::store::TenantState, keys: &[String], min_version: u64) -> bool {
    let reached = |r: &ApplianceRecord| r.replicated_version.unwrap_or(0) >= min_version;
    if state.appliances.values().filter(|r| reached(r)).count() < keys.len() {
        return false;
    }
    keys.iter().all(|key| state.appliances.get(key).is_some_and(reached))
}

/// With `min_version`, waits for every appliance of the topology to have registered and
/// reported it (or `timeout_ms`).
async fn appliances(
    State(t): State<Tenant>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Answer<Vec<ApplianceRecord>> {
    let min_version = number(&query, "min_version")?;
    let timeout = Duration::from_millis(number(&query, "timeout_ms")?.unwrap_or(0)).min(MAX_LONG_POLL);
    let mut changes = t.subscribe();
    if let Some(min_version) = min_version {
        let wait = async {
            loop {
                changes.borrow_and_update();
                if t.with_state(|s| caught_up(s, t.appliance_keys(), min_version)) {
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
    Ok(Json(t.appliances()))
}

async fn register(State(t): State<Tenant>, headers: HeaderMap, bytes: Bytes) -> Answer<ApplianceRecord> {
    let registration: ApplianceRegistration = body(&bytes, "ApplianceRegistration")?;
    let own = require_appliance(&headers, t.credentials(), &registration.name)?;
    // `own` is the topology's name (the credential's): no need to render every FQDN to find it.
    let known = t.topology().appliances().find(|(_, a)| a.name == own).or_else(|| t.topology().find_appliance(&own));
    // The record keeps the plan's spelling of what the claim matched.
    let (name, site_name, fqdn, registers_itself) = match known {
        Some((site, a)) => {
            let fqdn = t.topology().fqdn(a);
            claims_itself(&registration, &site.name, &fqdn, a.address)?;
            (a.name.clone(), site.name.clone(), fqdn, a.registered)
        }
        None => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("'{own}' is not an appliance of this tenant's topology"),
            ))
        }
    };
    let record = t
        .update_appliance(&name, |current| {
            match (current, registration.explicit) {
                (Some(r), true) if r.registered => {
                    return Err(ApiError::new(StatusCode::CONFLICT, format!("appliance {name} is already registered")))
                }
                (Some(r), false) if !r.registered => return Err(unregistered(&name)),
                (None, false) if !registers_itself => return Err(unregistered(&name)),
                _ => {}
            }
            let mut record = current.cloned().unwrap_or_else(|| ApplianceRecord {
                identity: t.topology().appliance_identity(&name),
                name: name.clone(),
                site_name: String::new(),
                mediation_server_fqdn: String::new(),
                mediation_server_ip_address: registration.address,
                last_contact: None,
                replicated_version: None,
                maintenance_mode: false,
                registered: true,
            });
            record.site_name = site_name.clone();
            record.mediation_server_fqdn = fqdn.clone();
            record.mediation_server_ip_address = registration.address;
            record.registered = true;
            Ok(record)
        })
        .await?;
    Ok(Json(record))
}

/// An appliance's credential stands for the appliance the plan describes: its site, FQDN and
/// address come with it, so one appliance can never pass itself off as another (its calls
/// would then be routed, and its clients judged, at the other's site).
fn claims_itself(claim: &ApplianceRegistration, site: &str, fqdn: &str, address: IpAddr) -> Result<(), ApiError> {
    let differs = |field: &str, planned: &str, claimed: &str| {
        ApiError::forbidden(format!(
            "appliance {} may register only as itself: its {field} is {planned} in the plan, the registration \
             claims {claimed}",
            claim.name,
        ))
    };
    if !claim.site_name.eq_ignore_ascii_case(site) {
        return Err(differs("site", site, &claim.site_name));
    }
    if !claim.fqdn.trim_end_matches('.').eq_ignore_ascii_case(fqdn.trim_end_matches('.')) {
        return Err(differs("FQDN", fqdn, &claim.fqdn));
    }
    if claim.address != address {
        return Err(differs("address", &address.to_string(), &claim.address.to_string()));
    }
    Ok(())
}

fn unregistered(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        format!("appliance {name} is not registered with the tenant: run Register-CcAppliance on it"),
    )
}

/// `Unregister-CcAppliance`: the record stays (its identity with it), marked unregistered.
async fn unregister(State(t): State<Tenant>, headers: HeaderMap, bytes: Bytes) -> Answer<ApplianceRecord> {
    let ApplianceUnregistration { name } = body(&bytes, "ApplianceUnregistration")?;
    let own = require_appliance(&headers, t.credentials(), &name)?;
    let record = t
        .update_appliance(&own, |current| match current {
            Some(r) if r.registered => Ok(ApplianceRecord { registered: false, ..r.clone() }),
            _ => Err(unregistered(&own)),
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
    let name =
        query.get("name").ok_or_else(|| ApiError::bad_request("missing query parameter name=<appliance name>"))?;
    require_appliance(&headers, t.credentials(), name)?;
    Ok(Json(t.configuration()))
}

async fn contact(State(t): State<Tenant>, headers: HeaderMap, bytes: Bytes) -> Result<StatusCode, ApiError> {
    let contact: ApplianceContact = body(&bytes, "ApplianceContact")?;
    let own = require_appliance(&headers, t.credentials(), &contact.name)?;
    t.update_appliance(&own, |current| {
        let mut record = current.cloned().ok_or_else(|| not_registered(&own))?;
        record.last_contact = Some(contact.at);
        record.replicated_version = Some(contact.replicated_version);
        Ok(record)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn provisioning(State(t): State<Tenant>, Path(user): Path<String>) -> Answer<Provisioning> {
    known_user(&t, &user)?;
    let hybrid = t.configuration().hybrid;
    Ok(Json(Provisioning {
        user,
        voice_deployment_mode: "OnPremOnlineHybrid".into(),
        hybrid_config_service_internal_url: hybrid.hybrid_config_service_internal_url,
    }))
}

#[derive(Deserialize)]
struct Maintenance {
    maintenance_mode: bool,
}

/// `Set-CsHybridPSTNAppliance -Identity NAME|GUID -MaintenanceMode`.
async fn set_maintenance(
    State(t): State<Tenant>,
    Path(identity): Path<String>,
    bytes: Bytes,
) -> Answer<ApplianceRecord> {
    let Maintenance { maintenance_mode } = body(&bytes, r#"{"maintenance_mode": true|false}"#)?;
    let name = t
        .appliances()
        .into_iter()
        .find(|r| r.name.eq_ignore_ascii_case(&identity) || r.identity.to_string().eq_ignore_ascii_case(&identity))
        .map(|r| r.name)
        .ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, format!("no registered appliance has the identity '{identity}'"))
        })?;
    let record = t
        .update_appliance(&name, |current| {
            let mut record = current.cloned().ok_or_else(|| not_registered(&name))?;
            record.maintenance_mode = maintenance_mode;
            Ok(record)
        })
        .await?;
    Ok(Json(record))
}

/// `Get-CsHybridPSTNSite`: the topology's sites, the default marked.
async fn sites(State(t): State<Tenant>) -> Answer<Vec<HybridPstnSite>> {
    let default = t.configuration().hybrid.peer_destination;
    Ok(Json(
        t.topology()
            .sites
            .iter()
            .map(|s| HybridPstnSite {
                identity: s.name.clone(),
                appliances: s.appliances.iter().map(|a| a.name.clone()).collect(),
                is_default: default.as_deref().is_some_and(|d| d.eq_ignore_ascii_case(&s.name)),
            })
            .collect(),
    ))
}

async fn user_pstn_settings(State(t): State<Tenant>, Path(user): Path<String>) -> Answer<UserPstnSettings> {
    let key = known_user(&t, &user)?;
    let configuration = t.configuration();
    let site = configuration.user_pstn_sites.get(&key).cloned();
    let international = configuration.user_international_calls.get(&key).copied().unwrap_or(false);
    Ok(Json(UserPstnSettings { identity: user, hybrid_pstn_site: site, allow_international_calls: international }))
}

/// `{"site": "<site>" | null, "allow_international_calls": bool}`: a field left out stays as
/// it is, except that a body without either clears the site (the older form of this call).
#[derive(Deserialize)]
struct PstnSiteAssignment {
    #[serde(default, deserialize_with = "present")]
    site: Option<Option<String>>,
    #[serde(default)]
    allow_international_calls: Option<bool>,
}

/// A field that is there, even as `null`, is `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `Set-CsUserPstnSettings -Identity USER -HybridPstnSite SITE|$null`; a site outside the
/// topology is refused.
async fn set_user_pstn_site(
    State(t): State<Tenant>,
    Path(user): Path<String>,
    bytes: Bytes,
) -> Answer<TenantConfiguration> {
    let PstnSiteAssignment { site, allow_international_calls } =
        body(&bytes, r#"{"site": "<site name>" | null, "allow_international_calls": true | false}"#)?;
    let site = match (site, allow_international_calls) {
        (None, None) => Some(None),
        (site, _) => site,
    };
    let key = known_user(&t, &user)?;
    let site = match site {
        Some(Some(name)) => Some(Some(
            t.topology()
                .site(&name)
                .map(|s| s.name.clone())
                .ok_or_else(|| ApiError::bad_request(unknown_site(t.topology(), &name)))?,
        )),
        other => other,
    };
    let configuration = t
        .update_configuration(|c| {
            match site {
                Some(Some(site)) => {
                    c.user_pstn_sites.insert(key.clone(), site);
                }
                Some(None) => {
                    c.user_pstn_sites.remove(&key);
                }
                None => {}
            };
            if let Some(allowed) = allow_international_calls {
                c.user_international_calls.insert(key, allowed);
            }
            c.version += 1;
            Ok(c.clone())
        })
        .await?;
    Ok(Json(configuration))
}

/// The user `identity` names, or 404 with the service's "not found" when the tenant has no
/// such user (`tenant::users`).
fn known_user(t: &Tenant, identity: &str) -> Result<String, ApiError> {
    super::users::find(t.topology(), identity).map_err(|reason| ApiError::new(StatusCode::NOT_FOUND, reason))
}

fn unknown_site(topology: &crate::topology::Topology, name: &str) -> String {
    format!(
        "'{name}' is not a hybrid PSTN site of this tenant (sites: {})",
        topology.sites.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
    )
}

/// The online service's routing for a user's PSTN calls: the assigned site, else the tenant
/// default (PeerDestination naming a site), else none (the client's location decides).
async fn pstn_route(State(t): State<Tenant>, Path(user): Path<String>) -> Answer<PstnRoute> {
    let key = known_user(&t, &user)?;
    let configuration = t.configuration();
    let assigned = configuration.user_pstn_sites.get(&key).cloned();
    let default =
        configuration.hybrid.peer_destination.as_deref().and_then(|d| t.topology().site(d)).map(|s| s.name.clone());
    let (site, reason) = match (assigned, default) {
        (Some(site), _) => (Some(site), "assigned by Set-CsUserPstnSettings".to_string()),
        (None, Some(site)) => (Some(site), "the tenant default (PeerDestination)".to_string()),
        (None, None) => (None, "no PSTN site assigned and no tenant default: the site the client is in".to_string()),
    };
    // Read in place: every call asks, and copying thousands of records per call cost more than
    // the call.
    let unavailable = t.with_state(|s| {
        let records = &s.appliances;
        let never_registered = t
            .topology()
            .appliances()
            .filter(|(_, a)| !a.registered && !records.contains_key(&a.name.to_ascii_lowercase()))
            .map(|(_, a)| (a.name.clone(), "not registered".to_string()));
        records
            .values()
            .filter_map(|r| {
                let why = if !r.registered {
                    "not registered"
                } else if r.maintenance_mode {
                    "in maintenance mode"
                } else {
                    return None;
                };
                Some((r.name.clone(), why.to_string()))
            })
            .chain(never_registered)
            .collect()
    });
    Ok(Json(PstnRoute { site, reason, unavailable }))
}
