//! The simulated users of one client host and what they do: sign in, sign out, fetch, call.
//!
//! State sits behind a plain mutex that is never held across a network call; each sign-in
//! opens a new session, so a fetch that was in flight when its user signed out (or in again)
//! cannot write a stale result.

use super::call;
use super::eligibility::{ClientKind, Platform};
use super::fetch::{fetch, REQUEST_TIMEOUT};
use super::outcome::FetchOutcome;
use super::status::{ClientStatus, FetchRecord, OUTSIDE};
use super::uccapi_log::{provisioning_line, Level, UccApiLog};
use super::{ClientError, ClientHostConfig, REFETCH_INTERVAL};
use crate::clock::{Clock, DueAnnouncer};
use crate::mediation::{CallResult, Direction};
use crate::tenant::{PstnRoute, TenantRemote};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;
use uuid::Uuid;

pub struct Host {
    pub config: ClientHostConfig,
    pub clock: Clock,
    users: Mutex<BTreeMap<String, User>>,
    /// Tells the clock the earliest instant a re-fetch is due, the moment it changes (a sign-in
    /// between two advances included), so an advance stops there and fetches happen in lab-time
    /// order with the appliances' syncs.
    announcer: DueAnnouncer,
    /// Each machine's DNS client cache.
    dns_cache: super::dns_cache::DnsCache,
}

struct User {
    address: IpAddr,
    signed_in: bool,
    /// Grows with every sign-in.
    session: u64,
    voice_deployment_mode: Option<String>,
    url: Option<String>,
    last_fetch: Option<FetchRecord>,
    bypass_id: Option<Uuid>,
    next_fetch: Option<Duration>,
    log: UccApiLog,
    /// Calls placed since sign-in: picks the next appliance in the user's order.
    calls: u64,
    /// The client build and VPN mode signed in with: whether it may bypass at all.
    kind: ClientKind,
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

impl Host {
    /// `announcer` belongs to the participant that runs the re-fetches ([`super::schedule`]).
    pub fn new(config: ClientHostConfig, clock: Clock, announcer: DueAnnouncer) -> Host {
        Host { config, clock, users: Mutex::new(BTreeMap::new()), announcer, dns_cache: Default::default() }
    }

    /// The tenant as this host's users reach it: with their credential, waiting no longer than
    /// a client waits.
    fn tenant(&self) -> TenantRemote {
        TenantRemote::new(&self.config.tenant_url, &self.config.user_password).with_timeout(REQUEST_TIMEOUT)
    }

    fn site_name(&self, address: IpAddr) -> String {
        self.config.topology.site_of(address).map(|s| s.name.clone()).unwrap_or_else(|| OUTSIDE.into())
    }

    fn log(&self, user: &str, at: Duration, level: Level, message: &str) {
        let log = UccApiLog::for_user(&self.config.data_dir, user);
        if let Err(e) = log.append(at, level, message) {
            tracing::warn!("cannot write {}: {e}", log.path().display());
        }
    }

    pub fn status(&self, user: &str) -> Result<ClientStatus, ClientError> {
        let users = self.users.lock().unwrap();
        let u = users.get(user).ok_or_else(|| ClientError::UnknownUser(user.to_string()))?;
        Ok(self.render(user, u))
    }

    pub fn list(&self) -> Vec<ClientStatus> {
        let users = self.users.lock().unwrap();
        users.iter().map(|(name, u)| self.render(name, u)).collect()
    }

    fn render(&self, user: &str, u: &User) -> ClientStatus {
        ClientStatus {
            user: user.to_string(),
            address: u.address,
            site: self.site_name(u.address),
            signed_in: u.signed_in,
            voice_deployment_mode: u.voice_deployment_mode.clone(),
            hybrid_config_service_internal_url: u.url.clone(),
            last_fetch: u.last_fetch.clone(),
            bypass: u.bypass_id.is_some(),
            bypass_id: u.bypass_id,
            next_fetch_ms: u.next_fetch.map(ms),
            client_version: u.kind.version.to_string(),
            vpn: u.kind.vpn,
            platform: u.kind.platform,
        }
    }

    pub fn log_text(&self, user: &str) -> Result<String, ClientError> {
        check_user_name(user)?;
        Ok(UccApiLog::for_user(&self.config.data_dir, user).read()?)
    }

