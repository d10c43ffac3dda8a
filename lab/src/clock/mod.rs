//! The lab's virtual clock.
//!
//! Replication "can take up to 24 hours": rehearsing that in real time is useless, so every role
//! reads time from a [`Clock`] that moves only when told (tests, `clock advance`) or at a chosen
//! speed (`up --time-speed`). Work that is due at a virtual instant (an appliance's sync, a
//! client's 8-hourly re-fetch) is done by a [`Participant`]; [`Clock::advance_to`] returns only
//! once every participant has done all its work due up to the new instant, so "after 24 hours"
//! is an event to wait on, never a sleep.
//!
//! An advance costs what is due in it, not how long it is: the clock jumps from one due instant
//! to the next and wakes only the participants with work there. Work that commutes with other
//! such work (an appliance's sync: it talks to the tenant alone, and no other appliance's sync
//! sees it) joins as a *batched* participant ([`Clock::batched_participant`]): the clock does not
//! stop at its instants but lets it do everything due up to the next stop at once, each piece at
//! the instant it was due, before anyone else's work at that stop. Thousands of appliances due
//! over a day then cost one stop, not one each.

pub mod cmdlets;
mod duration;
mod routes;
mod time_of_day;

pub use duration::{clock_time, format_duration, parse_duration, serde_text, DurationError};
pub use routes::{routes, ClockMove, ClockReading, MOVE_BUDGET};
pub use time_of_day::{TimeOfDay, TimeOfDayError};

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// How long [`Clock::advance_to`] waits for participants before naming the laggards.
pub const CATCH_UP_DEADLINE: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ClockError {
    #[error("the clock reached {at} but these did not finish their work within {deadline:?}: {laggards}")]
    Laggards { at: String, deadline: Duration, laggards: String },
}

/// A cheap handle; clones share one time line.
#[derive(Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

struct Inner {
    now: watch::Sender<Duration>,
    members: Mutex<BTreeMap<u64, Member>>,
    progressed: Notify,
    next_id: AtomicU64,
    /// How many times the clock was put back ([`Clock::put_back_to`]).
    rewinds: AtomicU64,
}

/// What the clock knows of one participant.
struct Member {
    name: String,
    /// The instant up to which it has done its work (None until its first report: a role still
    /// starting up is not caught up with anything).
    done: Option<Duration>,
    /// Its next instant with work, when it said so. The clock stops there on its way (unless
    /// the member is batched), so work on different roles happens in lab-time order (an
    /// appliance's sync at 20h before a client's re-fetch at 24h), and it wakes only the
    /// participants with work due: thousands of appliances each with one sync a day cost one
    /// wake-up each, not one per stop.
    next_due: Option<Duration>,
    /// Its work commutes with other batched work: see the module's header.
    batched: bool,
    wake: Arc<Notify>,
}

