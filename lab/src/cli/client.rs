//! `bypass-lab client`: a Skype for Business user at a site or outside.

use crate::lab::DEFAULT_NUMBER;
use clap::Subcommand;
use std::path::Path;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ClientVerb {
    /// Sign a user in from a site (a client address in it), `outside`, or an address.
    Signin {
        #[arg(long)]
        at: String,
        #[arg(long, default_value = "alice")]
        user: String,
        /// The Skype for Business client build (default: the first that supports media bypass).
        #[arg(long)]
        version: Option<String>,
        /// On a VPN: `full` (everything tunnelled: counts as external) or `split`.
        #[arg(long, value_parser = ["full", "split"])]
        vpn: Option<String>,
    },
    /// Sign a user out.
    Signout {
        #[arg(long)]
        user: String,
    },
    /// What each user holds: address, site, URL, bypass decision, last fetch.
    Status {
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Fetch the hybrid configuration now.
    Fetch {
        #[arg(long)]
        user: String,
    },
    /// Clear the DNS cache of the user's machine (the lab's `ipconfig /flushdns`).
    Flushdns {
        #[arg(long)]
        user: String,
    },
    /// Print a user's Lync-UccApi-0.UccApilog.
    Log {
        #[arg(long)]
        user: String,
    },
    /// Place a PSTN call (outbound, or with --inbound a call from NUMBER to the user) and show
    /// the media path.
    Call {
        #[arg(long)]
        user: String,
        #[arg(default_value = DEFAULT_NUMBER)]
        number: String,
        #[arg(long)]
        inbound: bool,
    },
}

pub async fn run(verb: ClientVerb, state: &Path) -> anyhow::Result<ExitCode> {
    let lab = crate::cli::lab::attach(state).await?;
    match verb {
        ClientVerb::Signin { at, user, version, vpn } => {
            let address = lab.topology().place(&at).map_err(anyhow::Error::msg)?;
            let s =
                lab.sign_in_as(&user, &crate::client::SignInRequest { address, version, vpn, platform: None }).await?;
            // The client host may be new: later commands find it in the lab file.
            lab.record(state)?;
            println!(
                "{} signed in at {} ({}); hybridconfigserviceinternalurl: {}",
                s.user,
                s.address,
                s.site,
                s.hybrid_config_service_internal_url.as_deref().unwrap_or("(none)")
            );
            if let Some(f) = &s.last_fetch {
                println!("{}", f.outcome.describe());
            }
        }
        ClientVerb::Signout { user } => {
            lab.sign_out(&user).await?;
            println!("{user} signed out");
        }
        ClientVerb::Status { user, json } => {
            let list = match user {
                Some(u) => vec![lab.client(&u).await?],
                None => lab.clients().await?,
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                let mut rows =
                    vec![["USER", "ADDRESS", "SITE", "SIGNED IN", "URL", "BYPASS", "LAST FETCH"].map(String::from)];
                for s in list {
                    rows.push([
                        s.user.clone(),
                        s.address.to_string(),
                        s.site.clone(),
                        (if s.signed_in { "yes" } else { "no" }).to_string(),
                        s.hybrid_config_service_internal_url.clone().unwrap_or_else(|| "-".into()),
                        (if s.bypass { "yes" } else { "no" }).to_string(),
                        s.last_fetch.map(|f| f.outcome.describe()).unwrap_or_else(|| "-".into()),
                    ]);
                }
                print!("{}", crate::cli::lab::table(&rows));
            }
        }
        ClientVerb::Fetch { user } => println!("{}", lab.fetch(&user).await?.describe()),
        ClientVerb::Flushdns { user } => {
            println!("flushed {} cached name(s) on {user}'s machine", lab.client_flushdns(&user).await?)
        }
        ClientVerb::Log { user } => print!("{}", lab.client_log(&user).await?),
        ClientVerb::Call { user, number, inbound } => {
            let c = lab.place_call(&user, &number, inbound).await?;
            let arrow = if inbound { format!("{user} <- {number}") } else { format!("{user} -> {number}") };
            println!("{arrow} via {} ({}, site {}, gateway {})", c.appliance, c.mediation_server, c.site, c.gateway);
            println!("media: {}{}", c.media_path.as_str(), if c.crosses_wan { " (crosses the WAN)" } else { "" });
            println!("codec: {}", c.codec);
            if !c.failed_over_from.is_empty() {
                println!("failover: past {} (down)", c.failed_over_from.join(", "));
            }
            println!("why:   {}", c.reason);
        }
    }
    Ok(ExitCode::SUCCESS)
}
