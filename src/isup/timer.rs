//! The Q.764 timers (Annex A, Table A.1) and the deadline queue of one [`super::Isup`]: each
//! running timer belongs to a circuit, a circuit group procedure or the signalling relation.

use crate::time::Instant;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A Q.764 timer, named as in Annex A.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Timer {
    T1,
    T2,
    T4,
    T5,
    T6,
    T7,
    T8,
    T9,
    T12,
    T13,
    T14,
    T15,
    T16,
    T17,
    T18,
    T19,
    T20,
    T21,
    T22,
    T23,
    T25,
    T26,
    T27,
    T28,
    T29,
    T30,
    T33,
    T35,
    T36,
    T38,
}

impl Timer {
    /// Every timer, in number order.
    pub const ALL: &'static [Timer] = &[
        Timer::T1,
        Timer::T2,
        Timer::T4,
        Timer::T5,
        Timer::T6,
        Timer::T7,
        Timer::T8,
        Timer::T9,
        Timer::T12,
        Timer::T13,
        Timer::T14,
        Timer::T15,
        Timer::T16,
        Timer::T17,
        Timer::T18,
        Timer::T19,
        Timer::T20,
        Timer::T21,
        Timer::T22,
        Timer::T23,
        Timer::T25,
        Timer::T26,
        Timer::T27,
        Timer::T28,
        Timer::T29,
        Timer::T30,
        Timer::T33,
        Timer::T35,
        Timer::T36,
        Timer::T38,
    ];

    /// The timers of call processing on one circuit (stopped when the call ends).
    pub(crate) const CALL: &'static [Timer] = &[
        Timer::T1,
        Timer::T2,
        Timer::T5,
        Timer::T6,
        Timer::T7,
        Timer::T8,
        Timer::T9,
        Timer::T25,
        Timer::T26,
        Timer::T27,
        Timer::T33,
        Timer::T35,
        Timer::T36,
        Timer::T38,
    ];

    /// "T1", "T2", ...
    pub const fn name(self) -> &'static str {
        match self {
            Timer::T1 => "T1",
            Timer::T2 => "T2",
            Timer::T4 => "T4",
            Timer::T5 => "T5",
            Timer::T6 => "T6",
            Timer::T7 => "T7",
            Timer::T8 => "T8",
            Timer::T9 => "T9",
            Timer::T12 => "T12",
            Timer::T13 => "T13",
            Timer::T14 => "T14",
            Timer::T15 => "T15",
            Timer::T16 => "T16",
            Timer::T17 => "T17",
            Timer::T18 => "T18",
            Timer::T19 => "T19",
            Timer::T20 => "T20",
            Timer::T21 => "T21",
            Timer::T22 => "T22",
            Timer::T23 => "T23",
            Timer::T25 => "T25",
            Timer::T26 => "T26",
            Timer::T27 => "T27",
            Timer::T28 => "T28",
            Timer::T29 => "T29",
            Timer::T30 => "T30",
            Timer::T33 => "T33",
            Timer::T35 => "T35",
            Timer::T36 => "T36",
            Timer::T38 => "T38",
        }
    }

    /// The index of the timer in [`Timer::ALL`].
    pub fn index(self) -> usize {
        Timer::ALL.iter().position(|&t| t == self).unwrap_or(0)
    }
}

/// What a running timer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Owner {
    /// The signalling relation (T4, T29, T30).
    Relation,
    /// One circuit.
    Circuit(u16),
    /// A circuit group procedure we started (GRS, CGB, CGU, CQM), by its number.
    Group(u32),
}

/// The running timers, indexed both by owner and by deadline (so that the next deadline and
/// the timers of one owner are found in logarithmic time, whatever the number of circuits).
#[derive(Debug, Default, Clone)]
pub(crate) struct TimerQueue {
    running: BTreeMap<(Owner, Timer), Instant>,
    by_deadline: BTreeSet<(Instant, Owner, Timer)>,
}

impl TimerQueue {
    /// Starts (or restarts) `timer` of `owner`.
    pub fn start(&mut self, owner: Owner, timer: Timer, deadline: Instant) {
        self.stop(owner, timer);
        self.running.insert((owner, timer), deadline);
        self.by_deadline.insert((deadline, owner, timer));
    }

    /// Stops `timer` of `owner`; returns whether it was running.
    pub fn stop(&mut self, owner: Owner, timer: Timer) -> bool {
        match self.running.remove(&(owner, timer)) {
            Some(d) => {
                self.by_deadline.remove(&(d, owner, timer));
                true
            }
            None => false,
        }
    }

    pub fn is_running(&self, owner: Owner, timer: Timer) -> bool {
        self.running.contains_key(&(owner, timer))
    }

    /// The timers of `owner` that are running.
    pub fn running_of(&self, owner: Owner) -> Vec<Timer> {
        self.running
            .range((owner, Timer::T1)..=(owner, Timer::T38))
            .map(|((_, t), _)| *t)
            .collect()
    }

    /// Stops every timer of `owner`.
    pub fn stop_owner(&mut self, owner: Owner) {
        for t in self.running_of(owner) {
            self.stop(owner, t);
        }
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.by_deadline.first().map(|(d, _, _)| *d)
    }

    /// Stops and returns the earliest timer that has expired at `now`.
    pub fn pop_expired(&mut self, now: Instant) -> Option<(Owner, Timer)> {
        let &(deadline, owner, timer) = self.by_deadline.first()?;
        if deadline > now {
            return None;
        }
        self.stop(owner, timer);
        Some((owner, timer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_orders_by_deadline_and_restarts() {
        let mut q = TimerQueue::default();
        q.start(Owner::Circuit(1), Timer::T7, Instant::from_millis(20));
        q.start(Owner::Circuit(2), Timer::T1, Instant::from_millis(10));
        q.start(Owner::Group(0), Timer::T22, Instant::from_millis(30));
        // restart moves the deadline
        q.start(Owner::Circuit(1), Timer::T7, Instant::from_millis(40));
        assert_eq!(q.next_deadline(), Some(Instant::from_millis(10)));
        assert_eq!(q.pop_expired(Instant::from_millis(5)), None);
        assert_eq!(
            q.pop_expired(Instant::from_millis(35)),
            Some((Owner::Circuit(2), Timer::T1))
        );
        assert_eq!(
            q.pop_expired(Instant::from_millis(35)),
            Some((Owner::Group(0), Timer::T22))
        );
        assert_eq!(q.pop_expired(Instant::from_millis(35)), None);
        assert_eq!(q.running_of(Owner::Circuit(1)), vec![Timer::T7]);
        q.stop_owner(Owner::Circuit(1));
        assert_eq!(q.next_deadline(), None);
        assert_eq!(Timer::T38.index(), Timer::ALL.len() - 1);
    }
}
