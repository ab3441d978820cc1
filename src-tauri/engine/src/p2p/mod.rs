//! Direct (peer-to-peer) voice between users of a zone: who to connect to ([`plan`]), how each
//! connection negotiates ([`negotiation`]), and the connection tasks ([`link`]).

pub mod link;
pub mod negotiation;
pub mod plan;
