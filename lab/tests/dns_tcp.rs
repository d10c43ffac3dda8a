//! DNS over TCP under abuse: a client that pipelines queries and never reads is cut off, and
//! the server keeps answering everyone else over TCP while connections flood it.

use bypass_lab::auth::Secrets;
use bypass_lab::dns::{lookup, Answer, Transport};
use bypass_lab::dns::{serve, DnsConfig, DnsSockets};
use bypass_lab::topology::Topology;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

const NAME: &str = "hybridvoice.adatum.biz";

async fn start() -> (SocketAddr, tokio_util::sync::DropGuard) {
    let sockets = DnsSockets::bind("127.0.0.1:0".parse().unwrap(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let dns = sockets.udp.local_addr().unwrap();
    let topology = Topology::seed();
    let config = DnsConfig { topology: Some(topology.clone()), script: None, secrets: Secrets::generate(&topology) };
    let stop = CancellationToken::new();
    tokio::spawn(serve(sockets, config, stop.clone()));
    (dns, stop.drop_guard())
}

/// One A query for the service name, framed for TCP.
fn framed_query(id: u16) -> Vec<u8> {
    let mut message = Vec::new();
    message.extend_from_slice(&id.to_be_bytes());
    message.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in NAME.split('.') {
        message.push(label.len() as u8);
        message.extend_from_slice(label.as_bytes());
    }
    message.extend_from_slice(&[0, 0, 1, 0, 1]);
    let mut framed = (message.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&message);
    framed
}

async fn answers_over_tcp(dns: SocketAddr) {
    let answer = tokio::time::timeout(
        Duration::from_secs(5),
        lookup(dns, NAME, Some("192.168.1.20".parse().unwrap()), Transport::Tcp),
    )
    .await
    .expect("a TCP query is answered within 5 s")
    .unwrap();
    assert!(matches!(answer, Answer::Addresses(_)), "{answer:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_pipelines_and_never_reads_is_cut_off() {
    let (dns, _stop) = start().await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut greedy = socket.connect(dns).await.unwrap();
    let batch: Vec<u8> = (0..256u16).flat_map(framed_query).collect();
    // An unread answer is given 5 s; the connection's idle limit (10 s) must not be what ends it.
    let cut_off = tokio::time::timeout(Duration::from_secs(8), async {
        loop {
            if greedy.write_all(&batch).await.is_err() {
                return;
            }
        }
    })
    .await;
    assert!(cut_off.is_ok(), "the server still took queries from a client that reads nothing after 8 s");
    answers_over_tcp(dns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_answers_go_on_while_connections_flood_in() {
    let (dns, _stop) = start().await;
    let mut flood = Vec::new();
    for _ in 0..600 {
        flood.push(tokio::net::TcpStream::connect(dns).await.unwrap());
    }
    answers_over_tcp(dns).await;
}

/// CPU time (user + system, in clock ticks) the process has used so far.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat.rsplit_once(") ").unwrap().1.split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_descriptors_the_server_neither_spins_nor_stops_answering_tcp() {
    use std::process::Stdio;
    use tokio::io::{AsyncBufReadExt, BufReader};
    // A port free for UDP and TCP alike.
    let port = loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            break port;
        }
    };
    let listen = format!("127.0.0.1:{port}");
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_bypass-lab"));
    command
        .args(["serve", "dns", "--listen", &listen, "--admin", "127.0.0.1:0"])
        .env_remove(bypass_lab::auth::SECRETS_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let limit = rustix::process::Rlimit { current: Some(64), maximum: Some(64) };
    // SAFETY: setrlimit is async-signal-safe and touches nothing of the parent's state.
    unsafe {
        command
            .pre_exec(move || rustix::process::setrlimit(rustix::process::Resource::Nofile, limit).map_err(Into::into));
    }
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains(" listening on ") {
                return;
            }
        }
        panic!("serve dns ended before it listened");
    })
    .await
    .expect("serve dns listens");
    let dns: SocketAddr = listen.parse().unwrap();
    let pid = child.id().unwrap();

    let mut flood = Vec::new();
    for _ in 0..300 {
        flood.push(tokio::net::TcpStream::connect(dns).await.unwrap());
    }
    let before = cpu_ticks(pid);
    answers_over_tcp(dns).await;
    // A measuring window, not a wait for anything: what the server spends while the flood holds.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let spent_ms = (cpu_ticks(pid) - before) * 1000 / 100; // USER_HZ is 100 on Linux
    assert!(spent_ms < 500, "the server used {spent_ms} ms of CPU in a second while connections pressed on it");
    answers_over_tcp(dns).await;
    child.kill().await.unwrap();
}