impl Member {
    fn lags(&self, t: Duration) -> bool {
        match self.done {
            None => true,
            Some(done) => done < t && self.next_due.is_none_or(|due| due <= t),
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    /// A clock at lab time zero that moves only when told.
    pub fn new() -> Self {
        Clock {
            inner: Arc::new(Inner {
                now: watch::Sender::new(Duration::ZERO),
                members: Mutex::new(BTreeMap::new()),
                progressed: Notify::new(),
                next_id: AtomicU64::new(0),
                rewinds: AtomicU64::new(0),
            }),
        }
    }

    /// Lab time elapsed since the lab started.
    pub fn now(&self) -> Duration {
        *self.inner.now.borrow()
    }

    /// Notified on every move of the clock.
    pub fn subscribe(&self) -> watch::Receiver<Duration> {
        self.inner.now.subscribe()
    }

    /// Puts lab time back at zero, for a lab put back as it started (a reset).
    pub fn rewind(&self) {
        self.put_back_to(Duration::ZERO);
    }

    /// Sets lab time to `t`, earlier or later than now, for a lab put back as it stood at `t`
    /// (a reset, or a state kept during a scenario). No work due between now and `t` is done:
    /// every participant still on the clock owes its work from `t` again, and its next
    /// [`Participant::next_move`] is [`Move::PutBack`], since it cannot tell from the time alone
    /// (a later instant looks like an advance). Only while no advance runs, and after every
    /// participant caught up (the caller settled the clock), so no work is in flight across the
    /// jump.
    pub fn put_back_to(&self, t: Duration) {
        let members = &mut *self.inner.members.lock().unwrap();
        self.inner.rewinds.fetch_add(1, Ordering::SeqCst);
        self.inner.now.send_replace(t);
        for member in members.values_mut() {
            member.done = None;
            member.next_due = None;
            member.wake.notify_one();
        }
        self.inner.progressed.notify_waiters();
    }

    /// Registers work that must be done before an advance counts as finished.
    pub fn participant(&self, name: impl Into<String>) -> Participant {
        self.join(name.into(), false)
    }

    /// A participant whose work commutes with every other batched participant's and depends on
    /// no other participant's work between two stops (an appliance's sync). The clock does not
    /// stop at its due instants: at the next stop it does everything due up to there, each piece
    /// at the instant it was due (a participant reads that instant from its own schedule), and
    /// only then does the other participants' work at that stop begin.
    pub fn batched_participant(&self, name: impl Into<String>) -> Participant {
        self.join(name.into(), true)
    }

    fn join(&self, name: String, batched: bool) -> Participant {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let wake = Arc::new(Notify::new());
        let member = Member { name, done: None, next_due: None, batched, wake: wake.clone() };
        self.inner.members.lock().unwrap().insert(id, member);
        let rewinds = self.inner.rewinds.load(Ordering::SeqCst);
        Participant { clock: self.clone(), id, wake, seen: self.now(), rewinds }
    }

    /// Moves the clock forward by `by` and waits until every participant caught up.
    pub async fn advance(&self, by: Duration) -> Result<Duration, ClockError> {
        let target = self.now() + by;
        self.advance_to(target).await?;
        Ok(target)
    }

    /// Waits until every participant has done its work due up to now (e.g. roles starting up).
    pub async fn settle(&self) -> Result<(), ClockError> {
        self.advance_to(self.now()).await
    }

    /// Moves the clock to `t` (never backwards) and waits until every participant caught up.
    /// On the way it stops at each instant a participant that is not batched said it has work
    /// due, so that work across roles happens in lab-time order; between those instants it
    /// jumps, so a quiet stretch costs nothing however long it is, and batched work due in a
    /// stretch is done in one go at its end.
    pub async fn advance_to(&self, t: Duration) -> Result<(), ClockError> {
        self.advance_toward(t, None).await.map(|_| ())
    }

    /// Like [`Clock::advance_to`], but once `budget` of real time has passed it stops at the
    /// next instant everyone has caught up with and returns that instant, so a caller with a
    /// request timeout can report progress and go on (or stop) with the time truly reached.
    pub async fn advance_toward(
        &self,
        t: Duration,
        budget: Option<std::time::Duration>,
    ) -> Result<Duration, ClockError> {
        let deadline = budget.map(|b| tokio::time::Instant::now() + b);
        let mut moved = false;
        loop {
            // Everyone has done the work due so far and said when it next has work.
            let now = self.now();
            self.wait_caught_up(now).await?;
            // At least one step per call, so asking again always gets further.
            let spent = moved && deadline.is_some_and(|d| tokio::time::Instant::now() >= d);
            if now >= t || spent {
                return Ok(now);
            }
            moved = true;
            let step = self.next_stop(now, false).map_or(t, |due| due.min(t));
            self.inner.now.send_replace(step);
            // Batched work due by this stop first, so the others' work here sees it done.
            self.wake(step, true);
            self.wait_caught_up_batched(step).await?;
            self.wake(step, false);
        }
    }

    /// The earliest instant after now at which a participant said it has work (batched ones
    /// included: another clock keeping order with this one must stop there).
    pub fn next_due(&self) -> Option<Duration> {
        self.next_stop(self.now(), true)
    }

    /// The earliest announced due instant after `now`, of every participant or only of those
    /// the clock stops for.
    fn next_stop(&self, now: Duration, batched_too: bool) -> Option<Duration> {
        let members = self.inner.members.lock().unwrap();
        members.values().filter(|m| batched_too || !m.batched).filter_map(|m| m.next_due).filter(|d| *d > now).min()
    }

    /// Wakes the batched participants, or the others, with work due by `step`.
    fn wake(&self, step: Duration, batched: bool) {
        for member in self.inner.members.lock().unwrap().values() {
            if member.batched == batched && member.next_due.is_none_or(|due| due <= step) {
                member.wake.notify_one();
            }
        }
    }

    async fn wait_caught_up(&self, target: Duration) -> Result<(), ClockError> {
        self.wait_for(target, |_| true).await
    }

    async fn wait_caught_up_batched(&self, target: Duration) -> Result<(), ClockError> {
        self.wait_for(target, |m| m.batched).await
    }

    /// Waits until none of the members `among` lags at `target`. The deadline runs from the last
    /// progress, not from the start: a stop with thousands of syncs due takes as long as they
    /// take, while one participant that stops answering is named after [`CATCH_UP_DEADLINE`].
    async fn wait_for(&self, target: Duration, among: impl Fn(&Member) -> bool) -> Result<(), ClockError> {
        let mut cursor = 0;
        loop {
            let progressed = self.inner.progressed.notified();
            tokio::pin!(progressed);
            progressed.as_mut().enable();
            match self.first_laggard(target, &among, cursor) {
                Some(id) => cursor = id,
                None => return Ok(()),
            }
            if tokio::time::timeout(CATCH_UP_DEADLINE, progressed).await.is_err() {
                return Err(ClockError::Laggards {
                    at: format_duration(target),
                    deadline: CATCH_UP_DEADLINE,
                    laggards: self.laggards(target, &among).join(", "),
                });
            }
        }
    }

    /// Moves the clock at `speed` lab seconds per real second until the returned task is aborted.
    pub fn run_at_speed(&self, speed: f64) -> tokio::task::JoinHandle<()> {
        let clock = self.clone();
        tokio::spawn(async move {
            if speed <= 0.0 {
                return;
            }
            let tick = Duration::from_millis(50);
            let mut ticker = tokio::time::interval(tick);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let step = tick.mul_f64(speed);
                if let Err(e) = clock.advance(step).await {
                    tracing::warn!("{e}");
                }
            }
        })
    }

    /// The first member `among` lagging at `t`, looking from `from` on and then before it; none
    /// when nobody lags. Checked on every progress: a waiter starts where the last laggard was
    /// found, since members it passed have caught up and stay so (a member's work done only
    /// grows while the clock waits), so a wait of thousands of syncs scans them about once in
    /// all rather than once per sync.
    fn first_laggard(&self, t: Duration, among: impl Fn(&Member) -> bool, from: u64) -> Option<u64> {
        let members = self.inner.members.lock().unwrap();
        let lags = |(id, m): (&u64, &Member)| (among(m) && m.lags(t)).then_some(*id);
        members.range(from..).find_map(lags).or_else(|| members.range(..from).find_map(lags))
    }

    fn laggards(&self, t: Duration, among: impl Fn(&Member) -> bool) -> Vec<String> {
        let members = self.inner.members.lock().unwrap();
        members.values().filter(|m| among(m) && m.lags(t)).map(|m| m.name.clone()).collect()
    }

    fn update(&self, id: u64, change: impl FnOnce(&mut Member)) {
        if let Some(member) = self.inner.members.lock().unwrap().get_mut(&id) {
            change(member);
        }
        self.inner.progressed.notify_waiters();
    }
}

/// One piece of scheduled work on the clock. Dropping it removes it from the barrier, so a
/// stopped role never holds the lab's clock back.
pub struct Participant {
    clock: Clock,
    id: u64,
    wake: Arc<Notify>,
    /// The latest lab time this participant has seen.
    seen: Duration,
    /// The clock's rewinds it has seen.
    rewinds: u64,
}

impl Participant {
    /// The current lab time, marking it seen.
    pub fn now(&mut self) -> Duration {
        self.seen = self.clock.now();
        self.seen
    }

