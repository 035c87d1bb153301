//! What the engine is doing under load: counters a host reads, and the [`tracing`] events the
//! engine emits for each command.
//!
//! **Counters.** [`Engine::counters`](crate::Engine::counters) returns an [`EngineCounters`]:
//! how many commands one engine ran since it was built and how they ended, how often the
//! store's version check sent a command round again, and how many batches group commit sent.
//! They are relaxed atomic additions, a few per command, always on; a host samples them (a
//! metrics endpoint, a periodic log line) and takes differences between samples.
//!
//! **Events.** Each command runs in a `tracing` span named `booking_command` (target
//! `booking_core::command`, level `DEBUG`) with the command's name and the actor's role.
//! Inside it the engine emits, with target `booking_core::engine`, at `DEBUG`, one event when the command ends (`command finished`: the command's name
//! again, for subscribers that do not print spans, its outcome code — `ok`, `replayed` or the
//! error's code —, the attempts it took and the time spent in the store's commits in
//! microseconds) and one per lost race (`store conflict, deciding again`); at `WARN`, one when
//! a command gives up on contention. Nothing is printed unless the host installs a
//! subscriber (Rust: for example `tracing-subscriber`; Python: `booking_engine.enable_logging`
//! forwards them to the `logging` module); without one, each event costs a check of a cached
//! flag.

use crate::{BookingError, ErrorCode};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// How many commands one engine ran since it was built, and how they ended: a snapshot taken
/// by [`Engine::counters`](crate::Engine::counters). Every command counts once in
/// `commands` and once in exactly one of `committed`, `unchanged`, `replayed`, `refused`,
/// `contention_errors` and `store_errors`.
///
/// ```
/// use booking_core::{Actor, Engine, InMemoryRepository, SessionId};
/// let engine = Engine::new(InMemoryRepository::new());
/// let refused = engine.cancel_session(Actor::System, SessionId::from_uuid(uuid::Uuid::from_u128(1)));
/// assert!(refused.is_err());
/// let counters = engine.counters();
/// assert_eq!((counters.commands, counters.refused, counters.committed), (1, 1, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[non_exhaustive]
pub struct EngineCounters {
    /// Commands run (through [`Engine::execute`](crate::Engine::execute) or a typed method).
    pub commands: u64,
    /// Commands that succeeded and were committed to the store.
    pub committed: u64,
    /// Commands that succeeded with nothing to store (no change and no request key).
    pub unchanged: u64,
    /// Commands answered from the record of an earlier run under the same request key.
    pub replayed: u64,
    /// Commands refused with a typed error by a rule, a check of the actor or of the input.
    pub refused: u64,
    /// Commits the store refused because another writer changed the aggregate first (each is
    /// followed by a retry, or by a contention error on the last attempt).
    pub conflicts: u64,
    /// Attempts after a command's first (the command was decided again on fresh state).
    pub retries: u64,
    /// Commands that gave up after the engine's maximum attempts
    /// ([`BookingError::Contention`]).
    pub contention_errors: u64,
    /// Commands that failed in the store ([`BookingError::Store`],
    /// [`BookingError::StoreUnavailable`]).
    pub store_errors: u64,
    /// Batches sent to the store: rounds of group commit
    /// ([`Engine::with_group_commit`](crate::Engine::with_group_commit)) that carried two or
    /// more commits in one [`Repository::commit_all`](crate::Repository::commit_all), whether
    /// the store applied them or not.
    pub batches: u64,
    /// Commits sent in those batches; `batched_commits / batches` is the mean batch size.
    pub batched_commits: u64,
}

/// The live counters behind [`EngineCounters`].
#[derive(Debug, Default)]
pub(super) struct Counters {
    commands: AtomicU64,
    committed: AtomicU64,
    unchanged: AtomicU64,
    replayed: AtomicU64,
    refused: AtomicU64,
    conflicts: AtomicU64,
    retries: AtomicU64,
    contention_errors: AtomicU64,
    store_errors: AtomicU64,
    batches: AtomicU64,
    batched_commits: AtomicU64,
}

/// How one command ended, for the counters and the `command finished` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ending {
    Committed,
    Unchanged,
    Replayed,
    Failed(ErrorCode),
}

impl Ending {
    /// The outcome code the event carries: `ok`, `replayed`, or the error's code.
    pub(super) fn code(self) -> &'static str {
        match self {
            Ending::Committed | Ending::Unchanged => "ok",
            Ending::Replayed => "replayed",
            Ending::Failed(code) => code.as_str(),
        }
    }

    pub(super) fn of_error(error: &BookingError) -> Ending {
        Ending::Failed(error.code())
    }
}

impl Counters {
    /// Counts a command that ended after `attempts` attempts, `conflicts` of which lost a race.
    pub(super) fn record(&self, ending: Ending, attempts: u32, conflicts: u32) {
        self.commands.fetch_add(1, Relaxed);
        let slot = match ending {
            Ending::Committed => &self.committed,
            Ending::Unchanged => &self.unchanged,
            Ending::Replayed => &self.replayed,
            Ending::Failed(ErrorCode::Contention) => &self.contention_errors,
            Ending::Failed(ErrorCode::Store | ErrorCode::StoreUnavailable) => &self.store_errors,
            Ending::Failed(_) => &self.refused,
        };
        slot.fetch_add(1, Relaxed);
        if conflicts > 0 {
            self.conflicts.fetch_add(u64::from(conflicts), Relaxed);
        }
        if attempts > 1 {
            self.retries.fetch_add(u64::from(attempts - 1), Relaxed);
        }
    }

    /// Counts a batch of `commits` (two or more) sent to the store in one call.
    pub(super) fn record_batch(&self, commits: usize) {
        self.batches.fetch_add(1, Relaxed);
        self.batched_commits.fetch_add(commits as u64, Relaxed);
    }

    pub(super) fn snapshot(&self) -> EngineCounters {
        EngineCounters {
            commands: self.commands.load(Relaxed),
            committed: self.committed.load(Relaxed),
            unchanged: self.unchanged.load(Relaxed),
            replayed: self.replayed.load(Relaxed),
            refused: self.refused.load(Relaxed),
            conflicts: self.conflicts.load(Relaxed),
            retries: self.retries.load(Relaxed),
            contention_errors: self.contention_errors.load(Relaxed),
            store_errors: self.store_errors.load(Relaxed),
            batches: self.batches.load(Relaxed),
            batched_commits: self.batched_commits.load(Relaxed),
        }
    }
}
