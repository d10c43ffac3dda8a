//! `bypass-lab client`: a Skype for Business user at a site or outside.

use bypass_lab::lab::{Lab, DEFAULT_NUMBER};
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
    },
    /// Sign a user out.
    Signout {
        #[arg(long)]
        user: String,
    },
    /// What a user holds: URL, last fetch, bypass decision.
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
    /// Print a user's Lync-UccApi-0.UccApilog.
    Log {
        #[arg(long)]
        user: String,
    },
    /// Place an outbound PSTN call and show the media path.
    Call {
        #[arg(long)]
        user: String,
        #[arg(default_value = DEFAULT_NUMBER)]
        number: String,
    },
}

pub async fn run(verb: ClientVerb, state: &Path) -> anyhow::Result<ExitCode> {
    let lab = Lab::attach(state).await?;
    match verb {
        ClientVerb::Signin { at, user } => {
            let address = lab.topology().place(&at).map_err(anyhow::Error::msg)?;
            let s = lab.sign_in(&user, address).await?;
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
                println!("{:<10} {:<16} {:<10} {:<9} {:<7} {}", "USER", "ADDRESS", "SITE", "SIGNED IN", "BYPASS", "LAST FETCH");
                for s in list {
                    println!(
                        "{:<10} {:<16} {:<10} {:<9} {:<7} {}",
                        s.user,
                        s.address,
                        s.site,
                        if s.signed_in { "yes" } else { "no" },
                        if s.bypass { "yes" } else { "no" },
                        s.last_fetch.map(|f| f.outcome.describe()).unwrap_or_else(|| "-".into())
                    );
                }
            }
        }
        ClientVerb::Fetch { user } => println!("{}", lab.fetch(&user).await?.describe()),
        ClientVerb::Log { user } => print!("{}", lab.client_log(&user).await?),
        ClientVerb::Call { user, number } => {
            let c = lab.call(&user, &number).await?;
            println!("{user} -> {number} via {} (gateway {})", c.mediation_server, c.gateway);
            println!("media: {}", c.media_path.as_str());
            println!("why:   {}", c.reason);
        }
    }
    Ok(ExitCode::SUCCESS)
}
