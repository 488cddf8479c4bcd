//! The event bus: the runner publishes, subscribers (terminal view, JSON
//! lines, journal) consume. Publishing is synchronous and in order, so when
//! `publish` returns the journal has written the event: the runner relies on
//! that to journal a step's end before the next step starts.

use crate::event::{now, Event, Record};
use crate::mask::Masker;

/// Something that wants every event of a run.
pub trait Subscriber: Send {
    fn on_event(&mut self, record: &Record);

    /// A called playbook's decision or answer relayed to its caller's bus
    /// ([`EventBus::relay`]), so the caller's terminal and `--output json`
    /// show it. The journal has it already, inside the `called` record of
    /// the same `seq`: a journal ignores it, everything else shows it.
    fn on_relayed(&mut self, record: &Record) {
        self.on_event(record);
    }

    /// Called once when the run ends (flush, fsync, print a summary).
    fn finish(&mut self) {}
}

/// Fans events out to subscribers, masking them first.
#[derive(Default)]
pub struct EventBus {
    subscribers: Vec<Box<dyn Subscriber>>,
    seq: Sequence,
    masker: Masker,
}

/// The next record number of a journal, shared by the run's bus and the
/// runs its `playbook` steps call, which journal into the same file
/// (`session::nest`). Held while a record is numbered and written,
/// so numbers follow the order of the lines.
#[derive(Clone, Debug, Default)]
pub struct Sequence(std::sync::Arc<std::sync::Mutex<u64>>);

impl Sequence {
    pub fn starting_at(seq: u64) -> Sequence {
        Sequence(std::sync::Arc::new(std::sync::Mutex::new(seq)))
    }

    /// Numbers one record: `write` gets the number and runs before the
    /// next one is given.
    pub fn next<T>(&self, write: impl FnOnce(u64) -> T) -> T {
        let mut next = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let seq = *next;
        *next += 1;
        write(seq)
    }
}

impl EventBus {
    pub fn new() -> EventBus {
        EventBus::default()
    }

    /// Continues the numbering of an existing journal (resume).
    pub fn starting_at(seq: u64) -> EventBus {
        EventBus {
            seq: Sequence::starting_at(seq),
            ..EventBus::default()
        }
    }

    pub fn subscribe(&mut self, subscriber: Box<dyn Subscriber>) {
        self.subscribers.push(subscriber);
    }

    /// The masker applied to every event; the runner adds secrets to it as
    /// they become known.
    pub fn masker_mut(&mut self) -> &mut Masker {
        &mut self.masker
    }

    pub fn masker(&self) -> &Masker {
        &self.masker
    }

    /// The numbering of the records this bus publishes.
    pub fn sequence(&self) -> Sequence {
        self.seq.clone()
    }

    /// Masks the event, numbers it and hands it to every subscriber in turn.
    pub fn publish(&mut self, event: Event) {
        let event = mask_event(&self.masker, event);
        let subscribers = &mut self.subscribers;
        self.seq.next(|seq| {
            let record = Record {
                seq,
                time: now(),
                event,
            };
            for subscriber in subscribers {
                subscriber.on_event(&record);
            }
        });
    }

    /// Hands a record of a called playbook's run (already numbered and
    /// journaled, see [`Subscriber::on_relayed`]) to every subscriber,
    /// masked with what this run knows: it takes no new number, so the
    /// journal's numbers stay one sequence.
    pub fn relay(&mut self, record: Record) {
        let record = Record {
            event: mask_event(&self.masker, record.event),
            ..record
        };
        for subscriber in &mut self.subscribers {
            subscriber.on_relayed(&record);
        }
    }

    pub fn finish(&mut self) {
        for subscriber in &mut self.subscribers {
            subscriber.finish();
        }
    }
}

/// The event with every string in it masked.
pub fn mask_event(masker: &Masker, event: Event) -> Event {
    if masker.is_empty() {
        return event;
    }
    let Ok(mut value) = serde_json::to_value(&event) else {
        return unreadable(masker, &event);
    };
    masker.mask_value(&mut value);
    match serde_json::from_value(value) {
        Ok(masked) => masked,
        // A secret that collides with a field name or a state word: never
        // fall back to the unmasked event.
        Err(_) => unreadable(masker, &event),
    }
}

fn unreadable(masker: &Masker, event: &Event) -> Event {
    Event::StepOutput {
        step: masker.mask(event.step().unwrap_or("")),
        stream: crate::event::Stream::Log,
        line: masker.mask(&format!("{event:?}")),
        continues: false,
        crlf: false,
        item: None,
    }
}

/// A subscriber that keeps every record, for tests and the in-process report.
#[derive(Clone, Default)]
pub struct Collector {
    pub records: std::sync::Arc<std::sync::Mutex<Vec<Record>>>,
    /// It stands for a journal, which holds called playbooks' runs in
    /// their `called` records: relayed records are not kept again.
    pub journal: bool,
}

impl Subscriber for Collector {
    fn on_relayed(&mut self, record: &Record) {
        if !self.journal {
            self.on_event(record);
        }
    }

    fn on_event(&mut self, record: &Record) {
        if let Ok(mut records) = self.records.lock() {
            records.push(record.clone());
        }
    }
}
