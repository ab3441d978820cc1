//! The UI's event feed: one thread owns the subscribers and hands them every [`AppEvent`] in the
//! order the app queued them, so no lock is held while the webview is fed (a slow IPC channel
//! never stalls a command or the session).

use std::sync::mpsc;

use super::contract::AppEvent;

/// Receives every [`AppEvent`]; returns false once it is gone (then it is dropped).
pub type EventSink = Box<dyn Fn(&AppEvent) -> bool + Send>;

enum Feed {
    Subscribe(EventSink),
    Events(Vec<AppEvent>),
}

/// The sending side; cheap to clone. The feeder thread ends when every clone is dropped.
#[derive(Clone)]
pub struct EventFeed {
    tx: mpsc::Sender<Feed>,
}

impl EventFeed {
    pub fn start() -> Self {
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("hearth-ui-feed".into())
            .spawn(move || feed(&rx));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the UI feed: the window gets no events");
        }
        Self { tx }
    }

    pub fn subscribe(&self, sink: EventSink) {
        // A send fails only once the feeder is gone: nobody is listening any more.
        let _ = self.tx.send(Feed::Subscribe(sink));
    }

    pub fn send(&self, events: Vec<AppEvent>) {
        if !events.is_empty() {
            let _ = self.tx.send(Feed::Events(events));
        }
    }
}

fn feed(rx: &mpsc::Receiver<Feed>) {
    let mut sinks: Vec<EventSink> = Vec::new();
    while let Ok(item) = rx.recv() {
        match item {
            Feed::Subscribe(sink) => sinks.push(sink),
            Feed::Events(events) => sinks.retain(|sink| events.iter().all(sink)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::app::contract::NoticeLevel;

    fn notice(n: u32) -> AppEvent {
        AppEvent::Notice {
            level: NoticeLevel::Info,
            message: n.to_string(),
        }
    }

    #[test]
    fn subscribers_get_every_event_in_order_and_a_gone_one_is_dropped() {
        let feed = EventFeed::start();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let calls_after_gone = Arc::new(Mutex::new(0));
        let record = seen.clone();
        feed.subscribe(Box::new(move |e| {
            record.lock().expect("lock").push(e.clone());
            true
        }));
        let gone = calls_after_gone.clone();
        feed.subscribe(Box::new(move |_| {
            *gone.lock().expect("lock") += 1;
            false
        }));
        feed.send(vec![notice(1), notice(2)]);
        feed.send(Vec::new());
        feed.send(vec![notice(3)]);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while seen.lock().expect("lock").len() < 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            *seen.lock().expect("lock"),
            vec![notice(1), notice(2), notice(3)]
        );
        assert_eq!(
            *calls_after_gone.lock().expect("lock"),
            1,
            "a sink that said it is gone is not called again"
        );
    }
}
