//! The comparison itself, from what was read: pure, so every kind of finding is tested
//! without servers.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use domain::Ticket;
use infra::seat_state::StoredSeat;
use serde::Serialize;
use uuid::Uuid;

/// A seat, as a report names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Seat {
    /// Zone id.
    pub zone_id: u32,
    /// Row label.
    pub row: String,
    /// Seat number in the row.
    pub column: u32,
}

impl From<&StoredSeat> for Seat {
    fn from((zone_id, row, column): &StoredSeat) -> Self {
        Self {
            zone_id: *zone_id,
            row: row.clone(),
            column: *column,
        }
    }
}

impl From<&Ticket> for Seat {
    fn from(ticket: &Ticket) -> Self {
        Self {
            zone_id: ticket.zone_id,
            row: ticket.row.clone(),
            column: ticket.column,
        }
    }
}

/// What was read of one event.
#[derive(Debug, Default)]
pub struct Observed {
    /// The seats Redis's bitmaps hold sold.
    pub sold_in_redis: Vec<StoredSeat>,
    /// Zones whose counter disagrees with the bitmap: (zone, counter, expected); zone 0 is
    /// the event's `sold` counter.
    pub counters: Vec<(u32, Option<i64>, i64)>,
    /// Tickets waiting in the outbox.
    pub outbox: Vec<Ticket>,
    /// Outbox entries that do not decode, by stream id.
    pub outbox_undecodable: Vec<String>,
    /// The event's tickets in MySQL.
    pub mysql: Vec<Ticket>,
    /// The event's tickets in DynamoDB.
    pub dynamodb: Vec<Ticket>,
    /// Tickets in each store's dead-letter queue, with the reason given.
    pub dead_lettered: Vec<(Store, Ticket, String)>,
}

/// One of the two stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Store {
    /// The read model.
    Mysql,
    /// The write model.
    Dynamodb,
}

/// A counter that disagrees with the seats its bitmap holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counter {
    /// The zone; 0 for the event's `sold` counter.
    pub zone_id: u32,
    /// What the counter says; `None` when it is missing.
    pub counter: Option<i64>,
    /// What the bitmap says it should be.
    pub expected: i64,
}

/// A ticket in a dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLettered {
    /// Whose DLQ.
    pub store: Store,
    /// The ticket.
    pub ticket_id: Uuid,
    /// The reason the consumer gave (`x-dead-letter-reason`).
    pub reason: String,
}

/// What is wrong with one event. Every list empty means Redis, the stores, the outbox and
/// the queues agree.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Findings {
    /// Tickets DynamoDB holds and MySQL lacks (and MySQL's DLQ does not hold).
    pub missing_in_mysql: BTreeSet<Uuid>,
    /// Tickets MySQL holds and DynamoDB lacks (and DynamoDB's DLQ does not hold).
    pub missing_in_dynamodb: BTreeSet<Uuid>,
    /// Seats sold in Redis with a ticket nowhere: no store, no outbox, no DLQ.
    pub lost: BTreeSet<Seat>,
    /// Seats a store holds a ticket for that Redis does not have sold: Redis would sell
    /// them again.
    pub not_sold_in_redis: BTreeSet<Seat>,
    /// Seats with two or more different tickets across the stores and the outbox.
    pub seats_with_two_tickets: BTreeMap<String, BTreeSet<Uuid>>,
    /// Counters that disagree with the bitmaps.
    pub counters: Vec<Counter>,
    /// Tickets a consumer dead-lettered, with its reason.
    pub dead_lettered: Vec<DeadLettered>,
    /// Outbox entries that do not decode.
    pub outbox_undecodable: Vec<String>,
}

impl Findings {
    /// How many things are wrong.
    pub fn problems(&self) -> usize {
        self.missing_in_mysql.len()
            + self.missing_in_dynamodb.len()
            + self.lost.len()
            + self.not_sold_in_redis.len()
            + self.seats_with_two_tickets.len()
            + self.counters.len()
            + self.dead_lettered.len()
            + self.outbox_undecodable.len()
    }

    /// The findings that tickets in flight can cause for a moment (a ticket published and
    /// not yet stored), kept only if `other`, read later, has them too.
    pub fn keep_lasting(&mut self, other: &Findings) {
        self.missing_in_mysql.retain(|t| other.missing_in_mysql.contains(t));
        self.missing_in_dynamodb
            .retain(|t| other.missing_in_dynamodb.contains(t));
        self.lost.retain(|s| other.lost.contains(s));
        self.not_sold_in_redis.retain(|s| other.not_sold_in_redis.contains(s));
        self.counters.retain(|c| other.counters.contains(c));
    }

    /// Whether any finding is of a kind tickets in flight can cause.
    pub fn may_be_in_flight(&self) -> bool {
        !(self.missing_in_mysql.is_empty()
            && self.missing_in_dynamodb.is_empty()
            && self.lost.is_empty()
            && self.not_sold_in_redis.is_empty()
            && self.counters.is_empty())
    }
}

