//! Duplicate request detection: whether a request repeats another one of the same policy and
//! identity, decided by one pure function over the requests involved.
//!
//! The rules follow Fides' `is_duplicate_request`, without the flaw it shipped
//! (GHSA-qx5f-ghc2-7g5c): there, anyone who knew a subject's email could file an unverified
//! request first, after which the subject's own request was marked `duplicate` and could never
//! be verified. Here an unverified request is never canonical over a verified one, a
//! `duplicate` can still be verified (and is then classified again), and only the requests that
//! are live compete. [`classify`] applies the rules in order; the first that decides wins.
//!
//! ```
//! use chrono::NaiveDate;
//! use dsr_core::RequestStatus;
//! use dsr_core::duplicates::{Seen, Verdict, classify};
//!
//! let at = |minute| NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_opt(9, minute, 0).unwrap();
//! // An attacker's unverified request came first; the subject verifies theirs.
//! let attacker = Seen { id: "pri_1".into(), status: RequestStatus::IdentityUnverified, created_at: at(0), verified_at: None };
//! let subject = Seen { id: "pri_2".into(), status: RequestStatus::Pending, created_at: at(1), verified_at: Some(at(2)) };
//! assert_eq!(classify(&subject, &[attacker]), Verdict::Canonical { supersedes: vec!["pri_1".into()] });
//! ```

use chrono::NaiveDateTime;

use crate::request::RequestStatus;

/// What the rules know about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Its id (time-ordered: breaks ties of equal times).
    pub id: String,
    /// Its status.
    pub status: RequestStatus,
    /// When it was created.
    pub created_at: NaiveDateTime,
    /// When the subject verified it, if they did.
    pub verified_at: Option<NaiveDateTime>,
}

impl Seen {
    /// Approved, running, or stopped on the way (Fides' "actioned"): it holds the identity.
    fn actioned(&self) -> bool {
        matches!(
            self.status,
            RequestStatus::Approved
                | RequestStatus::InProcessing
                | RequestStatus::RequiresInput
                | RequestStatus::Paused
                | RequestStatus::Error
        )
    }

    /// Still competing: not a duplicate and not ended.
    fn live(&self) -> bool {
        !matches!(
            self.status,
            RequestStatus::Duplicate | RequestStatus::Complete | RequestStatus::Denied | RequestStatus::Canceled
        )
    }

    fn created_key(&self) -> (NaiveDateTime, &str) {
        (self.created_at, &self.id)
    }
}

/// The decision about one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It goes on; the live requests it supersedes (ids) become duplicates.
    Canonical {
        /// Requests to mark `duplicate`.
        supersedes: Vec<String>,
    },
    /// It is a duplicate (of the named request, when one is live).
    Duplicate {
        /// The request it repeats.
        of: Option<String>,
    },
}

/// One rule: decides, or leaves the request to the next.
type Rule = fn(&Seen, &[&Seen], &[Seen]) -> Option<Verdict>;

fn canonical() -> Option<Verdict> {
    Some(Verdict::Canonical { supersedes: Vec::new() })
}

fn duplicate_of(other: &Seen) -> Option<Verdict> {
    Some(Verdict::Duplicate { of: Some(other.id.clone()) })
}

/// Rule 1: A request already approved or running stays what it is.
fn actioned_stays(request: &Seen, _live: &[&Seen], _all: &[Seen]) -> Option<Verdict> {
    request.actioned().then(|| Verdict::Canonical { supersedes: Vec::new() })
}

/// Rule 2: Nothing else of the policy and identity in the window: nothing to repeat.
fn alone(_request: &Seen, _live: &[&Seen], all: &[Seen]) -> Option<Verdict> {
    if all.is_empty() { canonical() } else { None }
}

/// Rule 3: An unverified duplicate stays one until the subject verifies it.
fn unverified_duplicate_stays(request: &Seen, live: &[&Seen], _all: &[Seen]) -> Option<Verdict> {
    (request.status == RequestStatus::Duplicate && request.verified_at.is_none())
        .then(|| Verdict::Duplicate { of: live.iter().min_by_key(|c| c.created_key()).map(|c| c.id.clone()) })
}

/// Rule 4: The others are duplicates or ended: nothing live to repeat.
fn none_live(_request: &Seen, live: &[&Seen], _all: &[Seen]) -> Option<Verdict> {
    if live.is_empty() { canonical() } else { None }
}