    /// Waits until the clock has moved to an instant where this participant has work (or, if
    /// it announced none, any move), or was put back; returns the new lab time.
    pub async fn changed(&mut self) -> Duration {
        self.next_move().await.at()
    }

    /// Like [`Participant::changed`], saying whether the clock moved on or was put back.
    pub async fn next_move(&mut self) -> Move {
        loop {
            let now = self.clock.now();
            let rewinds = self.clock.inner.rewinds.load(Ordering::SeqCst);
            if rewinds != self.rewinds {
                self.rewinds = rewinds;
                self.seen = now;
                return Move::PutBack(now);
            }
            if now > self.seen {
                self.seen = now;
                return Move::Forward(now);
            }
            self.wake.notified().await;
        }
    }

    /// Reports that all work due up to `t` is done.
    pub fn caught_up(&self, t: Duration) {
        self.clock.update(self.id, |m| m.done = Some(m.done.map_or(t, |d| d.max(t))));
    }

    /// Announces the next instant this participant has work (None: nothing scheduled, wake me on
    /// every move), so an advance stops there first. Call it before `caught_up`.
    pub fn due_at(&self, next: Option<Duration>) {
        self.announcer().due_at(next);
    }

    /// A handle that announces this participant's next due instant from elsewhere (e.g. a
    /// request handler that just scheduled work), so the next advance stops there.
    pub fn announcer(&self) -> DueAnnouncer {
        DueAnnouncer { clock: self.clock.clone(), id: self.id }
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }
}

/// How the clock moved for a participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// On to this instant: the work due up to it is owed.
    Forward(Duration),
    /// Put back at this instant (earlier or later than before): the participant starts its
    /// schedule over from there, owing nothing before it.
    PutBack(Duration),
}

