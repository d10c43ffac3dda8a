//! Many datagrams per system call: `recvmmsg(2)` takes up to [`BATCH`] queries at once and
//! `sendmmsg(2)` sends their replies at once. At a few hundred thousand queries a second the two
//! system calls per query, not the answering, were most of the DNS server's CPU.
//!
//! The kernel fills and reads buffers this module owns; the headers pointing into them live on the
//! stack for one call only, so nothing here holds a pointer between calls.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::RawFd;

/// Datagrams received, and replies sent, per system call.
pub const BATCH: usize = 32;
/// The room a batch of replies keeps between batches: ordinary replies fit many times over, and
/// one batch of large ones (a requester may ask for 64 KiB) does not stay allocated.
const KEPT_BYTES: usize = 64 << 10;

/// Buffers for up to [`BATCH`] received datagrams: `BATCH` × the datagram size, reused.
pub struct Received {
    size: usize,
    data: Vec<u8>,
    from: Vec<libc::sockaddr_storage>,
    lengths: Vec<usize>,
}

impl Received {
    /// Room for [`BATCH`] datagrams of up to `size` bytes each (longer ones are cut, as `recv`
    /// cuts them).
    pub fn new(size: usize) -> Received {
        Received {
            size,
            data: vec![0; size * BATCH],
            // SAFETY: sockaddr_storage, iovec and mmsghdr are plain C structs for which all zero
            // bytes is a valid value (null pointers, zero lengths).
            from: vec![unsafe { zeroed() }; BATCH],
            lengths: vec![0; BATCH],
        }
    }

    /// Reads the datagrams waiting on `fd`, up to [`BATCH`], without blocking; `WouldBlock` when
    /// none waits. Returns how many were read.
    pub fn receive(&mut self, fd: RawFd) -> io::Result<usize> {
        // SAFETY: as in `new`, all zero bytes is a valid iovec and mmsghdr.
        let mut iovecs: [libc::iovec; BATCH] = unsafe { zeroed() };
        let mut headers: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
        for (i, (buffer, from)) in self.data.chunks_exact_mut(self.size).zip(&mut self.from).enumerate() {
            iovecs[i] = libc::iovec { iov_base: buffer.as_mut_ptr().cast(), iov_len: self.size };
            // SAFETY: as in `new`, all zero bytes is a valid msghdr.
            let mut header: libc::msghdr = unsafe { zeroed() };
            header.msg_name = (from as *mut libc::sockaddr_storage).cast();
            header.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            header.msg_iov = &mut iovecs[i];
            header.msg_iovlen = 1;
            headers[i] = libc::mmsghdr { msg_hdr: header, msg_len: 0 };
        }
        // SAFETY: every header points at one iovec over its own `size` bytes of `data` and at its
        // own sockaddr_storage, all alive and not otherwise borrowed during the call; the kernel
        // writes at most `BATCH` headers and within the lengths given.
        let n = unsafe {
            libc::recvmmsg(fd, headers.as_mut_ptr(), BATCH as libc::c_uint, libc::MSG_DONTWAIT, std::ptr::null_mut())
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = n as usize;
        for (length, header) in self.lengths.iter_mut().zip(&headers[..n]) {
            *length = (header.msg_len as usize).min(self.size);
        }
        Ok(n)
    }

    /// The `i`th datagram of the last [`Self::receive`] and its sender, when the sender is an
    /// IPv4 or IPv6 address.
    pub fn datagram(&self, i: usize) -> (&[u8], Option<SocketAddr>) {
        let start = i * self.size;
        (&self.data[start..start + self.lengths[i]], socket_address(&self.from[i]))
    }
}

/// Replies waiting to go out in one `sendmmsg`: their bytes end to end in one buffer.
pub struct Replies {
    bytes: Vec<u8>,
    /// Where each reply starts and ends in `bytes`, and where it goes.
    replies: Vec<(usize, usize, SocketAddr)>,
    to: Vec<libc::sockaddr_storage>,
}

impl Default for Replies {
    fn default() -> Self {
        Replies {
            bytes: Vec::new(),
            replies: Vec::with_capacity(BATCH),
            // SAFETY: as in `Received::new`.
            to: vec![unsafe { zeroed() }; BATCH],
        }
    }
}

impl Replies {
    /// Queues `reply` to `to`; at most [`BATCH`] wait at once.
    pub fn push(&mut self, reply: &[u8], to: SocketAddr) {
        debug_assert!(self.replies.len() < BATCH, "a batch holds at most BATCH replies");
        let start = self.bytes.len();
        self.bytes.extend_from_slice(reply);
        self.replies.push((start, self.bytes.len(), to));
    }

    /// The queued replies from the `skip`th on, in order.
    pub fn iter(&self, skip: usize) -> impl Iterator<Item = (&[u8], SocketAddr)> {
        self.replies[skip..].iter().map(|&(start, end, to)| (&self.bytes[start..end], to))
    }

