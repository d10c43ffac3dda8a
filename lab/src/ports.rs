//! Ports for the lab's own listeners on loopback, taken outside the range the kernel hands to
//! outgoing connections (`net.ipv4.ip_local_port_range`).
//!
//! Why: a rehearsal at CCE's maximum opens tens of thousands of connections, and each leaves its
//! client port in TIME_WAIT for a minute. Two such runs in a row left no port of that range
//! free, and a listener bound to port 0 (which the kernel picks from the same range) failed
//! with "Address already in use", so a lab could not start. Listeners picked from below the
//! range never meet those ports (lab choice, docs/design/backends.md).

use std::net::SocketAddr;
use tokio::net::{TcpListener, UdpSocket};

/// How many free-looking ports are tried before leaving the choice to the kernel.
const TRIES: usize = 64;
/// The most ports below the kernel's range the lab picks from.
const SPAN: u16 = 16_384;

/// A TCP listener at `address`; at port 0, on a free port outside the kernel's range.
pub async fn listen(address: SocketAddr) -> std::io::Result<TcpListener> {
    if address.port() != 0 {
        return TcpListener::bind(address).await;
    }
    for port in candidates() {
        match TcpListener::bind(SocketAddr::new(address.ip(), port)).await {
            Ok(listener) => return Ok(listener),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(e) => return Err(e),
        }
    }
    TcpListener::bind(address).await
}

/// A UDP socket and a TCP listener on one port at `address` (DNS answers on both); at port 0,
/// on a port free for both, outside the kernel's range when one is.
pub async fn listen_udp_and_tcp(address: SocketAddr) -> std::io::Result<(UdpSocket, TcpListener)> {
    if address.port() != 0 {
        return Ok((UdpSocket::bind(address).await?, TcpListener::bind(address).await?));
    }
    for port in candidates() {
        let at = SocketAddr::new(address.ip(), port);
        let Ok(udp) = UdpSocket::bind(at).await else { continue };
        if let Ok(tcp) = TcpListener::bind(at).await {
            return Ok((udp, tcp));
        }
    }
    // The kernel's own choice, retried while another program holds the UDP port's TCP twin.
    let mut last = None;
    for _ in 0..32 {
        let udp = UdpSocket::bind(address).await?;
        match TcpListener::bind(udp.local_addr()?).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no port free for DNS over UDP and TCP")))
}

/// Random ports below the kernel's range (none when the range leaves no room below it).
fn candidates() -> impl Iterator<Item = u16> {
    let below = below_kernel_range();
    (0..TRIES).filter_map(move |_| below.map(|(low, high)| rand::random_range(low..=high)))
}

/// The ports the lab picks from: up to [`SPAN`] ports just below the kernel's range, above the
/// privileged ones. Read once: a lab at CCE's maximum binds thousands of listeners.
fn below_kernel_range() -> Option<(u16, u16)> {
    static RANGE: std::sync::OnceLock<Option<(u16, u16)>> = std::sync::OnceLock::new();
    *RANGE.get_or_init(read_below_kernel_range)
}

fn read_below_kernel_range() -> Option<(u16, u16)> {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let low: u16 = text.split_whitespace().next()?.parse().ok()?;
    let high = low.checked_sub(1)?;
    let from = low.saturating_sub(SPAN).max(1024);
    (from < high).then_some((from, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listener_on_port_0_is_outside_the_kernels_range() {
        let listener = listen("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        if let Some((low, high)) = below_kernel_range() {
            assert!((low..=high).contains(&port), "port {port} is outside {low}-{high}");
        }
        let (udp, tcp) = listen_udp_and_tcp("127.0.0.1:0".parse().unwrap()).await.unwrap();
        assert_eq!(udp.local_addr().unwrap().port(), tcp.local_addr().unwrap().port());
        let fixed = listen(SocketAddr::new([127, 0, 0, 1].into(), port)).await;
        assert!(fixed.is_err(), "a fixed port is bound as asked: this one is taken");
    }
}
