//! The receive loops of DNS over UDP: one per core (two to four) on the shared socket, taking
//! the waiting queries with one `recvmmsg(2)`, answering them, and sending the replies with one
//! `sendmmsg(2)` (as segment trains, `udp_trains.rs`). At the load where the server's CPU matters,
//! a system call per query each way cost more than answering a remembered question.
//!
//! One loop receives at a time: it holds the receive turn while it answers from remembered
//! replies, and hands it over before it works out a new question, which may wait on a forwarder
//! for up to a second, so another loop keeps answering meanwhile. Loops that all waited on the
//! socket were all woken for each arrival, and split the waiting queries into smaller batches: on
//! two cores shared with the askers they cost about half as much CPU again per query as one loop
//! (bench/README.md, "DNS: the lab's server against BIND 9").
//!
//! Under load the loop holding the turn pauses briefly after a batch that found a few queries
//! waiting together but not a full batch ([`GATHER_PAUSE`]), so that the next batch gathers more.

use super::handler::PolicyHandler;
use super::policy::DnsState;
use super::udp::UdpAnswerer;
use super::udp_batch::{Received, Replies, BATCH};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::{Mutex, OwnedMutexGuard};
use tokio_util::sync::CancellationToken;

/// The largest datagram read, as hickory's UDP stream reads (longer ones are cut there too).
const RECEIVE_BUFFER: usize = 4096;

/// The pause after a batch that [`gathers`]. A server quicker than its askers drains the socket
/// to a few queries each time, and every batch's fixed costs (a wake-up and a switch back in, two
/// system calls, a wake-up of each asker) fall on those few: at three or four queries a batch the
/// lab spent 4.4–6.1 µs of CPU per query. Pausing lets the askers, who share the cores, send the
/// next batch's worth; it cost about half as much CPU per query and answered more queries a
/// second (bench/README.md, "Batches that gather").
///
/// The pause blocks the worker thread: the runtime's timers count in milliseconds, which would
/// hold up answers a hundred times longer. The kernel's timer slack (50 µs by default) stretches
/// it to about 70 µs, the most a query arriving meanwhile waits. Tasks waiting on this worker are
/// taken by the others, as when any task runs long.
const GATHER_PAUSE: Duration = Duration::from_micros(20);

/// The fewest queries found waiting together that make the loop pause. Two or three arrive
/// together at moderate rates too, where a pause gathers little and costs its own wake-up: at
/// 20,000 queries a second, pausing from two on cost 15.6 µs of CPU per query instead of 11.3 µs
/// and doubled the latency; from four on, neither moved.
const GATHERING: usize = 4;

/// Whether a batch of `count` queries is followed by [`GATHER_PAUSE`]: [`GATHERING`] or more
/// waiting together mean askers send faster than single answers; fewer mean no one waits long on
/// anyone (a rehearsal's clients, a `Resolve-DnsName`), and a full batch that more already wait.
fn gathers(count: usize) -> bool {
    (GATHERING..BATCH).contains(&count)
}

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
    // At least two, so a silent forwarder stalls one loop and never the server.
    let loops = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(2, 4);
    let turn = Arc::new(Mutex::new(()));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..loops {
        let answerer = UdpAnswerer::new(handler.clone());
        tasks.spawn(receive_loop(socket.clone(), turn.clone(), answerer, shutdown.clone()));
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
/// system call, while it holds the receive `turn`. A remembered reply is queued at once; before a
/// new question is worked out (it may wait on a forwarder) the queued replies go out and the turn
/// passes on, so no asker waits behind another's question.
async fn receive_loop(
    socket: Arc<UdpSocket>,
    turn: Arc<Mutex<()>>,
    mut answerer: UdpAnswerer,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let fd = socket.as_raw_fd();
    let mut received = Received::new(RECEIVE_BUFFER);
    let mut replies = Replies::for_socket(fd);
    let mut receiving: Option<OwnedMutexGuard<()>> = None;
    loop {
        if receiving.is_none() {
            tokio::select! {
                got = turn.clone().lock_owned() => receiving = Some(got),
                _ = shutdown.cancelled() => return Ok(()),
            }
        }
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
            receiving = None;
            if let Some(reply) = answerer.answer(packet, src).await {
                replies.push(reply, src);
            }
        }
        send(&socket, &mut replies).await;
        // A loop that handed the turn on would only keep a worker from the others.
        if receiving.is_some() && gathers(count) {
            std::thread::sleep(GATHER_PAUSE);
        }
    }
}

