//! The state actor: commands from any thread apply in order, the UI hears them in that order, and
//! a panicking change does not lose the state.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;

use crate::app::error_tests::app;

#[test]
fn changes_from_several_threads_apply_in_each_threads_order_and_reach_the_ui_so() {
    let app = app();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    app.subscribe(Box::new(move |event| {
        if let AppEvent::SelfVoice { voice } = event {
            record.lock().expect("test lock").push(voice.self_muted);
        }
        true
    }));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let app = app.clone();
            std::thread::spawn(move || {
                for n in 0..250 {
                    app.set_deafened(n % 2 == 0);
                }
            })
        })
        .collect();
    for n in 0..500 {
        app.set_self_muted(n % 2 == 0);
    }
    for thread in threads {
        thread.join().expect("no panic");
    }
    let snapshot = app.snapshot();
    assert!(
        !snapshot.self_voice.self_muted,
        "the last change (n = 499) holds"
    );
    assert!(
        !snapshot.self_voice.deafened,
        "every thread ended on n = 249"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen.lock().expect("test lock").len() < 1500 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let seen = seen.lock().expect("test lock");
    assert_eq!(seen.len(), 1500, "one event per change, none lost");
    // Unmuted at first, then 500 mutes alternating from `true`: each one a change the UI sees
    // in the order it was made, whatever deafen events came between.
    let mut changes = vec![false];
    changes.extend(seen.iter().copied());
    changes.dedup();
    assert_eq!(changes.len(), 501, "every mute change is seen, in order");
    assert_eq!(changes.last(), Some(&false));
}

#[test]
fn a_change_that_panics_leaves_the_state_working() {
    let app = app();
    app.set_self_muted(true);
    app.state.tell(|_| panic!("a bug in one change"));
    assert!(
        app.snapshot().self_voice.self_muted,
        "the state before the panic is still there and still answers"
    );
    app.set_self_muted(false);
    assert!(!app.snapshot().self_voice.self_muted);
}