/// Compares what was read of one event.
pub fn compare(observed: &Observed) -> Findings {
    let ids = |tickets: &[Ticket]| -> HashSet<Uuid> { tickets.iter().map(|t| t.ticket_id).collect() };
    let (in_mysql, in_dynamodb) = (ids(&observed.mysql), ids(&observed.dynamodb));
    let dead = |store: Store| -> HashSet<Uuid> {
        observed
            .dead_lettered
            .iter()
            .filter(|(s, _, _)| *s == store)
            .map(|(_, t, _)| t.ticket_id)
            .collect()
    };
    let (dead_mysql, dead_dynamodb) = (dead(Store::Mysql), dead(Store::Dynamodb));

    let mut findings = Findings {
        missing_in_mysql: in_dynamodb
            .difference(&in_mysql)
            .filter(|t| !dead_mysql.contains(t))
            .copied()
            .collect(),
        missing_in_dynamodb: in_mysql
            .difference(&in_dynamodb)
            .filter(|t| !dead_dynamodb.contains(t))
            .copied()
            .collect(),
        counters: observed
            .counters
            .iter()
            .map(|(zone_id, counter, expected)| Counter {
                zone_id: *zone_id,
                counter: *counter,
                expected: *expected,
            })
            .collect(),
        dead_lettered: observed
            .dead_lettered
            .iter()
            .map(|(store, ticket, reason)| DeadLettered {
                store: *store,
                ticket_id: ticket.ticket_id,
                reason: reason.clone(),
            })
            .collect(),
        outbox_undecodable: observed.outbox_undecodable.clone(),
        ..Findings::default()
    };
    findings.dead_lettered.sort();

    // Every ticket anywhere, by seat.
    let mut tickets_of: HashMap<Seat, BTreeSet<Uuid>> = HashMap::new();
    let everywhere = observed
        .mysql
        .iter()
        .chain(&observed.dynamodb)
        .chain(&observed.outbox)
        .chain(observed.dead_lettered.iter().map(|(_, t, _)| t));
    for ticket in everywhere {
        tickets_of
            .entry(Seat::from(ticket))
            .or_default()
            .insert(ticket.ticket_id);
    }
    for (seat, tickets) in &tickets_of {
        if tickets.len() > 1 {
            let name = format!("{}/{}/{}", seat.zone_id, seat.row, seat.column);
            findings.seats_with_two_tickets.insert(name, tickets.clone());
        }
    }
    let sold: HashSet<Seat> = observed.sold_in_redis.iter().map(Seat::from).collect();
    findings.lost = sold.iter().filter(|s| !tickets_of.contains_key(*s)).cloned().collect();
    findings.not_sold_in_redis = observed
        .mysql
        .iter()
        .chain(&observed.dynamodb)
        .map(Seat::from)
        .filter(|s| !sold.contains(s))
        .collect();
    findings
}

#[cfg(test)]
mod tests {
    use domain::Price;

    use super::*;

    fn ticket(zone: u32, row: &str, column: u32) -> Ticket {
        Ticket::issue("Venue1", "Event1", zone, row.into(), column, Price::from_cents(100))
    }

    fn seat(t: &Ticket) -> StoredSeat {
        (t.zone_id, t.row.clone(), t.column)
    }

    #[test]
    fn agreeing_stores_have_nothing_to_report() {
        let (a, b, c) = (ticket(1, "A", 1), ticket(1, "A", 2), ticket(2, "B", 3));
        let observed = Observed {
            sold_in_redis: vec![seat(&a), seat(&b), seat(&c)],
            mysql: vec![a.clone(), b.clone()],
            dynamodb: vec![a, b],
            // Sold and still on its way: in the outbox only.
            outbox: vec![c],
            ..Observed::default()
        };
        assert_eq!(compare(&observed), Findings::default());
    }

    #[test]
    fn each_kind_of_disagreement_is_found() {
        let both = ticket(1, "A", 1);
        let mysql_only = ticket(1, "A", 2);
        let dynamodb_only = ticket(1, "A", 3);
        let rival = ticket(1, "A", 1);
        let dead = ticket(1, "A", 4);
        let observed = Observed {
            // A 5 sold with no ticket anywhere; A 3 stored but not sold in Redis.
            sold_in_redis: vec![seat(&both), seat(&mysql_only), seat(&dead), (1, "A".into(), 5)],
            counters: vec![(1, Some(7), 6)],
            mysql: vec![both.clone(), mysql_only.clone(), rival.clone()],
            dynamodb: vec![both.clone(), dynamodb_only.clone(), rival.clone(), dead.clone()],
            dead_lettered: vec![(Store::Mysql, dead.clone(), "poison".into())],
            outbox_undecodable: vec!["1-0".into()],
            ..Observed::default()
        };
        let findings = compare(&observed);
        assert_eq!(findings.missing_in_mysql, BTreeSet::from([dynamodb_only.ticket_id]));
        assert_eq!(findings.missing_in_dynamodb, BTreeSet::from([mysql_only.ticket_id]));
        assert_eq!(findings.lost, BTreeSet::from([Seat::from(&(1, "A".into(), 5))]));
        assert_eq!(findings.not_sold_in_redis, BTreeSet::from([Seat::from(&dynamodb_only)]));
        assert_eq!(
            findings.seats_with_two_tickets,
            BTreeMap::from([("1/A/1".to_owned(), BTreeSet::from([both.ticket_id, rival.ticket_id]))])
        );
        assert_eq!(
            findings.counters,
            [Counter {
                zone_id: 1,
                counter: Some(7),
                expected: 6
            }]
        );
        assert_eq!(findings.dead_lettered.len(), 1);
        assert_eq!(findings.problems(), 8);
    }

    #[test]
    fn only_findings_seen_twice_last() {
        let t = ticket(1, "A", 1);
        let mut first = compare(&Observed {
            sold_in_redis: vec![seat(&t), (1, "B".into(), 1)],
            dynamodb: vec![t.clone()],
            ..Observed::default()
        });
        assert!(first.may_be_in_flight());
        // Later MySQL has it: only the lost seat B 1 stays.
        let later = compare(&Observed {
            sold_in_redis: vec![seat(&t), (1, "B".into(), 1)],
            mysql: vec![t.clone()],
            dynamodb: vec![t],
            ..Observed::default()
        });
        first.keep_lasting(&later);
        assert!(first.missing_in_mysql.is_empty());
        assert_eq!(first.lost.len(), 1);
    }
}
