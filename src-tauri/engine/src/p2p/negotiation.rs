//! Perfect negotiation (W3C WebRTC, section 10.7) for one P2P connection, sans-IO: which offers
//! to take, which to ignore, and when to roll back our own. The polite side yields when both
//! sides offer at once; the impolite side ignores the other's offer.

/// Where the offer/answer exchange stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signaling {
    /// No exchange in progress.
    Stable,
    /// We sent an offer and wait for the answer.
    HaveLocalOffer,
}

/// What to do with an offer that arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferVerdict {
    /// Apply it and answer.
    Accept,
    /// Roll back our own offer, then apply it and answer (polite side in a collision).
    RollbackThenAccept,
    /// Ignore it: we are impolite and our offer stands.
    Ignore,
}

/// One connection's negotiation state.
#[derive(Debug, Clone)]
pub struct Negotiation {
    polite: bool,
    signaling: Signaling,
    /// Whether the remote description is set (candidates can be added).
    has_remote: bool,
}

impl Negotiation {
    pub fn new(polite: bool) -> Self {
        Self {
            polite,
            signaling: Signaling::Stable,
            has_remote: false,
        }
    }

    pub fn signaling(&self) -> Signaling {
        self.signaling
    }

    /// Whether a remote description has been applied, so remote candidates may be added.
    pub fn has_remote(&self) -> bool {
        self.has_remote
    }

    /// Whether we may send a new offer now.
    pub fn may_offer(&self) -> bool {
        self.signaling == Signaling::Stable
    }

    /// We sent an offer.
    pub fn offer_sent(&mut self) {
        self.signaling = Signaling::HaveLocalOffer;
    }

    /// An offer arrived: what to do with it. After `Accept` or `RollbackThenAccept` the caller
    /// applies it and answers, then calls [`Negotiation::remote_applied`].
    pub fn offer_received(&mut self) -> OfferVerdict {
        match (self.signaling, self.polite) {
            (Signaling::Stable, _) => OfferVerdict::Accept,
            (Signaling::HaveLocalOffer, true) => {
                self.signaling = Signaling::Stable;
                OfferVerdict::RollbackThenAccept
            }
            (Signaling::HaveLocalOffer, false) => OfferVerdict::Ignore,
        }
    }

    /// An answer arrived: whether it answers an offer of ours (otherwise ignore it).
    pub fn answer_received(&mut self) -> bool {
        if self.signaling == Signaling::HaveLocalOffer {
            self.signaling = Signaling::Stable;
            true
        } else {
            false
        }
    }

    /// A remote description (offer or answer) was applied.
    pub fn remote_applied(&mut self) {
        self.has_remote = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_exchange_ends_stable() {
        let mut offerer = Negotiation::new(false);
        let mut answerer = Negotiation::new(true);
        assert!(offerer.may_offer());
        offerer.offer_sent();
        assert_eq!(answerer.offer_received(), OfferVerdict::Accept);
        answerer.remote_applied();
        assert!(offerer.answer_received());
        offerer.remote_applied();
        assert_eq!(offerer.signaling(), Signaling::Stable);
        assert!(offerer.has_remote() && answerer.has_remote());
    }

    #[test]
    fn in_a_collision_the_polite_side_yields_and_the_impolite_side_ignores() {
        let mut polite = Negotiation::new(true);
        let mut impolite = Negotiation::new(false);
        polite.offer_sent();
        impolite.offer_sent();
        assert_eq!(impolite.offer_received(), OfferVerdict::Ignore);
        assert_eq!(polite.offer_received(), OfferVerdict::RollbackThenAccept);
        assert_eq!(polite.signaling(), Signaling::Stable);
        assert!(
            impolite.answer_received(),
            "the polite side's answer settles it"
        );
    }

    #[test]
    fn a_stray_answer_is_ignored() {
        let mut n = Negotiation::new(true);
        assert!(!n.answer_received());
        assert!(!n.has_remote(), "candidates must wait for a description");
    }
}
