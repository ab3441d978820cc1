//! The media socket's outgoing datagrams, sent in batches: one `sendmmsg(2)` carries up to
//! [`SEND_BATCH`] datagrams to any mix of destinations, where one `sendto(2)` each cost a system
//! call per forwarded copy (a speaker's packet to 100 listeners was 100 calls, now 2).
//!
//! [`Outbox`] is the sans-IO part: it keeps the queue in order and knows what a partial or failed
//! batch means. The system call is passed in, so tests drive it with a fake socket.

use std::io;
use std::net::SocketAddr;

use str0m::net::DatagramSend;

/// Datagrams handed to one system call at most. Linux takes up to `UIO_MAXIOV` (1024); 64 keeps
/// the stack of message headers small and still cuts the calls 64-fold.
pub const SEND_BATCH: usize = 64;

/// One datagram to send.
pub type Datagram = (SocketAddr, DatagramSend);

/// Datagrams waiting to be sent, oldest first.
#[derive(Debug, Default)]
pub struct Outbox {
    queue: Vec<Datagram>,
    /// How many of `queue` went out already (the rest waits for the socket to be writable).
    sent: usize,
}

/// What became of one [`Outbox::send_with`] call.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// Datagrams the kernel took.
    pub datagrams: usize,
    /// Datagrams dropped because the kernel refused them (unreachable, too large, ...).
    pub dropped: usize,
    /// The socket is full: the rest waits until it is writable.
    pub blocked: bool,
}

impl Outbox {
    /// Queues a datagram.
    pub fn push(&mut self, destination: SocketAddr, contents: DatagramSend) {
        self.queue.push((destination, contents));
    }

    /// Datagrams still to send.
    pub fn len(&self) -> usize {
        self.queue.len() - self.sent
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sends what is queued through `send_batch`, which gets up to [`SEND_BATCH`] datagrams and
    /// returns how many of them it sent, as `sendmmsg(2)` does (fewer: the next one failed). A
    /// `WouldBlock` stops here and keeps the rest for the next call; any other error drops the
    /// first datagram of that batch (media is loss-tolerant; one bad destination must not stall
    /// everyone else's) and goes on.
    pub fn send_with(
        &mut self,
        mut send_batch: impl FnMut(&[Datagram]) -> io::Result<usize>,
    ) -> Sent {
        let mut outcome = Sent::default();
        while self.sent < self.queue.len() {
            let end = self.queue.len().min(self.sent + SEND_BATCH);
            let batch = &self.queue[self.sent..end];
            match send_batch(batch) {
                Ok(0) => {
                    outcome.blocked = true;
                    break;
                }
                // A short count means the next datagram failed: the next call reports why
                // (`WouldBlock` when the socket is full).
                Ok(n) => {
                    let n = n.min(batch.len());
                    self.sent += n;
                    outcome.datagrams += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    outcome.blocked = true;
                    break;
                }
                Err(e) => {
                    tracing::trace!(destination = %batch[0].0, error = %e, "media send failed");
                    self.sent += 1;
                    outcome.dropped += 1;
                }
            }
        }
        if self.sent == self.queue.len() {
            self.queue.clear();
            self.sent = 0;
        }
        outcome
    }
}

/// Sends `batch` from the socket `fd` with one `sendmmsg(2)`; returns how many went out.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
pub fn send_batch(fd: std::os::fd::RawFd, batch: &[Datagram]) -> io::Result<usize> {
    use nix::sys::socket::{ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage, sendmmsg};
    use std::io::IoSlice;

    let addresses: Vec<Option<SockaddrStorage>> = batch
        .iter()
        .map(|(destination, _)| Some(SockaddrStorage::from(*destination)))
        .collect();
    let slices: Vec<[IoSlice<'_>; 1]> = batch
        .iter()
        .map(|(_, contents)| [IoSlice::new(contents)])
        .collect();
    let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(batch.len(), None);
    let no_control: &[ControlMessage<'_>] = &[];
    let results = sendmmsg(
        fd,
        &mut headers,
        &slices,
        &addresses,
        no_control,
        MsgFlags::empty(),
    )
    .map_err(io::Error::from)?;
    Ok(results.count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queued(n: usize) -> Outbox {
        let mut outbox = Outbox::default();
        for i in 0..n {
            let destination = SocketAddr::from(([127, 0, 0, 1], 10_000 + i as u16));
            outbox.push(destination, vec![i as u8; 4].into());
        }
        outbox
    }

    #[test]
    fn everything_goes_out_in_batches_of_at_most_send_batch() {
        let mut outbox = queued(150);
        let mut calls = Vec::new();
        let sent = outbox.send_with(|batch| {
            calls.push(batch.len());
            Ok(batch.len())
        });
        assert_eq!(calls, vec![64, 64, 22], "150 datagrams take three calls");
        assert_eq!(
            sent,
            Sent {
                datagrams: 150,
                dropped: 0,
                blocked: false
            }
        );
        assert!(outbox.is_empty());
    }

    #[test]
    fn a_full_socket_keeps_the_rest_in_order_for_later() {
        let mut outbox = queued(10);
        let mut room = 3;
        let sent = outbox.send_with(|batch| {
            let n = batch.len().min(room);
            room -= n;
            if n == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            Ok(n)
        });
        assert_eq!(sent.datagrams, 3);
        assert!(sent.blocked, "the socket filled up after three");
        assert_eq!(outbox.len(), 7);
        let mut first = None;
        let sent = outbox.send_with(|batch| {
            first.get_or_insert(batch[0].0.port());
            Ok(batch.len())
        });
        assert_eq!(
            first,
            Some(10_003),
            "sending resumes at the first unsent datagram"
        );
        assert_eq!(sent.datagrams, 7);
        assert!(outbox.is_empty());

        let mut outbox = queued(5);
        let sent = outbox.send_with(|_| Err(io::ErrorKind::WouldBlock.into()));
        assert!(sent.blocked);
        assert_eq!(outbox.len(), 5, "nothing is lost while the socket is full");
    }

    #[test]
    fn a_refused_datagram_is_dropped_and_the_others_still_go() {
        let mut outbox = queued(4);
        let mut delivered = Vec::new();
        // As sendmmsg(2): a failure after the first message shortens the count, and the next
        // call, starting at the failing message, returns its error.
        let sent = outbox.send_with(|batch| {
            for (i, (destination, _)) in batch.iter().enumerate() {
                if destination.port() == 10_001 {
                    return if i == 0 {
                        Err(io::Error::from_raw_os_error(111)) // ECONNREFUSED
                    } else {
                        Ok(i)
                    };
                }
                delivered.push(destination.port());
            }
            Ok(batch.len())
        });
        assert_eq!(delivered, vec![10_000, 10_002, 10_003]);
        assert_eq!(sent.dropped, 1);
        assert_eq!(sent.datagrams, 3);
        assert!(!sent.blocked);
    }
}
