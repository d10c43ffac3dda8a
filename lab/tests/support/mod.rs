//! Starting the real `bypass-lab` binary as one role, and knowing when it listens.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const READY_DEADLINE: Duration = Duration::from_secs(30);

/// Runs `bypass-lab serve <args>` (which must listen on port 0) and returns once the role has
/// printed its ready line, with the address it listens on. Killed when dropped.
pub async fn serve(args: &[&str]) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bypass-lab"))
        .arg("serve")
        .args(args)
        .env_remove(bypass_lab::auth::SECRETS_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the bypass-lab binary starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let address = tokio::time::timeout(READY_DEADLINE, async {
        while let Some(line) = lines.next_line().await.expect("the role's output is readable") {
            if let Some(address) = line.split(" listening on ").nth(1) {
                return address.trim().parse::<SocketAddr>().expect("the ready line names an address");
            }
        }
        panic!("`bypass-lab serve {}` ended before it listened", args.join(" "));
    })
    .await
    .unwrap_or_else(|_| panic!("`bypass-lab serve {}` did not listen within {READY_DEADLINE:?}", args.join(" ")));
    (child, address)
}
