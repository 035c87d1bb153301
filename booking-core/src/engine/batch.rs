//! Group commit: the seat commands that arrive for a session while a commit on it is in flight
//! are decided one after another, on the state that commit produces, and go to the store
//! together ([`Repository::commit_all`]: one transaction on SQLite, one round trip on
//! PostgreSQL).
//!
//! # How a batch runs
//! The first command on a session finds no batch running and leads one; those that arrive while
//! it runs wait in the session's queue. When the leader's batch is done, the commands queued
//! behind it (at most [`MAX_BATCH`] of them) run as the next batch: on the leader's thread
//! while batches are short, else led by the first of them on its own thread (see "Keeping the
//! turn" below). So a command waits for at most the batch ahead of it, then runs in its own:
//! that wait is the latency group commit costs, and it is bounded by one batch's decisions and
//! commit. A command that leads a batch of its own alone runs exactly as with group commit off,
//! so a single client pays only for registering its session in the queues.
//!
//! # Keeping the turn
//! Handing the next batch to another thread moves the session's state, the store's maps and
//! the memory the allocator hands out from one core to the other, and on the in-memory store
//! that costs about as much as a command. So a leader whose batches are short runs the next
//! batch itself, and the one after, as flat combining does: while the latest batch took less
//! than [`KEEP_TURN`] (20 µs) and its own answer has waited less than that. Then the first
//! waiting command leads, as before. A command served this way runs exactly as it would have on
//! its own thread (alone, or in a batch), and its thread gets its answer. The price is the
//! leader's: its own answer, already decided, reaches its caller up to [`KEEP_TURN`] plus one
//! short batch later. On a store whose commits take longer than [`KEEP_TURN`] (a disk, a
//! network), the leader hands on the turn after its own batch, as it always did.
//!
//! A panic while the leader serves another thread's commands (a bug in a decision, or a panic
//! in the store) does not reach the leader's caller, whose command is already done: the leader
//! catches it, hands on the turn, and the panic is raised again on the thread of the command
//! it was serving, as it would have been with group commit off. In a served batch of several
//! commands, the first still without an answer gets the panic and the others a store error,
//! as the commands of a batch that panics on its leader's own thread do.
//!
//! A batch runs in rounds. In a round, each command still without an answer is decided in
//! arrival order on the state the commands before it produce (a refused command changes
//! nothing and the next one is decided on the same state), and the commits of those that
//! changed something (or carry a request key) are handed to the store together, each with its
//! own writes, request record and events, each conditional on the version the one before it
//! writes. Then:
//! - the commands before the first commit the store did not apply have their answers: their
//!   receipts, or the refusals decided on state that is now committed;
//! - if that commit lost a race ([`StoreError::Conflict`], [`StoreError::DuplicateRequest`]),
//!   it and every command after it are decided again in the next round, on fresh state (one
//!   more attempt each, up to the engine's maximum);
//! - if the store could not be reached ([`StoreError::Unavailable`]), it and every command
//!   after it answer `store_unavailable`: whether they were applied is unknown, as for one
//!   command;
//! - on any other store failure, the commit that failed gets it if it was the round's last
//!   commit; otherwise the store cannot say which commit caused it, and the rest of the
//!   batch runs one commit per round, so that each failure reaches its own command.
//!
//! So no command ever gets another's outcome, and every answer was decided on state that is
//! committed. A command whose request key is already among the round's commits (a client's
//! retry arriving beside its first run) ends the round before it: in the next round its
//! key's record is stored, and it is replayed.
//!
//! Other engines and processes are kept apart by the store's version check, as always: a
//! batch is never more than a sequence of ordinary commits. A batch that lost a race waits
//! before it is decided again (see [`back_off_batch`]): at least as long as its store call
//! took, so that the batch that won can finish, plus a random part of that again, doubling
//! with each lost race, so that the batches of several processes on one hot session stop
//! colliding in step. Measured with 4 processes on PostgreSQL (BENCHMARKS.md, "Group
//! commit"), this loses about a fifth fewer races than the fixed back-off of a lone command.

use super::*;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

/// The session queues of one engine: a session is in its stripe while a batch on it runs,
/// with the commands waiting behind that batch. The stripes spread the sessions over
/// [`STRIPES`] locks (by the low bits of the session id, which are random in the ids the engine
/// makes), so commands on different sessions seldom wait for one another's bookkeeping.
pub(super) struct GroupCommit {
    stripes: Box<[Mutex<Vec<Queue>>]>,
    /// [`KEEP_TURN`], or another bound in tests.
    keep_turn: Duration,
    /// How long, in nanoseconds, the latest batch this engine sent to the store took, its
    /// decisions and its commit (a round of a batch that commits, or a command run alone by
    /// [`Engine::keep_turn`] that commits): what tells a fast store from a slow one without
    /// reading the clock on the way of a command that nothing waits behind.
    batch_nanos: AtomicU64,
}

/// How many locks the session queues are spread over.
const STRIPES: usize = 64;

/// A session with a batch running, and the commands waiting behind it.
struct Queue {
    session_id: SessionId,
    waiting: VecDeque<Arc<Ticket>>,
}

impl Default for GroupCommit {
    fn default() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(Vec::new())).collect(),
            keep_turn: KEEP_TURN,
            // Unknown until a batch has gone to the store: the turn passes, as without keeping it.
            batch_nanos: AtomicU64::new(u64::MAX),
        }
    }
}

