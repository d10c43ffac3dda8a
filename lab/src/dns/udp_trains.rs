//! Which of a batch's replies travel together as one UDP segment train (generic segmentation
//! offload, `UDP_SEGMENT`).
//!
//! Why: answering from remembered replies, the DNS server's CPU is almost all the kernel's send
//! path, and on loopback that path also carries each reply through the receiving side (routing,
//! netfilter, connection tracking). A train is one buffer of equal-sized segments that the kernel
//! routes, filters and tracks once, and cuts into separate datagrams only where it must: at a
//! device that cannot carry it, or at the receiving socket when that socket has not asked for
//! trains (`UDP_GRO`), which ordinary resolvers do not. Every asker still gets each reply as its
//! own datagram with the same bytes.
//!
//! The kernel's rule is that every segment of a train has the train's segment size except the
//! last, which may be shorter, and that a train goes to one address. So the replies are ordered by
//! where they go and then longest first, and a train runs while the destination and the length
//! hold, taking one shorter reply as its last. A batch answered to a few askers with replies of
//! two or three lengths becomes a few trains. The order of replies to one asker changes; UDP never
//! promised an order, and each reply carries its query's ID.
//!
//! This module only plans: `udp_batch.rs` sends, and falls back to one datagram per reply when the
//! kernel refuses trains.

use std::cmp::Reverse;
use std::net::SocketAddr;

/// The longest reply that joins a train. A segment must fit the path's MTU whole, since the
/// kernel cuts a train only at segment boundaries and never fragments a segment; 1,200 bytes
/// fits IPv6's minimum MTU (1,280) with the headers. Longer replies (EDNS allows up to 64 KiB)
/// go alone, where the kernel fragments them as it always did.
pub const LONGEST_SEGMENT: usize = 1200;
/// The most segments in one train: the kernel's `UDP_MAX_SEGMENTS` before Linux 6.11 raised it.
pub const MOST_SEGMENTS: usize = 64;
/// The most bytes in one train: the whole train must fit one UDP datagram's length field (65,507
/// bytes of payload over IPv4).
pub const MOST_TRAIN_BYTES: usize = 60_000;

/// Replies sent in one `sendmsg`: a run of the planned order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Train {
    /// Where its first reply is in the planned order.
    pub first: usize,
    /// How many replies it carries, at least one.
    pub count: usize,
    /// The length of every reply in it but the last, which may be shorter.
    pub segment: usize,
}

/// A reply waiting in a batch: where it starts and ends in the batch's buffer, and where it goes.
pub type Queued = (usize, usize, SocketAddr);

/// Fills `order` with the indices of `replies` in sending order and `trains` with the trains that
/// cut it. With `segments` false, or for replies that may not share a train, each reply is a
/// train of its own, in the order queued.
pub fn plan(replies: &[Queued], segments: bool, order: &mut Vec<usize>, trains: &mut Vec<Train>) {
    order.clear();
    trains.clear();
    order.extend(0..replies.len());
    if !segments {
        trains.extend((0..replies.len()).map(|i| single(replies, i)));
        return;
    }
    // Stable: replies of the same length to the same asker keep their order.
    order.sort_by_key(|&i| {
        let (start, end, to) = replies[i];
        (to, Reverse(end - start))
    });
    let mut position = 0;
    while position < order.len() {
        let (start, end, to) = replies[order[position]];
        let segment = end - start;
        let mut train = Train { first: position, count: 1, segment };
        let mut bytes = segment;
        if segment <= LONGEST_SEGMENT {
            for &next in &order[position + 1..] {
                let (start, end, next_to) = replies[next];
                let length = end - start;
                if next_to != to || train.count == MOST_SEGMENTS || bytes + length > MOST_TRAIN_BYTES {
                    break;
                }
                train.count += 1;
                bytes += length;
                if length < segment {
                    // A shorter reply ends the train.
                    break;
                }
            }
        }
        position += train.count;
        trains.push(train);
    }
}

/// The trains of `trains` from the `from`th on, each cut into trains of one reply.
pub fn split_from(replies: &[Queued], order: &[usize], trains: &mut Vec<Train>, from: usize) {
    let Some(first) = trains.get(from).map(|t| t.first) else {
        return;
    };
    trains.truncate(from);
    trains.extend((first..order.len()).map(|position| Train { first: position, ..single(replies, order[position]) }));
}