    /// Sends the queued replies from the `skip`th on without blocking; returns how many went
    /// (at least one), or the error of the first that did not (`WouldBlock` when the socket's
    /// buffer is full).
    pub fn send(&mut self, fd: RawFd, skip: usize) -> io::Result<usize> {
        let count = self.replies.len() - skip;
        // SAFETY: as in `Received::new`, all zero bytes is a valid iovec and mmsghdr.
        let mut iovecs: [libc::iovec; BATCH] = unsafe { zeroed() };
        let mut headers: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
        for (i, (&(start, end, to), storage)) in self.replies[skip..].iter().zip(&mut self.to).enumerate() {
            let length = write_socket_address(to, storage);
            iovecs[i] = libc::iovec { iov_base: self.bytes[start..].as_mut_ptr().cast(), iov_len: end - start };
            // SAFETY: as above, for msghdr.
            let mut header: libc::msghdr = unsafe { zeroed() };
            header.msg_name = (storage as *mut libc::sockaddr_storage).cast();
            header.msg_namelen = length;
            header.msg_iov = &mut iovecs[i];
            header.msg_iovlen = 1;
            headers[i] = libc::mmsghdr { msg_hdr: header, msg_len: 0 };
        }
        // SAFETY: the first `count` headers each point at one iovec over a reply inside `bytes`
        // and at an address of `namelen` bytes, all alive and untouched during the call; the
        // kernel only reads them (and writes `msg_len`).
        let n = unsafe { libc::sendmmsg(fd, headers.as_mut_ptr(), count as libc::c_uint, libc::MSG_DONTWAIT) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(n as usize)
    }

    /// Forgets the queued replies; the buffer keeps at most [`KEPT_BYTES`] of its room.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.bytes.shrink_to(KEPT_BYTES);
        self.replies.clear();
    }

    pub fn len(&self) -> usize {
        self.replies.len()
    }
}

fn socket_address(storage: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match storage.ss_family as libc::c_int {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in, which it is large and
            // aligned enough for.
            let a = unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(a.sin_port))))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for sockaddr_in6.
            let a = unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(a.sin6_port),
                u32::from_be(a.sin6_flowinfo),
                a.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// Writes `address` into `storage` as the kernel reads it; returns its length.
fn write_socket_address(address: SocketAddr, storage: &mut libc::sockaddr_storage) -> libc::socklen_t {
    match address {
        SocketAddr::V4(a) => {
            // SAFETY: sockaddr_storage is large and aligned enough for a sockaddr_in.
            let out = unsafe { &mut *(storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            out.sin_family = libc::AF_INET as libc::sa_family_t;
            out.sin_port = a.port().to_be();
            out.sin_addr = libc::in_addr { s_addr: u32::from(*a.ip()).to_be() };
            size_of::<libc::sockaddr_in>() as libc::socklen_t
        }
        SocketAddr::V6(a) => {
            // SAFETY: as above, for sockaddr_in6.
            let out = unsafe { &mut *(storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            out.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            out.sin6_port = a.port().to_be();
            out.sin6_flowinfo = a.flowinfo().to_be();
            out.sin6_addr = libc::in6_addr { s6_addr: a.ip().octets() };
            out.sin6_scope_id = a.scope_id();
            size_of::<libc::sockaddr_in6>() as libc::socklen_t
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn addresses_survive_the_round_trip_through_the_kernel_form() {
        for address in ["127.0.0.1:53", "192.0.2.7:40000", "[::1]:5353", "[fe80::1%3]:1"] {
            let address: SocketAddr = address.parse().unwrap();
            // SAFETY: as in `Received::new`.
            let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
            write_socket_address(address, &mut storage);
            assert_eq!(socket_address(&storage), Some(address));
        }
    }

    #[test]
    fn a_batch_reads_every_waiting_datagram_and_answers_each_sender() {
        let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let clients: Vec<_> = (0..3).map(|_| std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).collect();
        for (i, c) in clients.iter().enumerate() {
            c.send_to(&[i as u8; 5], server.local_addr().unwrap()).unwrap();
        }
        server.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        let mut received = Received::new(4);
        let mut replies = Replies::default();
        let mut got = 0;
        while got < clients.len() {
            let n = match received.receive(server.as_raw_fd()) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Wait (at most the timeout) until one more is queued.
                    server.peek(&mut [0]).expect("the datagrams arrive");
                    continue;
                }
                Err(e) => panic!("{e}"),
            };
            for i in 0..n {
                let (bytes, from) = received.datagram(i);
                assert_eq!(bytes.len(), 4, "a longer datagram is cut at the buffer");
                replies.push(&[bytes[0], 0xAA], from.unwrap());
            }
            got += n;
        }
        assert_eq!(got, clients.len());
        assert_eq!(replies.send(server.as_raw_fd(), 0).unwrap(), clients.len());
        for (i, c) in clients.iter().enumerate() {
            c.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
            let mut reply = [0u8; 8];
            let (len, from) = c.recv_from(&mut reply).unwrap();
            assert_eq!(from, server.local_addr().unwrap());
            assert_eq!(&reply[..len], &[i as u8, 0xAA]);
        }
    }
}