impl GroupCommit {
    /// Notes that a batch took `took`.
    fn batch_took(&self, took: Duration) {
        self.batch_nanos.store(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Whether the latest batch took less than the keep-turn bound.
    fn batches_are_short(&self) -> bool {
        u128::from(self.batch_nanos.load(Ordering::Relaxed)) < self.keep_turn.as_nanos()
    }

    /// The sessions of `session_id`'s stripe, locked.
    fn stripe(&self, session_id: SessionId) -> std::sync::MutexGuard<'_, Vec<Queue>> {
        lock(&self.stripes[session_id.as_uuid().as_u128() as usize % self.stripes.len()])
    }
}

/// The queue of `session_id` among a stripe's.
fn queue_of(stripe: &mut [Queue], session_id: SessionId) -> Option<&mut Queue> {
    stripe.iter_mut().find(|q| q.session_id == session_id)
}

/// One command in a session's queue, and its answer once its batch has given one.
struct Ticket {
    actor: Actor,
    key: Option<RequestKey>,
    command: Command,
    of: SessionOf,
    session_command: SessionCommand,
    now: Option<DateTime<Utc>>,
    /// Whether the store's time is measured for the command's trace.
    timed: bool,
    turn: Mutex<Waiter>,
    changed: Condvar,
    /// Set once `turn` is no longer [`Turn::Waiting`]: what a waiting command spins on before
    /// it sleeps.
    moved: AtomicBool,
    /// Set once the command has its answer (or its panic), and never reset: `turn` goes back
    /// to [`Turn::Waiting`] when the command's thread takes the answer.
    answered: AtomicBool,
}

/// A command's turn, and whether its thread sleeps on [`Ticket::changed`] for it.
struct Waiter {
    turn: Turn,
    asleep: bool,
}

/// Where a queued command stands.
enum Turn {
    /// Behind a running batch.
    Waiting,
    /// Leads the next batch.
    Lead,
    /// Answered by a batch, with what happened on the way.
    Done(Result<Receipt<OutcomeValue>, BookingError>, Run),
    /// Deciding or committing the command panicked on the thread that served it: raised again
    /// on the command's own thread.
    Panicked(Box<dyn std::any::Any + Send>),
}

/// How many times a waiting command checks its turn (with a pause between checks, and a yield
/// of its thread every few) before it sleeps: a batch on a fast store ends within that, and
/// sleeping and waking would cost more than the batch.
const SPINS: u32 = 64;

impl Ticket {
    /// Gives the command its turn, waking its thread only if it sleeps.
    fn set(&self, turn: Turn) {
        if matches!(turn, Turn::Done(..) | Turn::Panicked(_)) {
            self.answered.store(true, Ordering::Relaxed);
        }
        let asleep = {
            let mut waiter = lock(&self.turn);
            waiter.turn = turn;
            waiter.asleep
        };
        self.moved.store(true, Ordering::Release);
        if asleep {
            self.changed.notify_one();
        }
    }

