//! Many datagrams per system call: `recvmmsg(2)` takes up to [`BATCH`] queries at once and
//! `sendmmsg(2)` sends their replies at once, replies to the same asker as segment trains where
//! the kernel takes them (`udp_trains.rs`). At a few hundred thousand queries a second the two
//! system calls per query, not the answering, were most of the DNS server's CPU; with batching,
//! the kernel's path for each datagram sent was.
//!
//! The kernel fills and reads buffers this module owns; the headers pointing into them live on the
//! stack for one call only, so nothing here holds a pointer between calls.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::RawFd;

use super::udp_trains::{plan, split_from, Queued, Train};

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

/// Replies waiting to go out in one `sendmmsg`: their bytes end to end in one buffer, sent as
/// segment trains (`udp_trains.rs`) where the kernel takes them.
pub struct Replies {
    bytes: Vec<u8>,
    /// Where each reply starts and ends in `bytes`, and where it goes.
    replies: Vec<Queued>,
    /// Whether replies may share a train: the kernel offered `UDP_SEGMENT` and has not refused a
    /// train on this socket since.
    segments: bool,
    /// The replies' sending order and the trains that cut it, planned at the first send of a batch.
    order: Vec<usize>,
    trains: Vec<Train>,
    planned: bool,
    /// How many trains of the plan have gone (or been given up).
    sent: usize,
    to: Vec<libc::sockaddr_storage>,
}

/// The control message that makes one `sendmsg` a train of `segment`-byte datagrams: a
/// `cmsghdr` of level `SOL_UDP`, type `UDP_SEGMENT`, and the size as a `u16` right after it.
/// Written as a struct rather than with `CMSG_*` pointer arithmetic; the assertion below checks it
/// has the layout the kernel reads.
#[repr(C)]
#[derive(Clone, Copy)]
struct SegmentControl {
    header: libc::cmsghdr,
    segment: u16,
}

// SAFETY (of the const calls): CMSG_SPACE and CMSG_LEN only compute sizes.
const _: () = assert!(size_of::<SegmentControl>() == unsafe { libc::CMSG_SPACE(2) } as usize);
const _: () = assert!(std::mem::offset_of!(SegmentControl, segment) == unsafe { libc::CMSG_LEN(0) } as usize);

impl Replies {
    /// An empty batch for replies sent on `fd`, in trains when the kernel offers `UDP_SEGMENT`.
    pub fn for_socket(fd: RawFd) -> Replies {
        Replies::new(offers_segments(fd))
    }

    /// An empty batch; `segments` false sends one datagram per reply.
    pub fn new(segments: bool) -> Replies {
        Replies {
            bytes: Vec::new(),
            replies: Vec::with_capacity(BATCH),
            segments,
            order: Vec::with_capacity(BATCH),
            trains: Vec::with_capacity(BATCH),
            planned: false,
            sent: 0,
            // SAFETY: as in `Received::new`.
            to: vec![unsafe { zeroed() }; BATCH],
        }
    }

    /// Queues `reply` to `to`; at most [`BATCH`] wait at once, and none after the batch's first send.
    pub fn push(&mut self, reply: &[u8], to: SocketAddr) {
        debug_assert!(self.replies.len() < BATCH, "a batch holds at most BATCH replies");
        debug_assert!(!self.planned, "replies are queued before the batch is sent");
        let start = self.bytes.len();
        self.bytes.extend_from_slice(reply);
        self.replies.push((start, self.bytes.len(), to));
    }

    /// Whether replies of the batch wait to go.
    pub fn pending(&self) -> bool {
        if self.planned {
            self.sent < self.trains.len()
        } else {
            !self.replies.is_empty()
        }
    }

    /// Whether replies still share trains: false once the kernel refused one.
    #[cfg(test)]
    pub fn segments(&self) -> bool {
        self.segments
    }