/// Rule 5: Another one is already approved or running: this one repeats it.
fn another_actioned(_request: &Seen, live: &[&Seen], _all: &[Seen]) -> Option<Verdict> {
    live.iter().find(|c| c.actioned()).and_then(|c| duplicate_of(c))
}

/// Rule 6: An unverified request repeats any verified one; among unverified ones the earliest wins
/// (it supersedes nothing: an unverified request never pushes another aside).
fn unverified(request: &Seen, live: &[&Seen], _all: &[Seen]) -> Option<Verdict> {
    if request.verified_at.is_some() {
        return None;
    }
    if let Some(verified) = live.iter().filter(|c| c.verified_at.is_some()).min_by_key(|c| (c.verified_at, &c.id)) {
        return duplicate_of(verified);
    }
    match live.iter().filter(|c| c.created_key() < request.created_key()).min_by_key(|c| c.created_key()) {
        Some(earlier) => duplicate_of(earlier),
        None => canonical(),
    }
}

/// Rule 7: A verified request wins over every unverified one, and among verified ones the earliest
/// verification wins; the winner supersedes the other live requests.
fn verified(request: &Seen, live: &[&Seen], _all: &[Seen]) -> Option<Verdict> {
    let at = request.verified_at?;
    let earlier = live
        .iter()
        .filter(|c| c.verified_at.is_some_and(|v| (v, c.id.as_str()) < (at, request.id.as_str())))
        .min_by_key(|c| (c.verified_at, &c.id));
    match earlier {
        Some(first) => duplicate_of(first),
        None => Some(Verdict::Canonical { supersedes: live.iter().map(|c| c.id.clone()).collect() }),
    }
}

/// The rules, in the order they are tried.
const RULES: &[(&str, Rule)] = &[
    ("an actioned request stays canonical", actioned_stays),
    ("a request with no others is canonical", alone),
    ("an unverified duplicate stays a duplicate", unverified_duplicate_stays),
    ("a request with no live others is canonical", none_live),
    ("a request repeating an actioned one is a duplicate", another_actioned),
    ("an unverified request yields to verified and earlier ones", unverified),
    ("the earliest verified request wins", verified),
];