    /// Waits until the command's turn is not [`Turn::Waiting`], and takes it.
    fn wait(&self) -> Turn {
        for spin in 0..SPINS {
            if self.moved.load(Ordering::Acquire) {
                break;
            }
            if spin % 8 == 7 {
                std::thread::yield_now();
            } else {
                for _ in 0..32 {
                    std::hint::spin_loop();
                }
            }
        }
        let mut waiter = lock(&self.turn);
        loop {
            match std::mem::replace(&mut waiter.turn, Turn::Waiting) {
                Turn::Waiting => {
                    waiter.asleep = true;
                    waiter = self.changed.wait(waiter).unwrap_or_else(PoisonError::into_inner);
                    waiter.asleep = false;
                }
                turn => {
                    self.moved.store(false, Ordering::Relaxed);
                    return turn;
                }
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every critical section below leaves its data whole: a panic elsewhere changes nothing.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What deciding one command of a round gave.
enum Decision {
    /// An answer that holds whatever the round's commit does (a replay, or a refusal on
    /// committed state: see [`Engine::decide_in_batch`]).
    Final(Result<Receipt<OutcomeValue>, BookingError>),
    /// A refusal, or a success that stores nothing: it holds once the commits before it are.
    Tentative(Result<Receipt<OutcomeValue>, BookingError>),
    /// A change to commit, and the receipt it gives once committed.
    Commit(Box<Commit>, Receipt<OutcomeValue>),
}

/// The state a round's earlier commands produce, which the next one is decided on.
struct Overlay {
    session: Arc<GroupSession>,
    /// The bookings the round's commits finish (no longer in `session`, not yet in the store's
    /// booking history).
    finished: Vec<SeatBooking>,
}

/// Takes back leadership of a session's queue when a batch ends, also by a panic: each of its
/// commands still without an answer gets a store error, and the next waiting command leads.
struct Leading<'a> {
    queues: &'a GroupCommit,
    session_id: SessionId,
    batch: Vec<Arc<Ticket>>,
    /// Set once the session's queue is gone (nothing was waiting): nothing left to hand on.
    released: bool,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        for ticket in &self.batch {
            if !ticket.answered.load(Ordering::Relaxed) {
                let abandoned = BookingError::Store { message: "the batch deciding this command failed".to_owned() };
                ticket.set(Turn::Done(Err(abandoned), Run::default()));
            }
        }
        if self.released {
            return;
        }
        let mut stripe = self.queues.stripe(self.session_id);
        let next = queue_of(&mut stripe, self.session_id).and_then(|q| q.waiting.pop_front());
        match next {
            Some(next) => next.set(Turn::Lead),
            None => stripe.retain(|q| q.session_id != self.session_id),
        }
    }
}

impl<R: Repository> Engine<R> {
    /// Runs the seat command `command` on session `session_id` through the session's queue:
    /// in the batch this engine is running on the session if one is about to start, or in a
    /// batch of its own. `run` gets what happened to it on the way.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn attempt_in_batch(
        &self,
        group: &GroupCommit,
        session_id: SessionId,
        actor: Actor,
        key: Option<RequestKey>,
        command: &Command,
        (of, session_command): (SessionOf, SessionCommand),
        now: Option<DateTime<Utc>>,
        run: &mut Run,
    ) -> Result<Receipt<OutcomeValue>, BookingError> {
        // A command that finds no batch running on its session leads one at once, alone; one
        // that finds a batch running queues behind it, as a ticket.
        let queued = {
            let mut stripe = group.stripe(session_id);
            match queue_of(&mut stripe, session_id) {
                Some(queue) => {
                    let ticket = Arc::new(Ticket {
                        actor,
                        key: key.clone(),
                        command: command.clone(),
                        of,
                        session_command,
                        now,
                        timed: run.store_time.is_some(),
                        turn: Mutex::new(Waiter { turn: Turn::Waiting, asleep: false }),
                        changed: Condvar::new(),
                        moved: AtomicBool::new(false),
                        answered: AtomicBool::new(false),
                    });
                    queue.waiting.push_back(Arc::clone(&ticket));
                    Some(ticket)
                }
                None => {
                    stripe.push(Queue { session_id, waiting: VecDeque::new() });
                    None
                }
            }
        };
        let mut leading = match queued {
            None => Leading { queues: group, session_id, batch: Vec::new(), released: false },
            Some(ticket) => match ticket.wait() {
                Turn::Done(result, ran) => {
                    *run = Run { store_time: run.store_time.and(ran.store_time), ..ran };
                    return result;
                }
                Turn::Panicked(payload) => std::panic::resume_unwind(payload),
                // Handed the turn: this command leads a batch, itself first, then those waiting behind it.
                Turn::Lead | Turn::Waiting => {
                    let batch: Vec<Arc<Ticket>> = {
                        let mut stripe = group.stripe(session_id);
                        let waiting = queue_of(&mut stripe, session_id).map(|q| &mut q.waiting);
                        let more = waiting.as_ref().map_or(0, |w| w.len().min(super::MAX_BATCH - 1));
                        std::iter::once(ticket).chain(waiting.into_iter().flat_map(|w| w.drain(..more))).collect()
                    };
                    Leading { queues: group, session_id, batch, released: false }
                }
            },
        };
        let result = if let [ticket, _, ..] = leading.batch.as_slice() {
            let ticket = Arc::clone(ticket);
            self.run_batch(group, &leading.batch, run.store_time.is_some());
            let done = std::mem::replace(&mut lock(&ticket.turn).turn, Turn::Waiting);
            match done {
                Turn::Done(result, ran) => {
                    *run = ran;
                    result
                }
                // `run_batch` answers every command of its batch (a panic unwinds through it).
                Turn::Waiting | Turn::Lead | Turn::Panicked(_) => {
                    Err(BookingError::Store { message: "the batch deciding this command gave no answer".to_owned() })
                }
            }
        } else {
            // Nobody to batch with: decided and committed as with group commit off, its answer
            // returned here (so its ticket, if it had one, is not `leading`'s to answer).
            leading.batch.clear();
            run.batch = 1;
            self.attempt_alone(actor, key.as_ref(), command, now, run)
        };
        self.keep_turn(&mut leading);
        // The next waiting command, if any, leads when this one is done.
        drop(leading);
        result
    }

    /// Runs, on this thread, the commands that arrived behind the batch `leading` ran: batch
    /// after batch, as long as batches are short (the latest took less than [`KEEP_TURN`]) and
    /// this thread's own answer has waited less than that bound; then the next waiting command
    /// leads (see the module docs). If nothing is waiting, the session's queue is removed and
    /// `leading` released.
    ///
    /// Handing the turn to a waiting command's thread moves the session's state, the store's
    /// maps and the allocator's memory to another core; on the in-memory store that costs about
    /// as much as a command (BENCHMARKS.md, "Hot session from two threads"), so the thread
    /// whose caches hold them goes on, as in flat combining. On a store whose commits take
    /// longer than the bound, the turn passes after the leader's own batch, as it always did.
    ///
    /// A panic while serving goes to a served command's thread, not to this one's caller (see
    /// the module docs), and the turn passes.
    fn keep_turn(&self, leading: &mut Leading<'_>) {
        let (queues, session_id) = (leading.queues, leading.session_id);
        let mut answered = None;
        loop {
            let batch: Vec<Arc<Ticket>> = {
                let mut stripe = queues.stripe(session_id);
                match queue_of(&mut stripe, session_id) {
                    Some(queue) if !queue.waiting.is_empty() => {
                        let answered = *answered.get_or_insert_with(Instant::now);
                        if !queues.batches_are_short() || answered.elapsed() >= queues.keep_turn {
                            return;
                        }
                        let more = queue.waiting.len().min(super::MAX_BATCH);
                        queue.waiting.drain(..more).collect()
                    }
                    _ => {
                        stripe.retain(|q| q.session_id != session_id);
                        leading.released = true;
                        return;
                    }
                }
            };
            leading.batch = batch;
            // Unwind safety: a panic leaves the store as its commit left it (a commit is
            // atomic, as for any panicking command), and the queues' locks are taken poisoned
            // or not (see `lock`); the batch's own state is dropped with it.
            let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match leading.batch.as_slice() {
                // Alone, it runs as it would have on its own thread.
                [ticket] => {
                    let mut run =
                        Run { store_time: ticket.timed.then_some(Duration::ZERO), batch: 1, ..Run::default() };
                    let started = Instant::now();
                    let result =
                        self.attempt_alone(ticket.actor, ticket.key.as_ref(), &ticket.command, ticket.now, &mut run);
                    if run.committed {
                        queues.batch_took(started.elapsed());
                    }
                    ticket.set(Turn::Done(result, run));
                }
                batch => self.run_batch(queues, batch, batch.iter().any(|t| t.timed)),
            }));
            if let Err(payload) = served {
                // To the first command still without an answer; `leading`'s drop answers the
                // rest with a store error and hands on the turn.
                let unanswered = leading.batch.iter().find(|t| !t.answered.load(Ordering::Relaxed));
                if let Some(ticket) = unanswered {
                    ticket.set(Turn::Panicked(payload));
                }
                return;
            }
        }
    }

