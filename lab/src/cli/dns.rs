//! `bypass-lab resolve` and `bypass-lab dns-script`.

use crate::dns::{Answer, Transport};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct Resolve {
    /// The name to resolve, e.g. hybridvoice.adatum.biz.
    name: String,
    /// Where the client is: a site name, `outside`, or an address.
    #[arg(long)]
    from: String,
    /// Ask over TCP instead of UDP.
    #[arg(long)]
    tcp: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct DnsScript {
    /// The deployment plan (default: the seed's adatum.biz).
    #[arg(long)]
    topology: Option<PathBuf>,
}

pub async fn resolve(args: Resolve, state: &Path) -> anyhow::Result<ExitCode> {
    let lab = crate::cli::lab::attach(state).await?;
    let from = lab.topology().place(&args.from).map_err(anyhow::Error::msg)?;
    let transport = if args.tcp { Transport::Tcp } else { Transport::Udp };
    let answer = lab.resolve(&args.name, from, transport).await?;
    if args.json {
        let json = serde_json::json!({ "name": args.name, "from": from, "transport": transport, "answer": answer });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        match &answer {
            Answer::Addresses(list) => {
                for a in list {
                    println!("{}\tA\t{a}", args.name);
                }
            }
            Answer::NxDomain => println!("{}: NXDOMAIN (as seen from {from})", args.name),
            Answer::Refused => println!("{}: REFUSED (as seen from {from})", args.name),
            Answer::ServFail => println!("{}: SERVFAIL (as seen from {from})", args.name),
            Answer::NoAnswer => println!("{}: no answer (as seen from {from})", args.name),
        }
    }
    // No answer because the server asked is down is a failure; an IGNORE policy's silence is not.
    if answer == Answer::NoAnswer {
        let plans = lab.topology().dns_server_plans();
        let server = &plans[lab.topology().dns_server_index_for(from).min(plans.len() - 1)].name;
        let status = lab.dns_status().await;
        if let Some(error) = status.iter().find(|d| d.name == *server).and_then(|d| d.error.clone()) {
            eprintln!("error: DNS server {server}, which {from} asks, is down: {error}");
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn dns_script(args: DnsScript) -> anyhow::Result<ExitCode> {
    let topology = crate::cli::input::topology(args.topology.as_deref())?;
    print!("{}", crate::dns::topology_script(&topology));
    Ok(ExitCode::SUCCESS)
}
