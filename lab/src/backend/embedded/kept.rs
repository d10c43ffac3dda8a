//! Sockets a reset serves again without ever closing them. Closed, even for a moment, a loopback
//! port can be taken by any other socket of the machine (an outgoing connection's own port, another
//! lab's listener), and the role would come back somewhere else or not at all. A kept socket is a
//! second descriptor of the same socket: the port stays the role's while the role is stopped.

use crate::dns::DnsSockets;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use tokio::net::{TcpListener, UdpSocket};

/// A listening TCP socket kept across a role's restarts.
pub struct KeptListener(OwnedFd);

impl KeptListener {
    pub fn of(listener: &TcpListener) -> io::Result<KeptListener> {
        Ok(KeptListener(listener.as_fd().try_clone_to_owned()?))
    }

    /// The same socket, ready to be served again.
    pub fn listener(&self) -> io::Result<TcpListener> {
        let std = std::net::TcpListener::from(self.0.try_clone()?);
        std.set_nonblocking(true)?;
        TcpListener::from_std(std)
    }
}

/// A DNS server's sockets (DNS over UDP and TCP, management API) kept across a reset.
pub struct KeptDnsSockets {
    udp: OwnedFd,
    tcp: KeptListener,
    admin: KeptListener,
}

impl KeptDnsSockets {
    pub fn of(sockets: &DnsSockets) -> io::Result<KeptDnsSockets> {
        Ok(KeptDnsSockets {
            udp: sockets.udp.as_fd().try_clone_to_owned()?,
            tcp: KeptListener::of(&sockets.tcp)?,
            admin: KeptListener::of(&sockets.admin)?,
        })
    }

    pub fn sockets(&self) -> io::Result<DnsSockets> {
        let udp = std::net::UdpSocket::from(self.udp.try_clone()?);
        udp.set_nonblocking(true)?;
        Ok(DnsSockets { udp: UdpSocket::from_std(udp)?, tcp: self.tcp.listener()?, admin: self.admin.listener()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_kept_listener_holds_its_port_while_nothing_serves_it() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let kept = KeptListener::of(&listener).unwrap();
        drop(listener);
        let taken = TcpListener::bind(address).await;
        assert!(taken.is_err(), "nobody else may bind the kept port");
        let again = kept.listener().unwrap();
        assert_eq!(again.local_addr().unwrap(), address);
        let mut client = tokio::net::TcpStream::connect(address).await.unwrap();
        let (mut served, _) = again.accept().await.unwrap();
        client.write_all(b"ping").await.unwrap();
        let mut heard = [0u8; 4];
        served.read_exact(&mut heard).await.unwrap();
        assert_eq!(&heard, b"ping");
    }
}