impl Move {
    pub fn at(self) -> Duration {
        match self {
            Move::Forward(t) | Move::PutBack(t) => t,
        }
    }
}

/// See [`Participant::announcer`]. Announcing after the participant is gone does nothing.
#[derive(Clone)]
pub struct DueAnnouncer {
    clock: Clock,
    id: u64,
}

impl DueAnnouncer {
    /// An announcement that makes the participant lag at the current time (nothing scheduled any
    /// more, or work due already) wakes it: the clock skipped waking it at this instant because
    /// its work was due later, and would otherwise wait for it forever.
    pub fn due_at(&self, next: Option<Duration>) {
        let now = self.clock.now();
        self.clock.update(self.id, |m| {
            m.next_due = next;
            if m.lags(now) {
                m.wake.notify_one();
            }
        });
    }
}

impl Drop for Participant {
    fn drop(&mut self) {
        self.clock.inner.members.lock().unwrap().remove(&self.id);
        self.clock.inner.progressed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A participant with work due every whole hour, logging the hours it did; put back, it owes
    /// the hours after the instant it was put back at.
    fn hourly(clock: &Clock) -> (tokio::task::JoinHandle<()>, Arc<Mutex<Vec<Duration>>>) {
        let mut p = clock.participant("sync every hour");
        let done = Arc::new(Mutex::new(Vec::new()));
        let log = done.clone();
        let worker = tokio::spawn(async move {
            let after = |t: Duration| Duration::from_secs((t.as_secs() / 3600 + 1) * 3600);
            let mut now = p.now();
            let mut next = after(now);
            loop {
                while next <= now {
                    log.lock().unwrap().push(next);
                    next = after(next);
                }
                p.due_at(Some(next));
                p.caught_up(now);
                now = match p.next_move().await {
                    Move::Forward(t) => t,
                    Move::PutBack(t) => {
                        next = after(t);
                        t
                    }
                };
            }
        });
        (worker, done)
    }

    #[tokio::test]
    async fn a_rewound_clock_has_every_participant_start_over_from_zero() {
        let clock = Clock::new();
        let (worker, done) = hourly(&clock);
        clock.advance(Duration::from_secs(2 * 3600)).await.unwrap();
        clock.rewind();
        assert_eq!(clock.now(), Duration::ZERO);
        // Caught up again only once the participant has seen the rewind.
        clock.settle().await.unwrap();
        clock.advance(Duration::from_secs(3600)).await.unwrap();
        let hours: Vec<u64> = done.lock().unwrap().iter().map(|d| d.as_secs() / 3600).collect();
        assert_eq!(hours, [1, 2, 1], "after the rewind the first hour's work is due again, and only it");
        worker.abort();
    }

    #[tokio::test]
    async fn a_clock_put_back_to_a_later_instant_owes_nothing_before_it() {
        let clock = Clock::new();
        let (worker, done) = hourly(&clock);
        clock.advance(Duration::from_secs(3600)).await.unwrap();
        clock.put_back_to(Duration::from_secs(5 * 3600));
        assert_eq!(clock.now(), Duration::from_secs(5 * 3600));
        clock.settle().await.unwrap();
        clock.advance(Duration::from_secs(3600)).await.unwrap();
        let hours: Vec<u64> = done.lock().unwrap().iter().map(|d| d.as_secs() / 3600).collect();
        assert_eq!(hours, [1, 6], "put forward to 5 h, the hours between are not owed; the sixth is");
        worker.abort();
    }

    #[test]
    fn a_due_instant_between_milliseconds_is_reported_rounded_up() {
        let clock = Clock::new();
        let participant = clock.participant("sync at 1.5 ms");
        participant.due_at(Some(Duration::from_micros(1500)));
        assert_eq!(ClockReading::of(&clock), ClockReading { now_ms: 0, next_due_ms: Some(2) });
    }

    #[tokio::test]
    async fn advance_waits_for_participants_to_do_their_due_work() {
        let clock = Clock::new();
        let mut p = clock.participant("sync");
        let done = Arc::new(AtomicU64::new(0));
        let seen = done.clone();
        let worker = tokio::spawn(async move {
            let mut next_due = Duration::from_secs(3600);
            let mut now = p.now();
            loop {
                while next_due <= now {
                    seen.fetch_add(1, Ordering::SeqCst);
                    next_due += Duration::from_secs(3600);
                }
                p.caught_up(now);
                now = p.changed().await;
            }
        });
        clock.advance(Duration::from_secs(30 * 60)).await.unwrap();
        assert_eq!(done.load(Ordering::SeqCst), 0);
        clock.advance(Duration::from_secs(5 * 3600)).await.unwrap();
        assert_eq!(done.load(Ordering::SeqCst), 5, "five hourly syncs are due after 5h30m");
        worker.abort();
    }

    #[tokio::test]
    async fn work_on_different_participants_happens_in_lab_time_order() {
        let clock = Clock::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut workers = Vec::new();
        for (name, every) in [("sync", 20u64), ("fetch", 8)] {
            let mut p = clock.participant(name);
            let log = log.clone();
            workers.push(tokio::spawn(async move {
                let period = Duration::from_secs(every * 3600);
                let mut next_due = period;
                let mut now = p.now();
                loop {
                    while next_due <= now {
                        log.lock().unwrap().push((name, now));
                        next_due += period;
                    }
                    p.due_at(Some(next_due));
                    p.caught_up(now);
                    now = p.changed().await;
                }
            }));
        }
        clock.advance(Duration::from_secs(24 * 3600)).await.unwrap();
        let hours: Vec<(&str, u64)> = log.lock().unwrap().iter().map(|(n, t)| (*n, t.as_secs() / 3600)).collect();
        assert_eq!(hours, vec![("fetch", 8), ("fetch", 16), ("sync", 20), ("fetch", 24)]);
        for w in workers {
            w.abort();
        }
    }

    /// Who did a piece of work, the instant it was due, and the clock's reading when it was done.
    type WorkLog = Arc<Mutex<Vec<(&'static str, Duration, Duration)>>>;

    /// A batched participant with work every `every` from `offset` on, logging each piece at the
    /// instant it was due and the clock's reading when it was woken for it.
    fn batched(
        clock: &Clock,
        name: &'static str,
        offset: Duration,
        every: Duration,
        log: WorkLog,
    ) -> tokio::task::JoinHandle<()> {
        let mut p = clock.batched_participant(name);
        tokio::spawn(async move {
            let mut next_due = offset;
            let mut now = p.now();
            loop {
                while next_due <= now {
                    log.lock().unwrap().push((name, next_due, now));
                    next_due += every;
                }
                p.due_at(Some(next_due));
                p.caught_up(now);
                now = p.changed().await;
            }
        })
    }

    #[tokio::test]
    async fn batched_work_is_done_at_the_next_stop_before_the_others_work_there() {
        let clock = Clock::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let hour = Duration::from_secs(3600);
        let sync = batched(&clock, "sync", 20 * hour, 20 * hour, log.clone());
        let mut p = clock.participant("fetch");
        let fetches = log.clone();
        let fetch = tokio::spawn(async move {
            let mut next_due = 8 * hour;
            let mut now = p.now();
            loop {
                while next_due <= now {
                    fetches.lock().unwrap().push(("fetch", next_due, now));
                    next_due += 8 * hour;
                }
                p.due_at(Some(next_due));
                p.caught_up(now);
                now = p.changed().await;
            }
        });
        clock.advance(24 * hour).await.unwrap();
        let hours = |d: Duration| d.as_secs() / 3600;
        let seen: Vec<(&str, u64, u64)> =
            log.lock().unwrap().iter().map(|(n, due, at)| (*n, hours(*due), hours(*at))).collect();
        // The clock did not stop at 20h; the sync due then was done at the 24h stop, before the
        // re-fetch due there.
        assert_eq!(seen, vec![("fetch", 8, 8), ("fetch", 16, 16), ("sync", 20, 24), ("fetch", 24, 24)]);
        sync.abort();
        fetch.abort();
    }

    #[tokio::test]
    async fn a_day_of_batched_work_spread_over_the_day_is_one_stop() {
        let clock = Clock::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let day = Duration::from_secs(86_400);
        let workers: Vec<_> = (0..100u64)
            .map(|i| batched(&clock, "sync", day * i as u32 / 100 + Duration::from_secs(1), day, log.clone()))
            .collect();
        clock.advance(day).await.unwrap();
        let log = log.lock().unwrap();
        assert_eq!(log.len(), 100, "each participant's work due in the day was done once");
        // Had the clock stopped at each instant, each piece would have been done there.
        assert!(log.iter().all(|(_, _, at)| *at == day), "all of it at the one stop at the end: {log:?}");
        let mut due: Vec<Duration> = log.iter().map(|(_, due, _)| *due).collect();
        due.sort();
        due.dedup();
        assert_eq!(due.len(), 100, "each piece at its own instant");
        for w in workers {
            w.abort();
        }
    }

    #[tokio::test]
    async fn withdrawing_a_later_due_instant_does_not_stall_the_clock() {
        let clock = Clock::new();
        let mut p = clock.participant("fetch");
        let announcer = p.announcer();
        let worker = tokio::spawn(async move {
            let mut now = p.now();
            loop {
                p.caught_up(now);
                now = p.changed().await;
            }
        });
        announcer.due_at(Some(Duration::from_secs(8 * 3600)));
        clock.advance(Duration::from_secs(3600)).await.unwrap();
        // Not woken at 1h (its work was due at 8h); now it has nothing scheduled any more.
        announcer.due_at(None);
        let advanced = tokio::time::timeout(Duration::from_secs(5), clock.advance(Duration::from_secs(3600))).await;
        assert!(matches!(advanced, Ok(Ok(_))), "the clock stalled: {advanced:?}");
        worker.abort();
    }

    #[tokio::test]
    async fn a_dropped_participant_does_not_hold_the_clock() {
        let clock = Clock::new();
        let p = clock.participant("gone");
        drop(p);
        clock.advance(Duration::from_secs(60)).await.unwrap();
        assert_eq!(clock.now(), Duration::from_secs(60));
    }

    #[tokio::test]
    async fn settle_waits_for_a_participant_that_has_not_reported_yet() {
        let clock = Clock::new();
        let p = clock.participant("starting");
        let settled = clock.clone();
        let waiter = tokio::spawn(async move { settled.settle().await });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        p.caught_up(Duration::ZERO);
        waiter.await.unwrap().unwrap();
    }

    /// A participant with work every `every`, counting its wake-ups.
    fn periodic(clock: &Clock, every: Duration, wakes: Arc<AtomicU64>) -> tokio::task::JoinHandle<()> {
        let mut p = clock.participant("periodic");
        tokio::spawn(async move {
            let mut next_due = every;
            let mut now = p.now();
            loop {
                wakes.fetch_add(1, Ordering::SeqCst);
                while next_due <= now {
                    next_due += every;
                }
                p.due_at(Some(next_due));
                p.caught_up(now);
                now = p.changed().await;
            }
        })
    }

    #[tokio::test]
    async fn a_long_quiet_stretch_jumps_from_one_due_instant_to_the_next() {
        let clock = Clock::new();
        let wakes = Arc::new(AtomicU64::new(0));
        let worker = periodic(&clock, Duration::from_secs(1000 * 86_400), wakes.clone());
        let target = Duration::from_secs(1_000_000 * 86_400);
        clock.advance_to(target).await.unwrap();
        assert_eq!(clock.now(), target);
        let wakes = wakes.load(Ordering::SeqCst);
        assert!(wakes <= 1002, "a million days with work every thousand cost {wakes} wake-ups");
        worker.abort();
    }

    #[tokio::test]
    async fn an_advance_out_of_budget_stops_at_an_instant_everyone_caught_up_with() {
        let clock = Clock::new();
        let wakes = Arc::new(AtomicU64::new(0));
        let worker = periodic(&clock, Duration::from_secs(3600), wakes.clone());
        let target = Duration::from_secs(10 * 3600);
        let reached = clock.advance_toward(target, Some(Duration::ZERO)).await.unwrap();
        assert!(reached < target, "no budget left: the clock stops part of the way, at {reached:?}");
        assert_eq!(clock.now(), reached, "the answer is where the clock stands");
        let mut steps = 1;
        let mut at = reached;
        while at < target {
            at = clock.advance_toward(target, Some(Duration::ZERO)).await.unwrap();
            steps += 1;
        }
        assert_eq!(at, target);
        assert!(steps > 1, "the advance went in steps");
        worker.abort();
    }

    #[tokio::test]
    async fn the_clock_never_goes_backwards() {
        let clock = Clock::new();
        clock.advance_to(Duration::from_secs(10)).await.unwrap();
        clock.advance_to(Duration::from_secs(5)).await.unwrap();
        assert_eq!(clock.now(), Duration::from_secs(10));
    }
}
