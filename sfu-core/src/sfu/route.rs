//! Forwarding RTP, not frames: where each incoming packet goes, and the per-copy rewrite.
//!
//! Every `Rtc` runs in str0m's RTP mode, so a packet comes out as it arrived (no depacketizing)
//! and is written to each receiver as it is (no re-packetizing). A [`RouteTable`] maps a sender's
//! (connection, SSRC) to the receivers' send streams, built on the first packet after the
//! topology changed, so a copy costs one lookup and one write whatever the number of m-lines.
//! A [`SeqRewrite`] per receiving stream keeps its sequence numbers and timestamps continuous
//! when its source changes SSRC (a dspeak client re-producing on the same m-line) and starts every
//! stream at rollover counter 0, which a fresh SRTP receiver assumes (RFC 3711 section 3.3.1).

use std::collections::HashMap;
use std::time::Instant;

use str0m::media::{MediaKind, Pt};
use str0m::rtp::{SeqNo, Ssrc};

use super::ConnId;

/// One copy of a source stream: the receiver, its send stream and the payload type it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub receiver: ConnId,
    /// The receiver's send stream for this source (its m-line's SSRC).
    pub tx_ssrc: Ssrc,
    /// The receiver's payload type for the codec of [`Routes::pt`].
    pub pt: Pt,
}

/// Where one incoming stream goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routes {
    pub kind: MediaKind,
    /// The sender's payload type these routes were built for (another one rebuilds them).
    pub pt: Pt,
    pub routes: Vec<Route>,
}

/// Incoming streams by (sending connection, SSRC). Cleared whenever who receives what may have
/// changed (a join, a leave, an m-line opened or stopped, a consumer made or closed); rebuilt
/// per stream on its next packet.
#[derive(Debug, Default)]
pub struct RouteTable {
    streams: HashMap<(ConnId, Ssrc), Routes>,
}

impl RouteTable {
    pub fn get(&self, conn: ConnId, ssrc: Ssrc) -> Option<&Routes> {
        self.streams.get(&(conn, ssrc))
    }

    pub fn insert(&mut self, conn: ConnId, ssrc: Ssrc, routes: Routes) {
        self.streams.insert((conn, ssrc), routes);
    }

    /// Forgets every route: the topology changed.
    pub fn invalidate(&mut self) {
        self.streams.clear();
    }
}

/// Maps a source's sequence numbers and RTP timestamps onto one receiving stream.
#[derive(Debug, Default, Clone)]
pub struct SeqRewrite {
    /// The source SSRC the offsets are anchored to.
    source: Option<Ssrc>,
    seq_offset: i64,
    ts_offset: u32,
    /// The newest (sequence number, timestamp, arrival) written.
    last: Option<(u64, u32, Instant)>,
}