fn single(replies: &[Queued], i: usize) -> Train {
    let (start, end, _) = replies[i];
    Train { first: i, count: 1, segment: end - start }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replies of these lengths to these askers, end to end.
    fn queued(replies: &[(usize, &str)]) -> Vec<Queued> {
        let mut start = 0;
        replies
            .iter()
            .map(|&(length, to)| {
                start += length;
                (start - length, start, to.parse().unwrap())
            })
            .collect()
    }

    /// The planned trains as (destination, lengths in order).
    fn trains_of(replies: &[Queued], segments: bool) -> Vec<(SocketAddr, Vec<usize>)> {
        let (mut order, mut trains) = (Vec::new(), Vec::new());
        plan(replies, segments, &mut order, &mut trains);
        check(replies, &order, &trains);
        trains
            .iter()
            .map(|t| {
                let lengths = order[t.first..t.first + t.count].iter().map(|&i| replies[i].1 - replies[i].0);
                (replies[order[t.first]].2, lengths.collect())
            })
            .collect()
    }

    /// What the kernel requires of every train, and that every reply goes exactly once.
    fn check(replies: &[Queued], order: &[usize], trains: &[Train]) {
        let mut sorted = order.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..replies.len()).collect::<Vec<_>>(), "each reply once");
        let mut next = 0;
        for t in trains {
            assert_eq!(t.first, next, "trains cut the order end to end");
            next += t.count;
            let members: Vec<_> = order[t.first..t.first + t.count].iter().map(|&i| replies[i]).collect();
            assert!(members.iter().all(|m| m.2 == members[0].2), "one destination per train: {members:?}");
            assert!(t.count <= MOST_SEGMENTS);
            let lengths: Vec<_> = members.iter().map(|m| m.1 - m.0).collect();
            assert_eq!(lengths[0], t.segment);
            if t.count > 1 {
                assert!(t.segment <= LONGEST_SEGMENT);
                assert!(lengths.iter().sum::<usize>() <= MOST_TRAIN_BYTES);
                assert!(lengths[..t.count - 1].iter().all(|&l| l == t.segment), "equal segments: {lengths:?}");
                assert!(lengths[t.count - 1] <= t.segment, "the last may be shorter: {lengths:?}");
            }
        }
        assert_eq!(next, order.len());
    }

    #[test]
    fn replies_to_one_asker_of_two_lengths_make_two_trains() {
        let a = "127.0.0.1:1000";
        let replies = queued(&[(60, a), (45, a), (60, a), (45, a), (60, a), (45, a)]);
        let a = a.parse().unwrap();
        assert_eq!(trains_of(&replies, true), vec![(a, vec![60, 60, 60, 45]), (a, vec![45, 45])]);
    }

    #[test]
    fn each_asker_gets_its_own_trains() {
        let (a, b) = ("127.0.0.1:1000", "127.0.0.1:1001");
        let replies = queued(&[(60, a), (60, b), (60, a), (60, b), (45, b)]);
        let (a, b) = (a.parse().unwrap(), b.parse().unwrap());
        assert_eq!(trains_of(&replies, true), vec![(a, vec![60, 60]), (b, vec![60, 60, 45])]);
    }

    #[test]
    fn long_replies_go_alone_and_trains_stay_within_the_kernels_limits() {
        let a = "[::1]:53";
        let mut list = vec![(LONGEST_SEGMENT + 1, a), (LONGEST_SEGMENT + 1, a), (10, a)];
        list.extend(std::iter::repeat_n((30, a), MOST_SEGMENTS + 3));
        list.extend(std::iter::repeat_n((LONGEST_SEGMENT, a), 120));
        let replies = queued(&list);
        let trains = trains_of(&replies, true);
        let counts: Vec<_> = trains.iter().map(|(_, lengths)| lengths.len()).collect();
        // Two alone; 50 of 1,200 bytes at most (60,000), the last 20 ending with one of 30; 64 of
        // the other 66 of 30, then two and the 10.
        assert_eq!(counts, vec![1, 1, 50, 50, 21, 64, 3]);
    }

    #[test]
    fn without_segments_every_reply_is_a_train_in_queued_order() {
        let (a, b) = ("127.0.0.1:1000", "127.0.0.1:1001");
        let replies = queued(&[(60, a), (60, b), (60, a)]);
        let (mut order, mut trains) = (Vec::new(), Vec::new());
        plan(&replies, false, &mut order, &mut trains);
        check(&replies, &order, &trains);
        assert_eq!(order, vec![0, 1, 2]);
        assert_eq!(trains.len(), 3);
    }

    #[test]
    fn a_split_keeps_the_trains_before_and_cuts_the_rest_into_single_replies() {
        let (a, b) = ("127.0.0.1:1000", "127.0.0.1:1001");
        let replies = queued(&[(60, a), (60, b), (60, a), (60, b), (45, b)]);
        let (mut order, mut trains) = (Vec::new(), Vec::new());
        plan(&replies, true, &mut order, &mut trains);
        assert_eq!(trains.len(), 2);
        split_from(&replies, &order, &mut trains, 1);
        check(&replies, &order, &trains);
        let counts: Vec<_> = trains.iter().map(|t| t.count).collect();
        assert_eq!(counts, vec![2, 1, 1, 1]);
        assert_eq!(trains[3].segment, 45);
    }
}