    /// Decides and commits the commands of `batch`, round after round, until each has its
    /// answer (see the module docs); `timed` says whether to measure the store's time.
    fn run_batch(&self, group: &GroupCommit, batch: &[Arc<Ticket>], timed: bool) {
        let mut answers: Vec<Option<Result<Receipt<OutcomeValue>, BookingError>>> = vec![None; batch.len()];
        let mut runs: Vec<Run> =
            batch.iter().map(|_| Run { store_time: timed.then_some(Duration::ZERO), ..Run::default() }).collect();
        // After a store failure that no single commit can be blamed for: one commit per round.
        let mut alone = false;
        while answers.iter().any(Option::is_none) {
            let round_started = Instant::now();
            let mut overlay = None;
            let mut commits = Vec::new();
            // Each decided command of the round, in order: its index, its answer, whether it commits.
            let mut decided: Vec<(usize, Result<Receipt<OutcomeValue>, BookingError>, bool)> = Vec::new();
            let mut keys: Vec<(Actor, &RequestKey)> = Vec::new();
            for (i, ticket) in batch.iter().enumerate() {
                if answers[i].is_some() {
                    continue;
                }
                let own_key_ahead = ticket.key.as_ref().is_some_and(|k| keys.contains(&(ticket.actor, k)));
                if !commits.is_empty() && (alone || own_key_ahead) {
                    break;
                }
                if runs[i].attempts == self.max_attempts {
                    answers[i] = Some(Err(BookingError::Contention { attempts: self.max_attempts }));
                    continue;
                }
                runs[i].attempts += 1;
                match self.decide_in_batch(ticket, &mut overlay, commits.is_empty()) {
                    Decision::Final(answer) => answers[i] = Some(answer),
                    Decision::Tentative(answer) => decided.push((i, answer, false)),
                    Decision::Commit(commit, receipt) => {
                        if let Some(key) = &ticket.key {
                            keys.push((ticket.actor, key));
                        }
                        commits.push(*commit);
                        decided.push((i, Ok(receipt), true));
                    }
                }
            }
            let in_round = commits.len();
            // Always measured here (a round of a batch, not a lone command): a lost race backs off by it.
            let started = Instant::now();
            let failure = match commits.len() {
                0 => None,
                // One commit needs no batch: the store's plain commit (as with group commit off).
                1 => commits
                    .pop()
                    .and_then(|c| self.repository.commit(c).err())
                    .map(|error| crate::repository::BatchFailure { committed: 0, error }),
                _ => {
                    self.counters.record_batch(in_round);
                    self.repository.commit_all(commits).err()
                }
            };
            let took = started.elapsed();
            if in_round > 0 {
                group.batch_took(round_started.elapsed());
            }
            let store_time = timed.then_some(took);
            let mut commits_seen = 0;
            let mut after_failure = false;
            for (i, answer, commits_here) in decided {
                if commits_here {
                    if let (Some(total), Some(t)) = (runs[i].store_time.as_mut(), store_time) {
                        *total += t;
                    }
                    runs[i].batch = in_round;
                }
                if !after_failure
                    && commits_here
                    && let Some(failure) = failure.as_ref().filter(|f| f.committed.min(in_round) == commits_seen)
                {
                    // The first commit the store did not apply.
                    after_failure = true;
                    match &failure.error {
                        StoreError::Conflict(_) | StoreError::DuplicateRequest => {
                            runs[i].conflicts += 1;
                            tracing::debug!(
                                target: "booking_core::engine",
                                attempt = runs[i].attempts,
                                batch = in_round,
                                "store conflict, deciding again"
                            );
                            back_off_batch(runs[i].attempts, took);
                        }
                        StoreError::Unavailable(_) => answers[i] = Some(Err(failure.error.clone().into())),
                        _ if commits_seen + 1 == in_round || alone => {
                            answers[i] = Some(Err(failure.error.clone().into()));
                        }
                        _ => alone = true,
                    }
                    continue;
                }
                if commits_here && !after_failure {
                    commits_seen += 1;
                    runs[i].committed = true;
                }
                if !after_failure {
                    answers[i] = Some(answer);
                } else if let Some(f) = &failure
                    && matches!(f.error, StoreError::Unavailable(_))
                {
                    answers[i] = Some(Err(f.error.clone().into()));
                }
            }
        }
        for ((ticket, answer), run) in batch.iter().zip(answers).zip(runs) {
            if let Some(answer) = answer {
                ticket.set(Turn::Done(answer, run));
            }
        }
    }

