//! Simulated Skype for Business users: sign-in, the UccApi log, the hybridconfig fetch and calls.

use super::appliances::Reach;
use super::{Lab, LabError};
use crate::client::{ClientRemote, ClientStatus, FetchOutcome};
use crate::mediation::CallResult;
use std::net::IpAddr;

/// The number dialled when none is given.
pub const DEFAULT_NUMBER: &str = "+14255550100";

fn client_error(user: &str, e: impl std::fmt::Display) -> LabError {
    LabError::Client { user: user.to_string(), reason: e.to_string() }
}

impl Lab {
    /// Signs `user` in from `at` (in-band provisioning, then a first fetch).
    pub async fn sign_in(&self, user: &str, at: IpAddr) -> Result<ClientStatus, LabError> {
        let url = self.backend.client_host(at).await?;
        let host = ClientRemote::new(url, self.secrets.control.clone());
        host.sign_in(user, at).await.map_err(|e| client_error(user, e))
    }

    /// Signs `user` in from `at` with a given client build and VPN mode.
    pub async fn sign_in_as(
        &self,
        user: &str,
        request: &crate::client::SignInRequest,
    ) -> Result<ClientStatus, LabError> {
        let url = self.backend.client_host(request.address).await?;
        let host = ClientRemote::new(url, self.secrets.control.clone());
        host.sign_in_as(user, request).await.map_err(|e| client_error(user, e))
    }

    pub async fn sign_out(&self, user: &str) -> Result<ClientStatus, LabError> {
        self.reach().sign_out(user).await
    }

    /// Signs out and in again at the same address, as the guide asks after a change.
    pub async fn sign_in_again(&self, user: &str) -> Result<ClientStatus, LabError> {
        self.reach().sign_in_again(user).await
    }

    /// Fetches the hybrid configuration now.
    pub async fn fetch(&self, user: &str) -> Result<FetchOutcome, LabError> {
        self.reach().host_of(user).await?.fetch(user).await.map_err(|e| client_error(user, e))
    }

    /// `client flushdns`: the lab's `ipconfig /flushdns` on the user's machine.
    pub async fn client_flushdns(&self, user: &str) -> Result<u64, LabError> {
        self.reach().host_of(user).await?.flush_dns(user).await.map_err(|e| client_error(user, e))
    }

    /// Places an outbound PSTN call; the answer says which way the media flows.
    pub async fn call(&self, user: &str, number: &str) -> Result<CallResult, LabError> {
        self.reach().call(user, number).await
    }

    /// A call either way: with `inbound`, a PSTN caller from `number` rings the user.
    pub async fn place_call(&self, user: &str, number: &str, inbound: bool) -> Result<CallResult, LabError> {
        let order = crate::client::CallOrder { number: number.to_string(), inbound };
        self.reach().host_of(user).await?.place(user, &order).await.map_err(|e| client_error(user, e))
    }

    pub async fn client(&self, user: &str) -> Result<ClientStatus, LabError> {
        self.reach().client(user).await
    }

    /// Every user of every client host.
    pub async fn clients(&self) -> Result<Vec<ClientStatus>, LabError> {
        let mut all = Vec::new();
        for url in self.endpoints().clients.values() {
            let host = ClientRemote::new(url.clone(), self.secrets.control.clone());
            all.extend(host.list().await.map_err(|source| LabError::ClientHost { url: url.clone(), source })?);
        }
        Ok(all)
    }

    /// The user's `Lync-UccApi-0.UccApilog`.
    pub async fn client_log(&self, user: &str) -> Result<String, LabError> {
        self.reach().client_log(user).await
    }
}

impl Reach<'_> {
    /// The client host where `user` lives, asking each host in turn.
    async fn host_of(&self, user: &str) -> Result<ClientRemote, LabError> {
        self.host_and_status_of(user).await.map(|(host, _)| host)
    }

    /// [`Reach::host_of`], with the user's status the host answered.
    async fn host_and_status_of(&self, user: &str) -> Result<(ClientRemote, ClientStatus), LabError> {
        for url in self.endpoints.clients.values() {
            let host = ClientRemote::new(url.clone(), self.lab.secrets.control.clone());
            if let Ok(status) = host.status(user).await {
                return Ok((host, status));
            }
        }
        Err(client_error(user, "no such user has signed in to this lab (sign in first with `client signin`)"))
    }

    /// [`Lab::sign_out`].
    pub async fn sign_out(&self, user: &str) -> Result<ClientStatus, LabError> {
        self.host_of(user).await?.sign_out(user).await.map_err(|e| client_error(user, e))
    }

    /// [`Lab::sign_in_again`].
    pub async fn sign_in_again(&self, user: &str) -> Result<ClientStatus, LabError> {
        let status = self.sign_out(user).await?;
        self.lab.sign_in(user, status.address).await
    }

    /// [`Lab::call`].
    pub async fn call(&self, user: &str, number: &str) -> Result<CallResult, LabError> {
        self.host_of(user).await?.call(user, number).await.map_err(|e| client_error(user, e))
    }

    /// [`Lab::client`]: the status the user's host answered when it was found.
    pub async fn client(&self, user: &str) -> Result<ClientStatus, LabError> {
        self.host_and_status_of(user).await.map(|(_, status)| status)
    }

    /// [`Lab::client_log`].
    pub async fn client_log(&self, user: &str) -> Result<String, LabError> {
        self.host_of(user).await?.log(user).await.map_err(|e| client_error(user, e))
    }
}
