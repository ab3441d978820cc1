//! The main server's view of media presence: who is really connected to each SFU channel and
//! who produces, kept from the interop link's events and corrected by every presence sync.

use std::collections::BTreeMap;

use crate::ids::{ChannelId, UserId};

use super::wire::{PresenceEvent, SfuToMain};

/// One user's media state in a channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Media {
    pub producing: bool,
}

/// See the module docs.
#[derive(Debug, Default)]
pub struct MediaPresenceBook {
    channels: BTreeMap<ChannelId, BTreeMap<UserId, Media>>,
    /// `media_presence` events applied since start (tests count them).
    pub events: u64,
    /// `channel_presence_sync` messages applied since start.
    pub syncs: u64,
}

/// A change the world server cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresenceChange {
    Connected { user: UserId, channel: ChannelId },
    Disconnected { user: UserId, channel: ChannelId },
}

impl MediaPresenceBook {
    /// Applies one message from the SFU; returns who connected or disconnected because of it.
    pub fn apply(&mut self, message: &SfuToMain) -> Vec<PresenceChange> {
        match message {
            SfuToMain::MediaPresence(p) => {
                self.events += 1;
                let channel = self.channels.entry(p.channel_id).or_default();
                let user = p.user_id;
                let change = match p.event {
                    PresenceEvent::Join => channel
                        .insert(user, Media::default())
                        .is_none()
                        .then_some(PresenceChange::Connected {
                            user,
                            channel: p.channel_id,
                        }),
                    PresenceEvent::Leave => {
                        channel.remove(&user).map(|_| PresenceChange::Disconnected {
                            user,
                            channel: p.channel_id,
                        })
                    }
                    PresenceEvent::StartProduce | PresenceEvent::StopProduce => {
                        let producing = p.event == PresenceEvent::StartProduce;
                        let added = !channel.contains_key(&user);
                        channel.entry(user).or_default().producing = producing;
                        added.then_some(PresenceChange::Connected {
                            user,
                            channel: p.channel_id,
                        })
                    }
                };
                self.prune(p.channel_id);
                change.into_iter().collect()
            }
            SfuToMain::ChannelPresenceSync(sync) => {
                self.syncs += 1;
                let channel = self.channels.entry(sync.channel_id).or_default();
                let mut changes = Vec::new();
                channel.retain(|user, _| {
                    let keep = sync.user_ids.contains(user);
                    if !keep {
                        changes.push(PresenceChange::Disconnected {
                            user: *user,
                            channel: sync.channel_id,
                        });
                    }
                    keep
                });
                for user in &sync.user_ids {
                    if channel
                        .insert(*user, channel.get(user).copied().unwrap_or_default())
                        .is_none()
                    {
                        changes.push(PresenceChange::Connected {
                            user: *user,
                            channel: sync.channel_id,
                        });
                    }
                }
                self.prune(sync.channel_id);
                changes
            }
            SfuToMain::SfuStatus(_) => Vec::new(),
        }
    }

    fn prune(&mut self, channel: ChannelId) {
        if self.channels.get(&channel).is_some_and(BTreeMap::is_empty) {
            self.channels.remove(&channel);
        }
    }

    /// Every channel with its users, sorted.
    pub fn channels(&self) -> Vec<(ChannelId, Vec<UserId>)> {
        self.channels
            .iter()
            .map(|(c, users)| (*c, users.keys().copied().collect()))
            .collect()
    }

    pub fn is_connected(&self, user: UserId, channel: ChannelId) -> bool {
        self.channels
            .get(&channel)
            .is_some_and(|u| u.contains_key(&user))
    }

    pub fn is_producing(&self, user: UserId, channel: ChannelId) -> bool {
        self.channels
            .get(&channel)
            .and_then(|u| u.get(&user))
            .is_some_and(|m| m.producing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interop::wire::{ChannelPresenceSync, MediaPresence};

    fn presence(event: PresenceEvent, user: i64, channel: i64) -> SfuToMain {
        SfuToMain::MediaPresence(MediaPresence::at(
            event,
            UserId(user),
            ChannelId(channel),
            0,
        ))
    }

    #[test]
    fn events_build_the_view_and_syncs_correct_it() {
        let mut book = MediaPresenceBook::default();
        assert_eq!(
            book.apply(&presence(PresenceEvent::Join, 1, 5)),
            vec![PresenceChange::Connected {
                user: UserId(1),
                channel: ChannelId(5)
            }]
        );
        book.apply(&presence(PresenceEvent::StartProduce, 1, 5));
        assert!(book.is_producing(UserId(1), ChannelId(5)));
        book.apply(&presence(PresenceEvent::Join, 2, 5));
        // A sync that lost user 2 and gained user 3 (events missed while the link was down).
        let sync = SfuToMain::ChannelPresenceSync(ChannelPresenceSync {
            channel_id: ChannelId(5),
            user_ids: vec![UserId(1), UserId(3)],
        });
        let changes = book.apply(&sync);
        assert!(changes.contains(&PresenceChange::Disconnected {
            user: UserId(2),
            channel: ChannelId(5)
        }));
        assert!(changes.contains(&PresenceChange::Connected {
            user: UserId(3),
            channel: ChannelId(5)
        }));
        assert!(
            book.is_producing(UserId(1), ChannelId(5)),
            "a sync keeps what it does not contradict"
        );
        assert_eq!(
            book.channels(),
            vec![(ChannelId(5), vec![UserId(1), UserId(3)])]
        );
        book.apply(&SfuToMain::ChannelPresenceSync(ChannelPresenceSync {
            channel_id: ChannelId(5),
            user_ids: vec![],
        }));
        assert!(book.channels().is_empty(), "an emptied channel disappears");
        assert_eq!((book.events, book.syncs), (3, 2));
    }
}
