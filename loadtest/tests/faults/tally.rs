//! What a scenario left behind, counted from the answers and from the stores themselves.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::Duration;

use domain::catalog::row;
use serde_json::Value;

use crate::burst::{Answer, Reply};

/// A seat as the stores spell it: zone, row label, column.
pub type SeatKey = (u64, String, u64);

/// The counts of one scenario's line.
#[derive(Debug, Default)]
pub struct Tally {
    pub requests: usize,
    /// Answered 201.
    pub sold: usize,
    /// Requests that got no answer.
    pub unanswered: usize,
    /// Requests answered 503 `outcome_unknown` (Redis went away during the sale).
    pub unknown: usize,
    /// Tickets answered 201 that a store lacks.
    pub lost: Vec<String>,
    /// Seats holding two or more different tickets across the stores.
    pub oversold: usize,
    /// Seats answered 201 more than once.
    pub duplicated: usize,
    /// Of those, seats where every 201 but one was lost (the sale Redis forgot was sold again).
    pub resold_after_loss: usize,
    /// Stored tickets without a 201 that were neither answered `outcome_unknown` nor of a
    /// seat with an unanswered request, and unsold tickets that only one store holds.
    pub unexplained: usize,
    /// Messages in both dead-letter queues.
    pub dlq: u32,
    /// Answers 500 and above: when, status and code.
    pub server_errors: Vec<(Duration, u16, String)>,
}

/// The tickets of the event in each store, as (ticket id, seat).
pub struct Stored {
    pub mysql: Vec<(String, SeatKey)>,
    pub dynamodb: Vec<(String, SeatKey)>,
}

impl Stored {
    /// The tickets of `event` among the stores' JSON rows.
    pub fn of(event: &str, mysql: &[Value], dynamodb: impl Iterator<Item = Value>) -> Self {
        let pick = |t: &Value| {
            (t["eventId"] == event).then(|| {
                let seat = (
                    t["zoneId"].as_u64().unwrap_or_default(),
                    t["row"].as_str().unwrap_or_default().to_owned(),
                    t["column"].as_u64().unwrap_or_default(),
                );
                (t["ticketId"].as_str().unwrap_or_default().to_owned(), seat)
            })
        };
        Self {
            mysql: mysql.iter().filter_map(pick).collect(),
            dynamodb: dynamodb.filter_map(|t| pick(&t)).collect(),
        }
    }
}