    /// Sign-in: in-band provisioning from the tenant, the UccApi log lines, then a fetch at once.
    pub async fn sign_in(&self, user: &str, address: IpAddr, kind: ClientKind) -> Result<ClientStatus, ClientError> {
        check_user_name(user)?;
        let site = self.site_name(address);
        let vpn = kind
            .vpn
            .map(|v| format!(" vpn={}", if v == super::eligibility::Vpn::Full { "full" } else { "split" }))
            .unwrap_or_default();
        self.log(
            user,
            self.clock.now(),
            Level::Info,
            &format!(
                "SignIn: user={user} address={address} site={site} version={}{vpn}{}",
                kind.version,
                if kind.platform == Platform::Windows {
                    String::new()
                } else {
                    format!(" platform={}", kind.platform.as_str())
                }
            ),
        );
        let tenant = self.tenant();
        let provisioning = match tenant.provisioning(user).await {
            Ok(p) => p,
            Err(e) => {
                self.log(user, self.clock.now(), Level::Error, &format!("SignIn failed: in-band provisioning: {e}"));
                return Err(ClientError::Provisioning { user: user.to_string(), source: e });
            }
        };
        let now = self.clock.now();
        let url = provisioning.hybrid_config_service_internal_url.filter(|u| !u.trim().is_empty());
        self.log(user, now, Level::Info, &provisioning_line(&provisioning.voice_deployment_mode, url.as_deref()));
        if url.is_none() {
            self.log(
                user,
                now,
                Level::Warning,
                "no hybridconfigserviceinternalurl provisioned: media bypass stays off",
            );
        }
        {
            let mut users = self.users.lock().unwrap();
            let session = users.get(user).map(|u| u.session + 1).unwrap_or(1);
            let last_fetch = users.get(user).and_then(|u| u.last_fetch.clone());
            users.insert(
                user.to_string(),
                User {
                    address,
                    signed_in: true,
                    session,
                    voice_deployment_mode: Some(provisioning.voice_deployment_mode.clone()),
                    url: url.clone(),
                    last_fetch: if url.is_none() {
                        Some(FetchRecord { at_ms: ms(now), outcome: FetchOutcome::NoUrlProvisioned })
                    } else {
                        last_fetch
                    },
                    bypass_id: None,
                    next_fetch: None,
                    log: UccApiLog::for_user(&self.config.data_dir, user),
                    calls: 0,
                    kind,
                },
            );
            self.announce(&users);
        }
        if url.is_some() {
            self.fetch(user, now).await;
        }
        self.status(user)
    }

    /// Sign-out drops the held URL and bypass ID: the next sign-in provisions afresh.
    pub fn sign_out(&self, user: &str) -> Result<ClientStatus, ClientError> {
        let now = self.clock.now();
        let mut users = self.users.lock().unwrap();
        let u = users.get_mut(user).ok_or_else(|| ClientError::UnknownUser(user.to_string()))?;
        if u.signed_in {
            let _ = u.log.append(
                now,
                Level::Info,
                &format!("SignOut: user={user}; hybridconfigserviceinternalurl dropped"),
            );
        }
        u.signed_in = false;
        u.voice_deployment_mode = None;
        u.url = None;
        u.bypass_id = None;
        u.next_fetch = None;
        let status = self.render(user, u);
        self.announce(&users);
        Ok(status)
    }

    /// `ipconfig /flushdns` on the user's machine; returns how many cached names it forgot.
    pub fn flush_dns(&self, user: &str) -> Result<usize, ClientError> {
        let address = self
            .users
            .lock()
            .unwrap()
            .get(user)
            .map(|u| u.address)
            .ok_or_else(|| ClientError::UnknownUser(user.to_string()))?;
        let forgotten = self.dns_cache.flush(address);
        self.log(
            user,
            self.clock.now(),
            Level::Info,
            &format!("ipconfig /flushdns: {forgotten} cached name(s) removed"),
        );
        Ok(forgotten)
    }

