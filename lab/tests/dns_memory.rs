//! The DNS server's memory under a flood of unique datagrams: what input reaches stays bounded
//! (`docs/design/dns.md`, "Bounded memory"). Alone in its binary, so the process's RSS is the
//! server's and the client's.

use bypass_lab::auth::Secrets;
use bypass_lab::dns::{serve, DnsConfig, DnsSockets};
use bypass_lab::topology::Topology;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

/// As many unique datagrams as the probe that found the unbounded cache sent.
const DATAGRAMS: u32 = 280_000;
/// Datagrams in flight at once; small enough that loopback does not drop them.
const WINDOW: u32 = 64;
/// The growth allowed: four receive loops of 4 MiB each, plus the allocator's slack.
const RSS_CEILING: u64 = 32 << 20;

const SCRIPT: &str = "Add-DnsServerPrimaryZone -Name fabrikam.test -ZoneFile fabrikam.test.dns
Add-DnsServerResourceRecord -ZoneName fabrikam.test -A -Name sip -IPv4Address 172.20.4.10
";

fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    let kb: u64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("VmRSS in kB");
    kb * 1024
}

/// A query for a name unique to `n` under the zone: one in four carries an OPT record padded
/// to 1,200 bytes (RFC 7830), the long requests the old cache kept whole.
fn query(n: u32) -> Vec<u8> {
    let padded = n.is_multiple_of(4);
    let mut q = Vec::with_capacity(if padded { 1300 } else { 64 });
    q.extend_from_slice(&(n as u16).to_be_bytes());
    q.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 0, u8::from(padded)]);
    let label = format!("{:08x}{n:x}", n.wrapping_mul(2_654_435_761));
    for part in [label.as_str(), "fabrikam", "test"] {
        q.push(part.len() as u8);
        q.extend_from_slice(part.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    if padded {
        // Root name, OPT, payload 1232, no extended flags, then one padding option.
        let padding = 1200u16;
        q.extend_from_slice(&[0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0]);
        q.extend_from_slice(&(padding + 4).to_be_bytes());
        q.extend_from_slice(&[0, 12]);
        q.extend_from_slice(&padding.to_be_bytes());
        q.extend(std::iter::repeat_n(0u8, padding as usize));
    }
    q
}

/// Sends `queries` in windows and returns how many were answered; each window waits for its
/// replies with a deadline, so a lost datagram costs time, not the test.
async fn ask(client: &UdpSocket, dns: SocketAddr, queries: std::ops::Range<u32>) -> u32 {
    let mut answered = 0;
    let mut buffer = vec![0u8; 4096];
    let mut next = queries.start;
    while next < queries.end {
        let end = (next + WINDOW).min(queries.end);
        for n in next..end {
            client.send_to(&query(n), dns).await.expect("send");
        }
        for _ in next..end {
            match tokio::time::timeout(Duration::from_secs(2), client.recv_from(&mut buffer)).await {
                Ok(received) => {
                    received.expect("receive");
                    answered += 1;
                }
                Err(_) => break,
            }
        }
        next = end;
    }
    answered
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unique_datagrams_leave_rss_under_the_ceiling() {
    let sockets = DnsSockets::bind("127.0.0.1:0".parse().unwrap(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let dns = sockets.udp.local_addr().unwrap();
    let secrets = Secrets::generate(&Topology::seed());
    let config = DnsConfig { topology: None, script: Some(SCRIPT.into()), secrets };
    let stop = CancellationToken::new();
    let server = tokio::spawn(serve(sockets, config, stop.clone()));
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();

    // Ready when a query is answered; the sockets are bound, so queries wait in the buffer.
    let mut buffer = vec![0u8; 512];
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            assert!(!server.is_finished(), "the DNS role stopped while starting");
            client.send_to(&query(1), dns).await.unwrap();
            if tokio::time::timeout(Duration::from_secs(1), client.recv_from(&mut buffer)).await.is_ok() {
                break;
            }
        }
    })
    .await
    .expect("the DNS role answers within 10 s");
    // Warm up (runtime, allocator arenas, the policy path), then measure from there.
    let warm_up = 5_000;
    assert!(ask(&client, dns, 0..warm_up).await > warm_up * 9 / 10);
    let before = rss();

    let answered = ask(&client, dns, warm_up..warm_up + DATAGRAMS).await;
    let after = rss();
    assert!(answered > DATAGRAMS * 9 / 10, "only {answered} of {DATAGRAMS} answered");
    let grown = after.saturating_sub(before);
    println!("RSS {} MiB before, {} MiB after {DATAGRAMS} unique datagrams", before >> 20, after >> 20);
    assert!(grown < RSS_CEILING, "RSS grew {} MiB (ceiling {} MiB)", grown >> 20, RSS_CEILING >> 20);

    stop.cancel();
    tokio::time::timeout(Duration::from_secs(10), server).await.expect("stops").unwrap().unwrap();
}