/// Counts what `answers` and `stored` say together.
pub fn tally(answers: &[Answer], stored: &Stored, dlq: u32) -> Tally {
    let key = |a: &Answer| (u64::from(a.seat.zone), row::label(a.seat.row), u64::from(a.seat.col));
    let mut tally = Tally {
        requests: answers.len(),
        dlq,
        ..Tally::default()
    };
    let mut sold: HashMap<String, SeatKey> = HashMap::new();
    let mut sold_per_seat: HashMap<SeatKey, Vec<String>> = HashMap::new();
    let mut unanswered_seats: HashSet<SeatKey> = HashSet::new();
    let mut unknown: HashSet<&str> = HashSet::new();
    for answer in answers {
        match &answer.reply {
            Reply::Sold(id) => {
                sold.insert(id.clone(), key(answer));
                sold_per_seat.entry(key(answer)).or_default().push(id.clone());
            }
            Reply::None => {
                unanswered_seats.insert(key(answer));
            }
            Reply::Unknown(id) => {
                unknown.insert(id);
                tally.server_errors.push((answer.at, 503, "outcome_unknown".to_owned()));
            }
            Reply::Refused(status, code) if *status >= 500 => {
                tally.server_errors.push((answer.at, *status, code.clone()));
            }
            Reply::Refused(..) => {}
        }
    }
    tally.sold = sold.len();
    tally.unanswered = answers.iter().filter(|a| a.reply == Reply::None).count();
    tally.unknown = unknown.len();

    let in_mysql: HashSet<&str> = stored.mysql.iter().map(|(id, _)| id.as_str()).collect();
    let in_dynamodb: HashSet<&str> = stored.dynamodb.iter().map(|(id, _)| id.as_str()).collect();
    tally.lost = sold
        .keys()
        .filter(|id| !in_mysql.contains(id.as_str()) || !in_dynamodb.contains(id.as_str()))
        .cloned()
        .collect();
    tally.lost.sort();

    let mut tickets_per_seat: HashMap<&SeatKey, HashSet<&str>> = HashMap::new();
    for (id, seat) in stored.mysql.iter().chain(&stored.dynamodb) {
        tickets_per_seat.entry(seat).or_default().insert(id);
    }
    tally.oversold = tickets_per_seat.values().filter(|ids| ids.len() > 1).count();

    let lost: HashSet<&str> = tally.lost.iter().map(String::as_str).collect();
    for ids in sold_per_seat.values().filter(|ids| ids.len() > 1) {
        tally.duplicated += 1;
        if ids.iter().filter(|id| !lost.contains(id.as_str())).count() <= 1 {
            tally.resold_after_loss += 1;
        }
    }

    let mut unsold: HashMap<&str, &SeatKey> = HashMap::new();
    for (id, seat) in stored.mysql.iter().chain(&stored.dynamodb) {
        if !sold.contains_key(id) {
            unsold.insert(id, seat);
        }
    }
    tally.unexplained = unsold
        .iter()
        .filter(|(id, seat)| {
            let in_both = in_mysql.contains(*id) && in_dynamodb.contains(*id);
            !in_both || !(unknown.contains(*id) || unanswered_seats.contains(**seat))
        })
        .count();
    tally
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} requests, {} sold, {} unanswered, {} unknown | lost {}, oversold {}, duplicated {} ({} resold after a loss), \
             unexplained {}, DLQ {}, 5xx {}",
            self.requests,
            self.sold,
            self.unanswered,
            self.unknown,
            self.lost.len(),
            self.oversold,
            self.duplicated,
            self.resold_after_loss,
            self.unexplained,
            self.dlq,
            self.server_errors.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use loadtest::workload::Seat;
    use serde_json::json;

    use super::*;
    use crate::{check, Loss};

    fn answer(zone: u32, row: u32, col: u32, reply: Reply) -> Answer {
        Answer {
            seat: Seat { zone, row, col },
            at: Duration::from_secs(1),
            reply,
        }
    }

    fn stored(tickets: &[(&str, u64, &str, u64)]) -> Vec<Value> {
        tickets
            .iter()
            .map(|(id, zone, row, column)| json!({"ticketId": id, "eventId": "E", "zoneId": zone, "row": row, "column": column}))
            .collect()
    }

    #[test]
    fn a_sale_redis_forgot_and_sold_again_is_lost_and_resold_not_oversold() {
        let answers = [
            answer(1, 1, 1, Reply::Sold("t1".into())),
            answer(1, 1, 1, Reply::Sold("t2".into())),
            answer(1, 1, 2, Reply::Sold("t3".into())),
            answer(1, 1, 2, Reply::Refused(409, "seat_taken".into())),
        ];
        // t1's outbox entry went with Redis's last second: no store has it.
        let rows = stored(&[("t2", 1, "A", 1), ("t3", 1, "A", 2)]);
        let tally = tally(&answers, &Stored::of("E", &rows, rows.clone().into_iter()), 0);
        assert_eq!(tally.lost, ["t1"]);
        assert_eq!(
            (
                tally.sold,
                tally.oversold,
                tally.duplicated,
                tally.resold_after_loss,
                tally.unexplained
            ),
            (3, 0, 1, 1, 0)
        );
        assert!(check(&tally, &answers, &[], Loss::Counted).is_empty());
        let never = check(&tally, &answers, &[], Loss::Never);
        assert_eq!(never, ["1 sold tickets lost", "1 seats answered 201 twice"]);
    }

    #[test]
    fn two_stored_tickets_for_one_seat_are_oversold_whatever_the_loss_allowed() {
        let answers = [
            answer(1, 1, 1, Reply::Sold("t1".into())),
            answer(1, 1, 1, Reply::Sold("t2".into())),
        ];
        let rows = stored(&[("t1", 1, "A", 1), ("t2", 1, "A", 1)]);
        let tally = tally(&answers, &Stored::of("E", &rows, rows.clone().into_iter()), 0);
        assert_eq!((tally.oversold, tally.duplicated, tally.resold_after_loss), (1, 1, 0));
        assert_eq!(
            check(&tally, &answers, &[], Loss::Counted),
            [
                "1 seats hold two tickets",
                "1 seats answered 201 twice without a lost sale"
            ]
        );
    }

    #[test]
    fn a_stored_ticket_is_explained_only_by_an_unknown_outcome_or_an_unanswered_request() {
        let answers = [
            answer(1, 1, 1, Reply::Unknown("t1".into())),
            answer(1, 1, 2, Reply::None),
            answer(1, 1, 3, Reply::Refused(503, "unavailable".into())),
        ];
        // t2: the unanswered request's sale; t3: a sale nobody was told of; t4: in one store.
        let mysql = stored(&[
            ("t1", 1, "A", 1),
            ("t2", 1, "A", 2),
            ("t3", 1, "A", 3),
            ("t4", 1, "A", 4),
        ]);
        let dynamodb = stored(&[("t1", 1, "A", 1), ("t2", 1, "A", 2), ("t3", 1, "A", 3)]);
        let tally = tally(&answers, &Stored::of("E", &mysql, dynamodb.into_iter()), 0);
        assert_eq!((tally.unknown, tally.unanswered, tally.unexplained), (1, 1, 2));
        assert_eq!(tally.server_errors.len(), 2, "{:?}", tally.server_errors);
    }
}