    /// Fetches the hybridconfig document now as of lab time `at` and records the decision.
    pub async fn fetch(&self, user: &str, at: Duration) -> FetchOutcome {
        let snapshot = {
            let users = self.users.lock().unwrap();
            match users.get(user) {
                Some(u) if u.signed_in => Some((u.address, u.session, u.url.clone(), u.kind)),
                _ => None,
            }
        };
        let Some((address, session, url, kind)) = snapshot else {
            return FetchOutcome::NotSignedIn;
        };
        let outcome = match &url {
            None => FetchOutcome::NoUrlProvisioned,
            Some(_) if kind.platform == Platform::Mac => FetchOutcome::UnsupportedPlatform { platform: "Mac".into() },
            Some(_) if !kind.version.supports_bypass() => FetchOutcome::UnsupportedClient {
                version: kind.version.to_string(),
                minimum: super::eligibility::MINIMUM_VERSION.to_string(),
            },
            Some(_) if kind.external_for_media() => FetchOutcome::FullTunnelVpn,
            Some(url) => {
                fetch(&self.config, super::fetch::Cache { dns: &self.dns_cache, now: at }, user, address, url).await
            }
        };
        let mut users = self.users.lock().unwrap();
        if let Some(u) = users.get_mut(user).filter(|u| u.signed_in && u.session == session) {
            u.last_fetch = Some(FetchRecord { at_ms: ms(at), outcome: outcome.clone() });
            u.bypass_id = outcome.bypass_id();
            u.next_fetch = url.as_ref().map(|_| at + REFETCH_INTERVAL);
            let (level, target) = match &url {
                Some(url) => (if outcome.is_bypass() { Level::Info } else { Level::Warning }, format!("GET {url}")),
                None => (Level::Warning, "no URL".into()),
            };
            let _ = u.log.append(at, level, &format!("HybridConfig fetch {target}: {}", outcome.describe()));
            self.announce(&users);
        }
        outcome
    }

    /// Announces the earliest due re-fetch; called with the users' lock held so announcements
    /// never go out of order.
    fn announce(&self, users: &BTreeMap<String, User>) {
        let next = users.values().filter(|u| u.signed_in).filter_map(|u| u.next_fetch).min();
        self.announcer.due_at(next);
    }

    /// Users whose re-fetch is due at `now`.
    pub fn due(&self, now: Duration) -> Vec<String> {
        let users = self.users.lock().unwrap();
        users
            .iter()
            .filter(|(_, u)| u.signed_in && u.next_fetch.is_some_and(|t| t <= now))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// How the online service routes this user's calls; when it cannot be asked, the client's
    /// location decides (lab choice, logged).
    async fn pstn_route(&self, user: &str, log: &UccApiLog) -> PstnRoute {
        let tenant = self.tenant();
        match tenant.pstn_route(user).await {
            Ok(route) => route,
            Err(e) => {
                let _ = log.append(
                    self.clock.now(),
                    Level::Warning,
                    &format!("PSTN routing unknown ({e}): calling through the site the client is in"),
                );
                PstnRoute::default()
            }
        }
    }

    /// Places a PSTN call (outbound to `number`, or inbound from it) through the next appliance
    /// of the user's PSTN site.
    pub async fn call(&self, user: &str, number: &str, direction: Direction) -> Result<CallResult, ClientError> {
        let (address, bypass_id, log, call_number, kind) = {
            let mut users = self.users.lock().unwrap();
            match users.get_mut(user) {
                Some(u) if u.signed_in => {
                    u.calls += 1;
                    (u.address, u.bypass_id, u.log.clone(), u.calls - 1, u.kind)
                }
                _ => return Err(ClientError::NotSignedIn(user.to_string())),
            }
        };
        let pstn = self.pstn_route(user, &log).await;
        let placing = call::Placing { user, number, bypass_id, direction, external: kind.external_for_media() };
        let result = match call::route(&self.config.topology, address, &pstn, user, call_number) {
            Ok(route) => call::place(&self.config, &route, placing).await,
            Err(e) => Err(e),
        };
        let now = self.clock.now();
        let _ = match &result {
            Ok(r) => log.append(
                now,
                Level::Info,
                &format!(
                    "Call {} {number} via {} ({}, site {}, gateway {}): media {} ({}), codec {}{}",
                    if direction == Direction::Inbound { "from" } else { "to" },
                    r.appliance,
                    r.mediation_server,
                    r.site,
                    r.gateway,
                    r.media_path.as_str(),
                    r.reason,
                    r.codec,
                    if r.crosses_wan { ", media crosses the WAN" } else { "" }
                ),
            ),
            Err(e) => log.append(now, Level::Error, &format!("Call with {number} failed: {e}")),
        };
        result
    }
}

/// A user name becomes a folder name: keep it to what a SIP user part and domain hold.
pub fn check_user_name(user: &str) -> Result<(), ClientError> {
    let ok = !user.is_empty()
        && user != "."
        && user != ".."
        && user.len() <= 128
        && user.chars().all(|c| c.is_ascii_alphanumeric() || "@._-+".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ClientError::BadUserName(user.to_string()))
    }
}
