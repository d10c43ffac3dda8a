//! The receive loops of DNS over UDP: one per core (at most four) on the shared socket, each
//! taking the waiting queries with one `recvmmsg(2)`, answering them, and sending the replies
//! with one `sendmmsg(2)`. At the load where the server's CPU matters, a system call per query
//! each way cost more than answering a remembered question.

use super::handler::PolicyHandler;
use super::policy::DnsState;
use super::udp::UdpAnswerer;
use super::udp_batch::{Received, Replies};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::{Arc, RwLock};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

/// The largest datagram read, as hickory's UDP stream reads (longer ones are cut there too).
const RECEIVE_BUFFER: usize = 4096;

/// Answers DNS over UDP on `socket` until `shutdown` is cancelled.
pub async fn run(
    socket: UdpSocket,
    state: Arc<RwLock<DnsState>>,
    forward: Arc<super::forward::ForwardPath>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let interface = socket.local_addr()?.ip();
    let handler = Arc::new(PolicyHandler { state, interface, soa: Default::default(), forward });
    let socket = Arc::new(socket);
    let loops = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..loops {
        let answerer = UdpAnswerer::new(handler.clone());
        tasks.spawn(receive_loop(socket.clone(), answerer, shutdown.clone()));
    }
    let mut out = Ok(());
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => out = Err(e),
            Err(e) => out = Err(io::Error::other(e)),
        }
    }
    out
}

/// Takes the waiting queries, up to a batch at a time, answers them, and sends the replies in one
/// system call. A remembered reply is queued at once; before a new question is worked out (it may
/// wait on a forwarder) the queued replies go out, so no asker waits behind another's question.
async fn receive_loop(
    socket: Arc<UdpSocket>,
    mut answerer: UdpAnswerer,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let fd = socket.as_raw_fd();
    let mut received = Received::new(RECEIVE_BUFFER);
    let mut replies = Replies::default();
    loop {
        tokio::select! {
            ready = socket.readable() => ready?,
            _ = shutdown.cancelled() => return Ok(()),
        }
        let count = match socket.try_io(Interest::READABLE, || received.receive(fd)) {
            Ok(count) => count,
            // Another loop took them.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            // A previous reply's ICMP "port unreachable" surfaces here on some systems.
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => continue,
            Err(e) => return Err(e),
        };
        for i in 0..count {
            let (packet, src) = received.datagram(i);
            let Some(src) = src.filter(|s| answerable(*s)) else {
                continue;
            };
            if let Some(reply) = answerer.remembered(packet, src) {
                replies.push(reply, src);
                continue;
            }
            send(&socket, &mut replies).await;
            if let Some(reply) = answerer.answer(packet, src).await {
                replies.push(reply, src);
            }
        }
        send(&socket, &mut replies).await;
    }
}

/// Sends the queued replies, as many per system call as the socket takes; a reply the system
/// refuses is logged and skipped, as a failed `send_to` was.
async fn send(socket: &UdpSocket, replies: &mut Replies) {
    let fd = socket.as_raw_fd();
    let mut sent = 0;
    while sent < replies.len() {
        match socket.try_io(Interest::WRITABLE, || replies.send(fd, sent)) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if let Err(e) = socket.writable().await {
                    tracing::debug!(error = %e, "cannot send DNS responses");
                    break;
                }
            }
            Err(e) => {
                let to = replies.iter(sent).next().map(|(_, to)| to);
                tracing::debug!(error = %e, src = ?to, "cannot send a DNS response");
                sent += 1;
            }
        }
    }
    replies.clear();
}

/// hickory-server's rule: never answer port 0, an unspecified or a broadcast address.
fn answerable(src: SocketAddr) -> bool {
    src.port() != 0
        && !src.ip().is_unspecified()
        && match src.ip() {
            IpAddr::V4(ip) => !ip.is_broadcast(),
            IpAddr::V6(_) => true,
        }
}