impl SeqRewrite {
    /// The outgoing (sequence number, timestamp) for an incoming packet, or None for a packet
    /// older than where this stream was (re)anchored. `clock_hz` is the codec's RTP clock.
    pub fn map(
        &mut self,
        ssrc: Ssrc,
        seq: SeqNo,
        timestamp: u32,
        arrival: Instant,
        clock_hz: u32,
    ) -> Option<(SeqNo, u32)> {
        let incoming = i64::try_from(*seq).ok()?;
        if self.source != Some(ssrc) {
            // A new source continues right after what this stream sent last, its timestamp
            // advanced by the time that passed, so the receiver sees one continuous stream.
            let (first_seq, first_ts) = match self.last {
                Some((last_seq, last_ts, at)) => {
                    let elapsed = arrival.saturating_duration_since(at);
                    let ticks = (elapsed.as_micros() * u128::from(clock_hz) / 1_000_000).max(1);
                    (
                        last_seq + 1,
                        last_ts.wrapping_add(u32::try_from(ticks).unwrap_or(u32::MAX)),
                    )
                }
                None => (u64::from(seq.as_u16()).max(1), timestamp),
            };
            self.seq_offset = i64::try_from(first_seq).ok()? - incoming;
            self.ts_offset = first_ts.wrapping_sub(timestamp);
            self.source = Some(ssrc);
        }
        let out = u64::try_from(incoming + self.seq_offset).ok()?;
        if out == 0 {
            return None;
        }
        let ts = timestamp.wrapping_add(self.ts_offset);
        if self.last.is_none_or(|(last, _, _)| out > last) {
            self.last = Some((out, ts, arrival));
        }
        Some((out.into(), ts))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const HZ: u32 = 48_000;

    #[test]
    fn a_stream_passes_its_numbers_through_at_rollover_zero() {
        let t0 = Instant::now();
        let mut rewrite = SeqRewrite::default();
        let a = Ssrc::from(7);
        // The sender's 70,000th packet: ROC 1 on its side; the receiver starts fresh.
        let (seq, ts) = rewrite
            .map(a, SeqNo::from(70_000), 1_000, t0, HZ)
            .expect("first packet");
        assert_eq!(seq.roc(), 0, "a receiver's stream starts at ROC 0");
        assert_eq!(seq.as_u16(), SeqNo::from(70_000).as_u16(), "low bits kept");
        assert_eq!(ts, 1_000);
        let (next, ts) = rewrite
            .map(
                a,
                SeqNo::from(70_001),
                1_960,
                t0 + Duration::from_millis(20),
                HZ,
            )
            .expect("next packet");
        assert_eq!(*next, *seq + 1);
        assert_eq!(ts, 1_960);
    }

    #[test]
    fn gaps_and_late_packets_keep_their_place() {
        let t0 = Instant::now();
        let mut rewrite = SeqRewrite::default();
        let a = Ssrc::from(7);
        let first = *rewrite.map(a, 100.into(), 0, t0, HZ).expect("first").0;
        let after_gap = *rewrite.map(a, 103.into(), 2_880, t0, HZ).expect("gap").0;
        assert_eq!(
            after_gap,
            first + 3,
            "a loss stays a gap the receiver can see"
        );
        let late = *rewrite.map(a, 101.into(), 960, t0, HZ).expect("late").0;
        assert_eq!(late, first + 1, "a late packet lands in its place");
        // A stream that began at the sender's 70,000th packet starts at 4,464 (ROC 0): a packet
        // from 5,000 before that has no place on it.
        let mut rewrite = SeqRewrite::default();
        rewrite.map(a, 70_000.into(), 0, t0, HZ).expect("anchor");
        assert_eq!(
            rewrite.map(a, 65_000.into(), 0, t0, HZ),
            None,
            "packets from before the stream began are dropped"
        );
    }

    #[test]
    fn a_new_source_ssrc_continues_the_stream() {
        let t0 = Instant::now();
        let mut rewrite = SeqRewrite::default();
        let (old, new) = (Ssrc::from(7), Ssrc::from(9));
        let (seq, ts) = rewrite.map(old, 5_000.into(), 50_000, t0, HZ).expect("old");
        // The client re-produced: a new SSRC with its own random numbers, 100 ms later.
        let later = t0 + Duration::from_millis(100);
        let (seq2, ts2) = rewrite
            .map(new, 60_000.into(), 123, later, HZ)
            .expect("new source");
        assert_eq!(*seq2, *seq + 1, "sequence numbers continue");
        assert_eq!(
            ts2,
            ts.wrapping_add(4_800),
            "timestamps advance by the 100 ms"
        );
        let (seq3, _) = rewrite
            .map(new, 60_001.into(), 1_083, later, HZ)
            .expect("next");
        assert_eq!(*seq3, *seq2 + 1);
    }

    #[test]
    fn the_table_forgets_everything_on_invalidate() {
        let mut table = RouteTable::default();
        let routes = Routes {
            kind: MediaKind::Audio,
            pt: 111.into(),
            routes: vec![Route {
                receiver: ConnId(2),
                tx_ssrc: 44.into(),
                pt: 111.into(),
            }],
        };
        table.insert(ConnId(1), 10.into(), routes.clone());
        assert_eq!(table.get(ConnId(1), 10.into()), Some(&routes));
        assert_eq!(table.get(ConnId(1), 11.into()), None, "keyed by SSRC");
        table.invalidate();
        assert_eq!(table.get(ConnId(1), 10.into()), None);
    }
}
