//! The workload of the original load test: every seat of an event once, plus a share of
//! duplicates, shuffled with a seed so a run can be repeated exactly.

use std::io::Write;

use bytes::Bytes;
use domain::catalog::row;

/// What to request.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Venue of the event.
    pub venue: String,
    /// The event whose seats are bought.
    pub event: String,
    /// Zones `1..=zones`.
    pub zones: u32,
    /// Rows per zone.
    pub rows: u32,
    /// Seats per row.
    pub cols: u32,
    /// Extra requests for seats already requested, as a share of the seats (0.1 = 10 %).
    pub duplicates: f64,
    /// Seed of the duplicate choice and the shuffle.
    pub seed: u64,
}

/// One seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Seat {
    /// Zone id.
    pub zone: u32,
    /// 1-based row.
    pub row: u32,
    /// 1-based column.
    pub col: u32,
}

impl Workload {
    /// Distinct seats requested.
    pub fn seats(&self) -> u64 {
        u64::from(self.zones) * u64::from(self.rows) * u64::from(self.cols)
    }

    /// Every seat once, then `duplicates x seats` seats drawn at random, all shuffled.
    pub fn requests(&self) -> Vec<Seat> {
        let mut rng = fastrand::Rng::with_seed(self.seed);
        let mut seats: Vec<Seat> = (1..=self.zones)
            .flat_map(|zone| {
                (1..=self.rows).flat_map(move |row| (1..=self.cols).map(move |col| Seat { zone, row, col }))
            })
            .collect();
        let extra = (self.seats() as f64 * self.duplicates).round() as usize;
        let distinct = seats.len();
        for _ in 0..extra {
            let seat = seats[rng.usize(..distinct)];
            seats.push(seat);
        }
        rng.shuffle(&mut seats);
        seats
    }

    /// The JSON body of the purchase of `seat`.
    pub fn body(&self, seat: Seat) -> Bytes {
        Bytes::from(format!(
            r#"{{"venueId":"{}","eventId":"{}","zoneId":{},"row":"{}","column":{}}}"#,
            self.venue,
            self.event,
            seat.zone,
            row::label(seat.row),
            seat.col
        ))
    }

    /// Writes the requests as CSV for JMeter: `venueId,eventId,zoneId,row,column`.
    pub fn write_csv(&self, out: impl Write) -> std::io::Result<u64> {
        let mut out = std::io::BufWriter::new(out);
        writeln!(out, "venueId,eventId,zoneId,row,column")?;
        let requests = self.requests();
        for seat in &requests {
            writeln!(
                out,
                "{},{},{},{},{}",
                self.venue,
                self.event,
                seat.zone,
                row::label(seat.row),
                seat.col
            )?;
        }
        out.flush()?;
        Ok(requests.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn workload(duplicates: f64, seed: u64) -> Workload {
        Workload {
            venue: "V".into(),
            event: "E".into(),
            zones: 3,
            rows: 4,
            cols: 5,
            duplicates,
            seed,
        }
    }

    #[test]
    fn every_seat_once_plus_the_duplicate_share() {
        let w = workload(1.1, 7);
        let requests = w.requests();
        assert_eq!(requests.len(), 60 + 66);
        let distinct: HashSet<_> = requests.iter().collect();
        assert_eq!(distinct.len(), 60, "every seat requested");
    }

    #[test]
    fn the_seed_fixes_the_order() {
        assert_eq!(workload(0.1, 1).requests(), workload(0.1, 1).requests());
        assert_ne!(workload(0.1, 1).requests(), workload(0.1, 2).requests());
    }

    #[test]
    fn bodies_and_csv_name_the_seat() {
        let w = workload(0.0, 1);
        let body = w.body(Seat {
            zone: 2,
            row: 3,
            col: 4,
        });
        assert_eq!(
            &body[..],
            br#"{"venueId":"V","eventId":"E","zoneId":2,"row":"C","column":4}"#
        );
        let mut csv = Vec::new();
        assert_eq!(w.write_csv(&mut csv).unwrap(), 60);
        let text = String::from_utf8(csv).unwrap();
        assert_eq!(text.lines().next(), Some("venueId,eventId,zoneId,row,column"));
        assert_eq!(text.lines().count(), 61);
    }
}