/// Classifies `request` among `others`: the other requests of the same policy whose matched
/// identities are equal, created within the window (`request` itself not among them).
pub fn classify(request: &Seen, others: &[Seen]) -> Verdict {
    let live: Vec<&Seen> = others.iter().filter(|c| c.id != request.id && c.live()).collect();
    RULES
        .iter()
        .find_map(|(_, rule)| rule(request, &live, others))
        // The last rule decides every verified request and the one before every unverified one.
        .unwrap_or(Verdict::Canonical { supersedes: Vec::new() })
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn at(minute: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_opt(9, minute, 0).unwrap()
    }

    fn seen(id: &str, status: RequestStatus, created: u32, verified: Option<u32>) -> Seen {
        Seen { id: id.to_owned(), status, created_at: at(created), verified_at: verified.map(at) }
    }

    fn dup(of: &str) -> Verdict {
        Verdict::Duplicate { of: Some(of.to_owned()) }
    }

    fn canon(supersedes: &[&str]) -> Verdict {
        Verdict::Canonical { supersedes: supersedes.iter().map(|s| (*s).to_owned()).collect() }
    }

    #[test]
    fn rule_1_an_actioned_request_stays_canonical() {
        let running = seen("b", RequestStatus::InProcessing, 5, None);
        let earlier = seen("a", RequestStatus::Approved, 1, Some(2));
        assert_eq!(classify(&running, &[earlier]), canon(&[]));
    }

    #[test]
    fn rule_2_a_request_with_no_others_is_canonical() {
        assert_eq!(classify(&seen("a", RequestStatus::IdentityUnverified, 1, None), &[]), canon(&[]));
    }

    #[test]
    fn rule_3_an_unverified_duplicate_stays_a_duplicate() {
        let request = seen("b", RequestStatus::Duplicate, 5, None);
        assert_eq!(classify(&request, &[seen("a", RequestStatus::IdentityUnverified, 9, None)]), dup("a"));
        // Even when what it repeated has ended.
        let ended = seen("a", RequestStatus::Complete, 1, Some(1));
        assert_eq!(classify(&request, &[ended]), Verdict::Duplicate { of: None });
    }

    #[test]
    fn rule_4_a_request_whose_others_ended_or_are_duplicates_is_canonical() {
        let others = [
            seen("a", RequestStatus::Complete, 1, Some(1)),
            seen("b", RequestStatus::Denied, 2, None),
            seen("c", RequestStatus::Canceled, 3, None),
            seen("d", RequestStatus::Duplicate, 4, None),
        ];
        assert_eq!(classify(&seen("e", RequestStatus::IdentityUnverified, 5, None), &others), canon(&[]));
    }

    #[test]
    fn rule_5_a_request_repeating_an_actioned_one_is_a_duplicate() {
        let running = seen("a", RequestStatus::InProcessing, 9, None);
        // However it was made, and even if verified first.
        assert_eq!(classify(&seen("b", RequestStatus::Pending, 1, Some(1)), &[running]), dup("a"));
        let errored = seen("a", RequestStatus::Error, 1, None);
        assert_eq!(classify(&seen("b", RequestStatus::IdentityUnverified, 2, None), &[errored]), dup("a"));
    }

    #[test]
    fn rule_6_an_unverified_request_yields_to_verified_and_earlier_ones() {
        let request = seen("c", RequestStatus::IdentityUnverified, 5, None);
        let verified_later_made = seen("d", RequestStatus::Pending, 6, Some(7));
        assert_eq!(classify(&request, &[verified_later_made]), dup("d"));
        let earlier = seen("a", RequestStatus::IdentityUnverified, 1, None);
        assert_eq!(classify(&request, std::slice::from_ref(&earlier)), dup("a"));
        // The earliest supersedes nothing while unverified.
        assert_eq!(classify(&earlier, &[request]), canon(&[]));
    }

    #[test]
    fn rule_7_the_earliest_verified_request_wins_and_supersedes_the_rest() {
        let attacker = seen("a", RequestStatus::IdentityUnverified, 1, None);
        let subject = seen("b", RequestStatus::Pending, 2, Some(3));
        assert_eq!(classify(&subject, std::slice::from_ref(&attacker)), canon(&["a"]));
        let first_verified = seen("c", RequestStatus::Pending, 4, Some(2));
        assert_eq!(classify(&subject, &[attacker, first_verified]), dup("c"));
        // Equal times: the lower (earlier-made) id wins.
        let twin = seen("a", RequestStatus::Pending, 2, Some(3));
        assert_eq!(classify(&subject, &[twin]), dup("a"));
    }

    #[test]
    fn every_rule_is_named() {
        assert_eq!(RULES.len(), 7);
        assert!(RULES.iter().all(|(name, _)| !name.is_empty()));
    }

    /// A model of one identity and policy with verification required: what the service does at
    /// each step, deciding with [`classify`].
    mod model {
        use proptest::prelude::*;

        use super::*;

        #[derive(Debug, Clone)]
        pub(super) struct Request {
            pub(super) seen: Seen,
            /// Only the genuine subject receives the codes, so only their requests can verify.
            pub(super) genuine: bool,
        }

        #[derive(Debug, Clone, Copy)]
        pub(super) enum Op {
            Submit { genuine: bool },
            Verify(usize),
            Approve(usize),
            Start(usize),
            Complete(usize),
        }

        pub(super) struct World {
            pub(super) requests: Vec<Request>,
            clock: u32,
            manual_approval: bool,
        }

        impl World {
            pub(super) fn new(manual_approval: bool) -> World {
                World { requests: Vec::new(), clock: 0, manual_approval }
            }

            fn tick(&mut self) -> NaiveDateTime {
                self.clock += 1;
                NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()
                    + chrono::Duration::seconds(i64::from(self.clock))
            }

            /// Classifies request `i` and applies the verdict; true when it is canonical.
            fn reclassify(&mut self, i: usize) -> bool {
                let others: Vec<Seen> =
                    self.requests.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, r)| r.seen.clone()).collect();
                match classify(&self.requests[i].seen, &others) {
                    Verdict::Canonical { supersedes } => {
                        for r in &mut self.requests {
                            if supersedes.contains(&r.seen.id) {
                                r.seen.status = RequestStatus::Duplicate;
                            }
                        }
                        true
                    }
                    Verdict::Duplicate { .. } => {
                        self.requests[i].seen.status = RequestStatus::Duplicate;
                        false
                    }
                }
            }

            pub(super) fn apply(&mut self, op: Op) {
                let n = self.requests.len();
                match op {
                    Op::Submit { genuine } => {
                        let created_at = self.tick();
                        let id = format!("pri_{:04}", n);
                        let seen =
                            Seen { id, status: RequestStatus::IdentityUnverified, created_at, verified_at: None };
                        self.requests.push(Request { seen, genuine });
                        self.reclassify(n);
                    }
                    Op::Verify(i) if i < n => {
                        let r = &self.requests[i];
                        let verifiable =
                            matches!(r.seen.status, RequestStatus::IdentityUnverified | RequestStatus::Duplicate)
                                && r.seen.verified_at.is_none();
                        if r.genuine && verifiable {
                            let at = self.tick();
                            let r = &mut self.requests[i].seen;
                            r.verified_at = Some(at);
                            r.status = RequestStatus::Pending;
                            if self.reclassify(i) && !self.manual_approval {
                                self.requests[i].seen.status = RequestStatus::Approved;
                            }
                        }
                    }
                    Op::Approve(i) if i < n => {
                        let r = &self.requests[i].seen;
                        // An unverified duplicate cannot be approved while verification is required.
                        let approvable = matches!(r.status, RequestStatus::Pending | RequestStatus::Duplicate)
                            && r.verified_at.is_some();
                        if self.manual_approval && approvable {
                            let before = r.status;
                            self.requests[i].seen.status = RequestStatus::Pending;
                            if self.reclassify(i) {
                                self.requests[i].seen.status = RequestStatus::Approved;
                            } else {
                                self.requests[i].seen.status = before;
                            }
                        }
                    }
                    Op::Start(i) if i < n && self.requests[i].seen.status == RequestStatus::Approved => {
                        self.requests[i].seen.status = RequestStatus::InProcessing;
                    }
                    Op::Complete(i) if i < n && self.requests[i].seen.status == RequestStatus::InProcessing => {
                        self.requests[i].seen.status = RequestStatus::Complete;
                    }
                    _ => {}
                }
            }

            pub(super) fn active(&self) -> usize {
                self.requests
                    .iter()
                    .filter(|r| matches!(r.seen.status, RequestStatus::Approved | RequestStatus::InProcessing))
                    .count()
            }

            /// Runs everything that can run: approvals, starts, completions, until nothing changes.
            pub(super) fn drain(&mut self) {
                for _ in 0..4 * self.requests.len() + 4 {
                    for i in 0..self.requests.len() {
                        self.apply(Op::Approve(i));
                        self.apply(Op::Start(i));
                        self.apply(Op::Complete(i));
                    }
                }
            }
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                any::<bool>().prop_map(|genuine| Op::Submit { genuine }),
                (0..8usize).prop_map(Op::Verify),
                (0..8usize).prop_map(Op::Approve),
                (0..8usize).prop_map(Op::Start),
                (0..8usize).prop_map(Op::Complete),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

            #[test]
            fn at_most_one_request_is_active_and_the_verifying_subject_is_always_served(
                ops in proptest::collection::vec(op(), 0..40),
                manual_approval in any::<bool>(),
            ) {
                let mut world = World::new(manual_approval);
                for op in ops {
                    world.apply(op);
                    prop_assert!(world.active() <= 1, "two requests active: {:?}", world.requests);
                }
                // Whatever happened before (an attacker's unverified requests included), the
                // subject who files a request and verifies it gets one processed.
                let completed_before = world.requests.iter().filter(|r| r.seen.status == RequestStatus::Complete).count();
                world.apply(Op::Submit { genuine: true });
                let mine = world.requests.len() - 1;
                world.apply(Op::Verify(mine));
                world.drain();
                prop_assert!(world.active() <= 1);
                let completed = world.requests.iter().filter(|r| r.seen.status == RequestStatus::Complete).count();
                prop_assert!(completed > completed_before, "nothing processed for the subject: {:?}", world.requests);
                // Requests only the attacker made never ran.
                prop_assert!(world
                    .requests
                    .iter()
                    .filter(|r| !r.genuine)
                    .all(|r| !matches!(r.seen.status, RequestStatus::Approved | RequestStatus::InProcessing | RequestStatus::Complete)));
            }
        }
    }
}
