//! Typed internal events (after Vector's `internal_events`): every metric and log line
//! a stage emits is a struct implementing [`InternalEvent`], so one place defines each
//! metric name, label and message, and tests can assert on what happened through an
//! [`EventRecorder`] instead of scraping logs.
//!
//! ```
//! use earshot_runtime::InternalEvent;
//!
//! #[derive(Debug)]
//! struct PageFetched { mentions: usize }
//!
//! impl InternalEvent for PageFetched {
//!     fn handle(self) {
//!         tracing::debug!(mentions = self.mentions, "page fetched");
//!         metrics_would_go_here(self.mentions);
//!     }
//! }
//! # fn metrics_would_go_here(_: usize) {}
//!
//! let recorder = earshot_runtime::events::EventRecorder::start();
//! PageFetched { mentions: 3 }.emit();
//! assert_eq!(recorder.names(), ["PageFetched"]);
//! ```

use std::cell::RefCell;
use std::fmt::Debug;
use std::rc::Rc;

/// Something a stage reports: a log line, metrics, or both.
pub trait InternalEvent: Debug + Sized {
    /// Writes the event's log line and metrics. Call [`InternalEvent::emit`] instead,
    /// which also shows the event to an [`EventRecorder`].
    fn handle(self);

    /// The event's name in an [`EventRecorder`]: the type's name without its path.
    fn name(&self) -> &'static str {
        let full = std::any::type_name::<Self>();
        let base = full.split('<').next().unwrap_or(full);
        base.rsplit("::").next().unwrap_or(base)
    }

    /// Emits the event.
    fn emit(self) {
        RECORDER.with(|slot| {
            if let Some(events) = slot.borrow().as_ref() {
                events.borrow_mut().push(Recorded {
                    name: self.name(),
                    debug: format!("{self:?}"),
                });
            }
        });
        self.handle();
    }
}

/// Emits `event` (the same as `event.emit()`).
pub fn emit(event: impl InternalEvent) {
    event.emit();
}

/// One event an [`EventRecorder`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub name: &'static str,
    /// The event's fields, as `{:?}` prints them.
    pub debug: String,
}

thread_local! {
    static RECORDER: RefCell<Option<Rc<RefCell<Vec<Recorded>>>>> = const { RefCell::new(None) };
}

/// Records the events emitted on this thread while it lives (tests only need this:
/// `#[tokio::test]` runs every task of the test on its one thread). Events are still
/// logged and counted as usual.
pub struct EventRecorder {
    events: Rc<RefCell<Vec<Recorded>>>,
    previous: Option<Rc<RefCell<Vec<Recorded>>>>,
}

impl EventRecorder {
    pub fn start() -> Self {
        let events = Rc::new(RefCell::new(Vec::new()));
        let previous = RECORDER.with(|slot| slot.borrow_mut().replace(events.clone()));
        EventRecorder { events, previous }
    }

    /// Every event recorded so far, oldest first.
    pub fn events(&self) -> Vec<Recorded> {
        self.events.borrow().clone()
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.events.borrow().iter().map(|e| e.name).collect()
    }

    /// How many events called `name` were emitted.
    pub fn count(&self, name: &str) -> usize {
        self.events
            .borrow()
            .iter()
            .filter(|e| e.name == name)
            .count()
    }

    /// The recorded events called `name`, as their `{:?}` text.
    pub fn find(&self, name: &str) -> Vec<String> {
        self.events
            .borrow()
            .iter()
            .filter(|e| e.name == name)
            .map(|e| e.debug.clone())
            .collect()
    }
}

impl Drop for EventRecorder {
    fn drop(&mut self) {
        let previous = self.previous.take();
        RECORDER.with(|slot| *slot.borrow_mut() = previous);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local!(static HANDLED: Cell<u32> = const { Cell::new(0) });

    #[derive(Debug)]
    #[allow(dead_code)] // read through Debug only
    struct Probe<'a> {
        job: &'a str,
    }

    impl InternalEvent for Probe<'_> {
        fn handle(self) {
            HANDLED.with(|h| h.set(h.get() + 1));
        }
    }

    #[test]
    fn recorders_see_events_and_events_still_run() {
        Probe { job: "before" }.emit();
        let outer = EventRecorder::start();
        Probe { job: "a" }.emit();
        {
            let inner = EventRecorder::start();
            emit(Probe { job: "b" });
            assert_eq!(inner.find("Probe"), [r#"Probe { job: "b" }"#]);
        }
        Probe { job: "c" }.emit();
        assert_eq!(outer.count("Probe"), 2, "{:?}", outer.events());
        assert_eq!(outer.names(), ["Probe", "Probe"]);
        assert_eq!(HANDLED.with(Cell::get), 4);
        drop(outer);
        Probe { job: "after" }.emit();
        assert_eq!(HANDLED.with(Cell::get), 5);
    }
}