    /// Sends the waiting trains without blocking; returns how many went (at least one), or the
    /// error of the first that did not (`WouldBlock` when the socket's buffer is full), which
    /// stays first until [`Self::give_up`]. A train the kernel refuses as a train (`EIO` from a
    /// device without checksum offload, `EINVAL` for a segment it cannot carry) is sent again as
    /// single datagrams, and so is everything after it: the socket sends no trains from then on.
    pub fn send(&mut self, fd: RawFd) -> io::Result<usize> {
        if !self.planned {
            plan(&self.replies, self.segments, &mut self.order, &mut self.trains);
            self.planned = true;
            self.sent = 0;
        }
        loop {
            match self.send_trains(fd) {
                Err(e) if refuses_trains(&e) && self.trains[self.sent].count > 1 => {
                    tracing::debug!(error = %e, "the kernel refused a UDP segment train; sending one datagram per reply");
                    self.segments = false;
                    split_from(&self.replies, &self.order, &mut self.trains, self.sent);
                }
                Ok(n) => {
                    self.sent += n;
                    return Ok(n);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Gives up the train whose send failed; returns where it was going.
    pub fn give_up(&mut self) -> Option<SocketAddr> {
        let train = self.trains.get(self.sent)?;
        let to = self.replies[self.order[train.first]].2;
        self.sent += 1;
        Some(to)
    }

    fn send_trains(&mut self, fd: RawFd) -> io::Result<usize> {
        let trains = &self.trains[self.sent..];
        // SAFETY: as in `Received::new`, all zero bytes is a valid iovec, mmsghdr and cmsghdr.
        let mut iovecs: [libc::iovec; BATCH] = unsafe { zeroed() };
        let mut headers: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
        let mut controls: [SegmentControl; BATCH] = unsafe { zeroed() };
        for (iovec, &i) in iovecs.iter_mut().zip(&self.order) {
            let (start, end, _) = self.replies[i];
            iovec.iov_base = self.bytes[start..].as_mut_ptr().cast();
            iovec.iov_len = end - start;
        }
        for (i, (train, storage)) in trains.iter().zip(&mut self.to).enumerate() {
            let to = self.replies[self.order[train.first]].2;
            let length = write_socket_address(to, storage);
            // SAFETY: as above, for msghdr.
            let mut header: libc::msghdr = unsafe { zeroed() };
            header.msg_name = (storage as *mut libc::sockaddr_storage).cast();
            header.msg_namelen = length;
            header.msg_iov = &mut iovecs[train.first];
            header.msg_iovlen = train.count as _;
            if train.count > 1 {
                let control = &mut controls[i];
                // SAFETY: CMSG_LEN only computes a size.
                control.header.cmsg_len = unsafe { libc::CMSG_LEN(2) } as _;
                control.header.cmsg_level = libc::SOL_UDP;
                control.header.cmsg_type = libc::UDP_SEGMENT;
                control.segment = train.segment as u16;
                header.msg_control = (control as *mut SegmentControl).cast();
                header.msg_controllen = size_of::<SegmentControl>() as _;
            }
            headers[i] = libc::mmsghdr { msg_hdr: header, msg_len: 0 };
        }
        // SAFETY: the first `trains.len()` headers each point at `count` iovecs over replies inside
        // `bytes`, at an address of `namelen` bytes and at most at one control message, all alive
        // and untouched during the call; the kernel only reads them (and writes `msg_len`).
        let n = unsafe { libc::sendmmsg(fd, headers.as_mut_ptr(), trains.len() as libc::c_uint, libc::MSG_DONTWAIT) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(n as usize)
    }

    /// Forgets the batch; the buffer keeps at most [`KEPT_BYTES`] of its room.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.bytes.shrink_to(KEPT_BYTES);
        self.replies.clear();
        self.planned = false;
        self.sent = 0;
    }
}

/// Whether the kernel sends segment trains on `fd`: reading the `UDP_SEGMENT` option fails where
/// it does not (before Linux 4.18, or not a UDP socket). Asked once per receive loop; without
/// it a kernel that ignored the control message would send a train as one long datagram.
fn offers_segments(fd: RawFd) -> bool {
    let mut value: libc::c_int = 0;
    let mut length = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `length` bytes into `value`, which lives for the call.
    let got = unsafe {
        libc::getsockopt(fd, libc::SOL_UDP, libc::UDP_SEGMENT, (&mut value as *mut libc::c_int).cast(), &mut length)
    };
    got == 0
}

/// The errors with which the kernel refuses a train it would have sent as single datagrams.
fn refuses_trains(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EIO | libc::EINVAL | libc::EOPNOTSUPP | libc::ENOPROTOOPT))
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

    /// Reads what arrives at `socket` until `count` datagrams came, each within 5 s.
    fn datagrams(socket: &std::net::UdpSocket, count: usize) -> Vec<(Vec<u8>, SocketAddr)> {
        socket.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        (0..count)
            .map(|_| {
                let mut buffer = [0u8; 2048];
                let (length, from) = socket.recv_from(&mut buffer).expect("a datagram arrives");
                (buffer[..length].to_vec(), from)
            })
            .collect()
    }

    /// Sends what `replies` holds, as `udp_receive.rs` does without a runtime; returns how many
    /// `sendmmsg` messages it took.
    fn send_all(replies: &mut Replies, fd: RawFd) -> usize {
        let mut messages = 0;
        while replies.pending() {
            messages += replies.send(fd).expect("loopback takes the replies");
        }
        replies.clear();
        messages
    }

    #[test]
    fn a_batch_reads_every_waiting_datagram_and_answers_each_sender() {
        for segments in [false, true] {
            let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            let clients: Vec<_> = (0..3).map(|_| std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).collect();
            for (i, c) in clients.iter().enumerate() {
                c.send_to(&[i as u8; 5], server.local_addr().unwrap()).unwrap();
            }
            server.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
            let mut received = Received::new(4);
            let mut replies = Replies::new(segments);
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
            assert_eq!(send_all(&mut replies, server.as_raw_fd()), clients.len(), "one message per asker");
            for (i, c) in clients.iter().enumerate() {
                assert_eq!(datagrams(c, 1), vec![(vec![i as u8, 0xAA], server.local_addr().unwrap())]);
            }
        }
    }

    /// Replies of two lengths to each of three askers, queued interleaved: what each asker must get.
    fn queue_mixed(replies: &mut Replies, clients: &[std::net::UdpSocket]) -> Vec<Vec<Vec<u8>>> {
        let mut expected = vec![Vec::new(); clients.len()];
        for round in 0..8u8 {
            for (c, client) in clients.iter().enumerate() {
                let length = if round % 3 == 0 { 45 } else { 61 };
                let reply: Vec<u8> = (0..length).map(|k| round ^ (c as u8) ^ k).collect();
                replies.push(&reply, client.local_addr().unwrap());
                expected[c].push(reply);
            }
        }
        expected
    }

    fn received_as_sets(clients: &[std::net::UdpSocket], expected: &mut [Vec<Vec<u8>>]) -> Vec<Vec<Vec<u8>>> {
        clients
            .iter()
            .zip(expected.iter_mut())
            .map(|(c, want)| {
                want.sort();
                let mut got: Vec<_> = datagrams(c, want.len()).into_iter().map(|(bytes, _)| bytes).collect();
                got.sort();
                got
            })
            .collect()
    }

    #[test]
    fn trains_reach_each_asker_as_separate_datagrams() {
        let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let clients: Vec<_> = (0..3).map(|_| std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).collect();
        let mut replies = Replies::for_socket(server.as_raw_fd());
        assert!(replies.segments(), "this kernel offers UDP_SEGMENT");
        let mut expected = queue_mixed(&mut replies, &clients);
        let messages = send_all(&mut replies, server.as_raw_fd());
        // Per asker: 5 of 61 ending with one of 45, then the other two of 45.
        assert_eq!(messages, 2 * clients.len(), "trains, not one message per reply");
        assert!(replies.segments(), "the kernel took the trains");
        assert_eq!(received_as_sets(&clients, &mut expected), expected);
        // Nothing more arrived: each reply came once, as its own datagram.
        for c in &clients {
            c.set_nonblocking(true).unwrap();
            assert_eq!(c.recv(&mut [0; 64]).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        }
    }

    #[test]
    fn a_refused_train_goes_again_as_single_datagrams_and_the_socket_sends_no_more_trains() {
        let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        // The kernel refuses segmentation offload on a socket that sends without UDP checksums.
        let one: libc::c_int = 1;
        // SAFETY: the kernel reads one int from a live local.
        let set = unsafe {
            libc::setsockopt(
                server.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_NO_CHECK,
                (&one as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(set, 0, "{}", io::Error::last_os_error());
        let clients: Vec<_> = (0..3).map(|_| std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).collect();
        let mut replies = Replies::for_socket(server.as_raw_fd());
        assert!(replies.segments());
        let mut expected = queue_mixed(&mut replies, &clients);
        let messages = send_all(&mut replies, server.as_raw_fd());
        assert!(!replies.segments(), "the refusal was seen");
        assert_eq!(messages, 8 * clients.len(), "one datagram per reply");
        assert_eq!(received_as_sets(&clients, &mut expected), expected);
        // The next batch goes as single datagrams at once.
        let mut expected = queue_mixed(&mut replies, &clients);
        assert_eq!(send_all(&mut replies, server.as_raw_fd()), 8 * clients.len());
        assert_eq!(received_as_sets(&clients, &mut expected), expected);
    }
}