/// Sends the queued replies, as many trains per system call as the socket takes; a train the
/// system refuses is logged and skipped, as a failed `send_to` was.
async fn send(socket: &UdpSocket, replies: &mut Replies) {
    let fd = socket.as_raw_fd();
    while replies.pending() {
        match socket.try_io(Interest::WRITABLE, || replies.send(fd)) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if let Err(e) = socket.writable().await {
                    tracing::debug!(error = %e, "cannot send DNS responses");
                    break;
                }
            }
            Err(e) => {
                let to = replies.give_up();
                tracing::debug!(error = %e, src = ?to, "cannot send a DNS response");
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::forward::ForwardPath;
    use hickory_proto::op::{Message, Query};
    use hickory_proto::rr::{Name, RecordType};
    use std::time::Duration;

    fn query(id: u16, name: &str) -> Vec<u8> {
        let mut message = Message::query();
        message.metadata.id = id;
        message.metadata.recursion_desired = true;
        message.add_query(Query::query(Name::from_ascii(name).unwrap(), RecordType::A));
        message.to_vec().unwrap()
    }

    #[test]
    fn only_a_partial_batch_of_queries_arriving_together_pauses() {
        assert!(!gathers(0));
        assert!(!gathers(1), "a lone query is answered and the loop waits on the socket at once");
        assert!(!gathers(GATHERING - 1), "a few together at a moderate rate: no pause");
        assert!(gathers(GATHERING));
        assert!(gathers(BATCH - 1));
        assert!(!gathers(BATCH), "a full batch means more are waiting: no pause");
    }

    /// While one loop waits on a silent forwarder, another holds the receive turn and answers.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_silent_forwarder_does_not_hold_up_other_askers() {
        let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let forwarder: IpAddr = "192.0.2.53".parse().unwrap();
        let mut state = DnsState::default();
        state.add_zone("adatum.biz", None, None).unwrap();
        state.add_a("adatum.biz", None, "www", "203.0.113.80").unwrap();
        state.add_forwarders(&[forwarder.to_string()]).unwrap();
        let forward = ForwardPath { dial: [(forwarder, silent.local_addr().unwrap())].into(), state_as: None };
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let to = server.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let serving = tokio::spawn(run(server, Arc::new(RwLock::new(state)), Arc::new(forward), shutdown.clone()));

        let waiting = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        waiting.send_to(&query(1, "elsewhere.example."), to).await.unwrap();
        // The forwarded question reached the forwarder: a loop is now waiting on its silence.
        let mut buffer = [0u8; 512];
        tokio::time::timeout(Duration::from_secs(5), silent.recv(&mut buffer))
            .await
            .expect("the question is forwarded")
            .unwrap();

        let other = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        other.send_to(&query(2, "www.adatum.biz."), to).await.unwrap();
        let length = tokio::time::timeout(Duration::from_secs(5), other.recv(&mut buffer))
            .await
            .expect("another asker is answered while the forwarder is silent")
            .unwrap();
        let answer = Message::from_vec(&buffer[..length]).unwrap();
        assert_eq!(answer.metadata.id, 2);
        assert_eq!(answer.answers.len(), 1, "{answer:?}");
        assert_eq!(
            waiting.try_recv(&mut buffer).unwrap_err().kind(),
            io::ErrorKind::WouldBlock,
            "the forwarded question is still waiting on its forwarder"
        );
        shutdown.cancel();
        serving.await.unwrap().unwrap();
    }
}