    /// Decides one command of a round on `overlay`, the state the round's earlier commands
    /// produce (loaded from the store when it is `None`), and moves `overlay` on if the command
    /// changes the session. `first` says no commit precedes it in the round, so a refusal
    /// decided now is decided on committed state.
    fn decide_in_batch(&self, ticket: &Ticket, overlay: &mut Option<Overlay>, first: bool) -> Decision {
        let replay = |key: &RequestKey| self.replay(&ticket.actor, key, &ticket.command);
        if let Some(key) = &ticket.key {
            match replay(key) {
                Ok(None) => {}
                Ok(Some(replayed)) => return Decision::Final(Ok(replayed)),
                Err(error) => return Decision::Final(Err(error)),
            }
        }
        let now = ticket.now.unwrap_or_else(|| self.clock.now());
        let ctx = DecisionContext { actor: ticket.actor, now, fresh_id: self.ids.next_uuid() };
        let decided = self
            .session_in_batch(ticket.of, overlay.as_ref())
            .and_then(|session| self.decide_on_session(&ctx, session, ticket.session_command.clone()));
        let (outcome, writes, finished) = match decided {
            Ok(decided) => decided,
            Err(refusal) => {
                // As in `attempt`: a retry racing its own first run is answered by that run.
                if let Some(key) = &ticket.key {
                    match replay(key) {
                        Ok(None) => {}
                        Ok(Some(replayed)) => return Decision::Final(Ok(replayed)),
                        Err(error) => return Decision::Final(Err(error)),
                    }
                }
                return if first { Decision::Final(Err(refusal)) } else { Decision::Tentative(Err(refusal)) };
            }
        };
        if outcome.events.is_empty() && ticket.key.is_none() {
            let answer = Ok(receipt(outcome, false));
            return if first { Decision::Final(answer) } else { Decision::Tentative(answer) };
        }
        for write in &writes {
            if let Write::Session { session, .. } = write {
                let mut earlier = overlay.take().map(|o| o.finished).unwrap_or_default();
                earlier.extend(finished.iter().cloned());
                *overlay = Some(Overlay { session: Arc::clone(session), finished: earlier });
            }
        }
        let request = ticket.key.clone().map(|key| RequestRecord {
            actor: ticket.actor,
            key,
            command: ticket.command.clone(),
            outcome: outcome.clone(),
            recorded_at: ctx.now,
        });
        let commit = Commit { writes, request, events: outcome.events.clone(), finished_bookings: finished };
        Decision::Commit(Box::new(commit), receipt(outcome, false))
    }

    /// The session a command of a batch is decided on: the round's state if the round has one,
    /// else the stored session, as [`decide_session`](Self::decide_session) loads it.
    fn session_in_batch(&self, of: SessionOf, overlay: Option<&Overlay>) -> Result<Arc<GroupSession>, BookingError> {
        let Some(overlay) = overlay else {
            return match of {
                SessionOf::Id(session_id) => self.load_session(session_id),
                SessionOf::Booking(booking_id) => self.session_for_command(booking_id),
            };
        };
        let id = match of {
            SessionOf::Id(_) => return Ok(Arc::clone(&overlay.session)),
            SessionOf::Booking(id) if overlay.session.booking(id).is_some() => {
                return Ok(Arc::clone(&overlay.session));
            }
            SessionOf::Booking(id) => id,
        };
        // A finished booking, as `session_for_command` adds it: finished in this round, or
        // earlier (in the booking history).
        let finished = match overlay.finished.iter().find(|b| b.id == id) {
            Some(booking) => booking.clone(),
            None => self.finished_booking(&overlay.session, id)?.ok_or(BookingError::BookingNotFound { id })?,
        };
        let mut session = Arc::clone(&overlay.session);
        Arc::make_mut(&mut session).bookings.push(finished);
        Ok(session)
    }
}

/// How long a batch may take for its leader to keep the turn, and how long after its own
/// answer the leader goes on running the batches behind it (see the module docs, "Keeping the
/// turn"): a few commands on the in-memory store, less than one commit on a store behind a disk
/// or a network.
const KEEP_TURN: Duration = Duration::from_micros(20);

/// The longest a batch that lost a race waits before it is decided again.
const MAX_BATCH_BACK_OFF: Duration = Duration::from_millis(20);

/// Before a batch that lost a race on its `attempt`-th attempt is decided again: with
/// `window` = `took` (the time the losing store call took) times 2 to the `attempt`, at most
/// [`MAX_BATCH_BACK_OFF`], a wait drawn uniformly between half the window and the whole
/// ("equal jitter"): never shorter than the store call that lost, and spread so that batches
/// of several processes racing on one session fall out of step.
fn back_off_batch(attempt: u32, took: Duration) {
    use std::hash::{BuildHasher, Hasher};
    let window = took.saturating_mul(1 << attempt.clamp(1, 8)).min(MAX_BATCH_BACK_OFF);
    // A fresh randomly keyed hasher per call: random enough to spread waits, no dependency.
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    let half = u64::try_from(window.as_nanos() / 2).unwrap_or(u64::MAX);
    std::thread::sleep(Duration::from_nanos(half + random % half.max(1)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repository::{BatchFailure, StoreWrapper};
    use crate::{InMemoryRepository, ManualClock, NewGroupSession, SeatStatus, SequentialIds};
    use chrono::TimeZone;
    use std::sync::mpsc;

    /// An in-memory store whose first `commit_all` waits until the test lets it go (so the
    /// commands sent meanwhile queue behind it), and which fails the batches it is told to.
    struct Gate {
        inner: InMemoryRepository,
        sizes: Mutex<Vec<usize>>,
        /// The thread that sent each commit of `sizes`.
        threads: Mutex<Vec<std::thread::ThreadId>>,
        in_flight: Mutex<Option<mpsc::Sender<()>>>,
        release: Mutex<Option<mpsc::Receiver<()>>>,
        /// Failures for the next batches (of more than one commit), first first.
        failures: Mutex<VecDeque<StoreError>>,
        /// The commit (counting from 1, in `sizes`) at which the store panics, if any.
        panic_at: Option<usize>,
    }

    impl StoreWrapper for Gate {
        type Inner = InMemoryRepository;

        fn inner(&self) -> &InMemoryRepository {
            &self.inner
        }

        fn commit(this: &Self, commit: Commit) -> Result<(), StoreError> {
            this.hold(1);
            this.inner.commit(commit)
        }

        fn commit_all(this: &Self, commits: Vec<Commit>) -> Result<(), BatchFailure> {
            this.hold(commits.len());
            if let Some(error) = lock(&this.failures).pop_front() {
                return Err(BatchFailure { committed: 0, error });
            }
            this.inner.commit_all(commits)
        }
    }

    impl Gate {
        /// Notes a commit of `size` commits and holds the first until the test lets it go.
        fn hold(&self, size: usize) {
            let n = {
                let mut sizes = lock(&self.sizes);
                sizes.push(size);
                sizes.len()
            };
            lock(&self.threads).push(std::thread::current().id());
            if self.panic_at == Some(n) {
                panic!("the store panics on commit {n}");
            }
            if let Some(in_flight) = lock(&self.in_flight).take() {
                in_flight.send(()).unwrap();
                lock(&self.release).take().unwrap().recv().unwrap();
            }
        }
    }

    fn user(n: u128) -> UserId {
        UserId::from_uuid(uuid::Uuid::from_u128(n))
    }

    /// Books student 1 and, while that commit is held, `queued` more bookings (students 2 to
    /// 7, student 2 twice, student 7 twice under one request key), then lets the commit go.
    /// Returns the engine and every booking's result, student 1's first.
    #[allow(clippy::type_complexity)]
    fn held_batch(
        failures: Vec<StoreError>,
    ) -> (Arc<Engine<Gate>>, SessionId, Vec<(UserId, Result<Receipt<SeatBooking>, BookingError>)>) {
        held_batch_keeping_turn(failures, KEEP_TURN, Duration::ZERO)
    }

    /// [`held_batch`], with `keep_turn` as the engine's keep-turn bound and `latest` as the
    /// time its latest batch took.
    #[allow(clippy::type_complexity)]
    fn held_batch_keeping_turn(
        failures: Vec<StoreError>,
        keep_turn: Duration,
        latest: Duration,
    ) -> (Arc<Engine<Gate>>, SessionId, Vec<(UserId, Result<Receipt<SeatBooking>, BookingError>)>) {
        let (engine, session, results) = held_batch_with(failures, keep_turn, latest, None);
        let results = results.into_iter().map(|(student, r)| (student, r.expect("no booking panics"))).collect();
        (engine, session, results)
    }

    /// [`held_batch_keeping_turn`], with a store that panics at commit `panic_at` (counting
    /// the session's creation as 1); each booking's thread's result, a panic or its answer.
    #[allow(clippy::type_complexity)]
    fn held_batch_with(
        failures: Vec<StoreError>,
        keep_turn: Duration,
        latest: Duration,
        panic_at: Option<usize>,
    ) -> (Arc<Engine<Gate>>, SessionId, Vec<(UserId, std::thread::Result<Result<Receipt<SeatBooking>, BookingError>>)>)
    {
        let (in_flight_tx, in_flight) = mpsc::channel();
        let (release, release_rx) = mpsc::channel();
        let store = Gate {
            inner: InMemoryRepository::new(),
            sizes: Mutex::default(),
            threads: Mutex::default(),
            in_flight: Mutex::new(None),
            release: Mutex::new(Some(release_rx)),
            failures: Mutex::new(failures.into()),
            panic_at,
        };
        let now = Utc.with_ymd_and_hms(2030, 1, 1, 9, 0, 0).unwrap();
        let mut engine =
            Engine::new(store).with_clock(ManualClock::new(now)).with_ids(SequentialIds::starting_after(1 << 40));
        let group = engine.group.as_mut().expect("group commit is on by default");
        group.keep_turn = keep_turn;
        group.batch_took(latest);
        let engine = Arc::new(engine);
        let teacher = user(100);
        let session = engine
            .create_session(
                Actor::Teacher(teacher),
                NewGroupSession {
                    teacher_id: teacher,
                    course_id: None,
                    title: "Rush".into(),
                    starts_at: now + chrono::TimeDelta::days(3),
                    time_zone: "UTC".into(),
                    duration_minutes: 60,
                    meeting_link: "https://meet.example.com/rush".into(),
                    capacity: 3,
                    waitlist_enabled: true,
                    waitlist_mode: Default::default(),
                    rules: Default::default(),
                },
            )
            .unwrap()
            .value
            .id;
        *lock(&engine.repository().in_flight) = Some(in_flight_tx);
        let book = |engine: &Arc<Engine<Gate>>, n: u128, key: Option<&str>| {
            let engine = Arc::clone(engine);
            let key = key.map(str::to_owned);
            std::thread::spawn(move || {
                let request = match key {
                    Some(key) => Actor::Student(user(n)).with_key(key),
                    None => Actor::Student(user(n)).into(),
                };
                engine.book_seat(request, session, user(n))
            })
        };
        let first = (user(1), book(&engine, 1, None));
        in_flight.recv().unwrap();
        let queued: Vec<_> =
            [(2, None), (2, None), (3, None), (4, None), (5, None), (6, None), (7, Some("k")), (7, Some("k"))]
                .into_iter()
                .map(|(n, key)| (user(n), book(&engine, n, key)))
                .collect();
        let group = engine.group.as_ref().unwrap();
        while queue_of(&mut group.stripe(session), session).map_or(0, |q| q.waiting.len()) < queued.len() {
            std::thread::yield_now();
        }
        release.send(()).unwrap();
        let results = std::iter::once(first).chain(queued).map(|(student, t)| (student, t.join())).collect();
        (engine, session, results)
    }

    /// Checks the answers of [`held_batch`]: what running them one after another in any
    /// order gives, and a stored session that matches.
    fn check(
        engine: &Engine<Gate>,
        session: SessionId,
        results: &[(UserId, Result<Receipt<SeatBooking>, BookingError>)],
    ) {
        let ok: Vec<_> = results.iter().filter_map(|(_, r)| r.as_ref().ok()).collect();
        let fresh: Vec<_> = ok.iter().filter(|r| !r.replayed).collect();
        // Students 1 to 7 once each; student 2's second booking refused, student 7's retry replayed.
        assert_eq!(fresh.len(), 7, "{results:#?}");
        assert_eq!(ok.iter().filter(|r| r.replayed).count(), 1, "{results:#?}");
        let refused: Vec<_> = results.iter().filter_map(|(s, r)| r.as_ref().err().map(|e| (*s, e.code()))).collect();
        assert_eq!(refused, [(user(2), crate::ErrorCode::AlreadyBooked)]);
        let confirmed = fresh.iter().filter(|r| r.value.status == SeatStatus::Confirmed).count();
        assert_eq!(confirmed, 3, "{results:#?}");
        let mut versions: Vec<u64> = fresh.iter().map(|r| r.version).collect();
        versions.sort_unstable();
        assert_eq!(versions, (2..=8).collect::<Vec<_>>(), "each command its own version");
        let stored = engine.session(Actor::System, session).unwrap();
        assert_eq!(stored.version, 8);
        for r in &fresh {
            assert_eq!(stored.booking(r.value.id).map(|b| b.status), Some(r.value.status), "{r:#?}");
        }
    }

    #[test]
    fn commands_queued_behind_a_commit_go_to_the_store_together() {
        let (engine, session, results) = held_batch(Vec::new());
        check(&engine, session, &results);
        let sizes = lock(&engine.repository().sizes).clone();
        // The session's creation and the held booking, each alone; then the six queued
        // bookings that commit, in one batch: in one round, or two when the retry under
        // student 7's key arrives before queued commands it shares the batch with (the round
        // ends before it, and it is replayed in the next).
        assert_eq!(sizes[..2], [1, 1], "{sizes:?}");
        assert_eq!(sizes[2..].iter().sum::<usize>(), 6, "{sizes:?}");
        assert!(sizes.len() <= 4, "{sizes:?}");
        let batches: Vec<_> = sizes.iter().filter(|&&n| n > 1).collect();
        let counters = engine.counters();
        assert_eq!(counters.batches, batches.len() as u64, "{sizes:?} {counters:?}");
        assert_eq!(counters.batched_commits, batches.into_iter().sum::<usize>() as u64, "{sizes:?} {counters:?}");
    }

    /// The threads that sent the commits of [`held_batch`]: the held booking's, and those of
    /// the batches queued behind it.
    fn committing_threads(engine: &Engine<Gate>) -> (std::thread::ThreadId, Vec<std::thread::ThreadId>) {
        let threads = lock(&engine.repository().threads).clone();
        (threads[1], threads[2..].to_vec())
    }

    #[test]
    fn a_leader_whose_batches_are_short_runs_the_commands_queued_behind_it() {
        let (engine, session, results) = held_batch_keeping_turn(Vec::new(), Duration::MAX, Duration::ZERO);
        check(&engine, session, &results);
        let (held, queued) = committing_threads(&engine);
        assert!(!queued.is_empty() && queued.iter().all(|&t| t == held), "{held:?} {queued:?}");
    }

    #[test]
    fn a_leader_whose_batches_are_long_hands_the_turn_to_the_next_waiting_command() {
        let hour = Duration::from_secs(3600);
        let (engine, session, results) = held_batch_keeping_turn(Vec::new(), hour, hour);
        check(&engine, session, &results);
        let (held, queued) = committing_threads(&engine);
        assert!(!queued.is_empty() && queued.iter().all(|&t| t != held), "{held:?} {queued:?}");
    }

    #[test]
    fn a_leader_whose_answer_waited_its_bound_hands_the_turn_to_the_next_waiting_command() {
        // Batches short enough (none took a nanosecond), but the leader's answer has waited longer.
        let (engine, session, results) = held_batch_keeping_turn(Vec::new(), Duration::from_nanos(1), Duration::ZERO);
        check(&engine, session, &results);
        let (held, queued) = committing_threads(&engine);
        assert!(!queued.is_empty() && queued.iter().all(|&t| t != held), "{held:?} {queued:?}");
    }

    #[test]
    fn a_panic_while_serving_reaches_the_served_command_not_the_leader() {
        // Commit 3 is the first batch queued behind the held booking, which its leader serves.
        let (engine, session, results) = held_batch_with(Vec::new(), Duration::MAX, Duration::ZERO, Some(3));
        let (held, queued) = committing_threads(&engine);
        assert_eq!(queued, [held], "the leader sent the batch that panicked");
        // The leader's own booking committed before, and its caller gets it.
        assert!(matches!(&results[0].1, Ok(Ok(r)) if r.version == 2), "{:?}", results[0]);
        // One command of the batch gets the panic, on its own thread; the others a store error.
        let panics: Vec<_> = results.iter().filter_map(|(_, r)| r.as_ref().err()).collect();
        assert_eq!(panics.len(), 1, "{results:?}");
        assert_eq!(panics[0].downcast_ref::<String>().map(String::as_str), Some("the store panics on commit 3"));
        let answers: Vec<_> = results[1..].iter().filter_map(|(_, r)| r.as_ref().ok()).collect();
        assert_eq!(answers.len(), 7, "{results:?}");
        assert!(answers.iter().all(|r| matches!(r, Err(BookingError::Store { .. }))), "{answers:?}");
        // Nothing of the batch was stored, and the session's queue is gone: the next command runs.
        assert_eq!(engine.session(Actor::System, session).unwrap().version, 2);
        let group = engine.group.as_ref().unwrap();
        assert!(queue_of(&mut group.stripe(session), session).is_none());
        assert!(engine.book_seat(Actor::Student(user(8)), session, user(8)).is_ok());
    }

    #[test]
    fn a_lost_race_decides_the_whole_batch_again() {
        let (engine, session, results) = held_batch(vec![StoreError::Conflict("someone else".into())]);
        check(&engine, session, &results);
        let counters = engine.counters();
        // One conflict; every command of the round it failed (at least the one that lost) went again.
        assert!(counters.conflicts == 1 && counters.retries >= 1, "{counters:?}");
    }

    #[test]
    fn a_store_failure_no_commit_can_be_blamed_for_runs_the_batch_one_commit_at_a_time() {
        let (engine, session, results) = held_batch(vec![StoreError::Backend("disk hiccup".into())]);
        // Each command then commits alone and succeeds: nobody gets an error that may be another's.
        check(&engine, session, &results);
        let sizes = lock(&engine.repository().sizes).clone();
        let failed = sizes.iter().skip(2).position(|&n| n > 1).expect("a batch went to the store") + 2;
        assert!(sizes[failed + 1..].iter().all(|&n| n == 1), "{sizes:?}");
    }

    #[test]
    fn an_unreachable_store_answers_every_command_of_the_batch_store_unavailable() {
        let (engine, session, results) = held_batch(vec![StoreError::Unavailable("partition".into())]);
        // Student 1 committed before the failure. Of the queued commands, those decided in the
        // round that failed answer "unavailable" (whether they were applied is unknown to them,
        // as to a single command); any cut from that round are decided afresh afterwards.
        assert!(results[0].1.is_ok());
        let unavailable =
            results.iter().filter(|(_, r)| matches!(r, Err(BookingError::StoreUnavailable { .. }))).count();
        assert!(unavailable >= 1, "{results:#?}");
        let fresh: Vec<_> = results.iter().filter_map(|(_, r)| r.as_ref().ok()).filter(|r| !r.replayed).collect();
        let stored = engine.session(Actor::System, session).unwrap();
        assert_eq!(stored.version, 1 + fresh.len() as u64, "{results:#?}");
        for r in &fresh {
            assert_eq!(stored.booking(r.value.id).map(|b| b.status), Some(r.value.status), "{r:#?}");
        }
        for (_, r) in &results {
            if let Err(e) = r {
                assert!(
                    matches!(e.code(), crate::ErrorCode::StoreUnavailable | crate::ErrorCode::AlreadyBooked),
                    "{e}"
                );
            }
        }
    }
}
