//! The messages of one delivery: the outbox entries of each event, in outbox order, as one
//! batch message of the contract ([`infra::contract::batch_body`]), because the broker's
//! cost is per message, not per byte. The same messages go to RabbitMQ and to the replay
//! topic.

use infra::contract;

use super::outbox::Entry;

/// One message to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The event (the sale) whose tickets it carries: the Kafka key.
    pub event_id: String,
    /// Derived from its tickets, so a re-publish of the same entries has the same id.
    pub message_id: String,
    /// The body: a batch of ticket events.
    pub body: Vec<u8>,
    /// How many tickets it carries.
    pub tickets: usize,
}

/// The messages of `entries`: one per run of entries of the same event (a read returns each
/// stream's entries together, so that is one per event).
pub fn messages(entries: &[Entry]) -> Vec<Message> {
    entries
        .chunk_by(|a, b| a.event_id == b.event_id)
        .map(|run| Message {
            event_id: run[0].event_id.clone(),
            message_id: contract::batch_message_id(run.iter().map(|e| e.ticket_id.as_str())),
            body: contract::batch_body(run.iter().map(|e| e.payload.as_slice())),
            tickets: run.len(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(event: &str, ticket: &str) -> Entry {
        Entry {
            event_id: event.into(),
            stream: format!("tk:{{{event}}}:outbox"),
            id: "1-0".into(),
            ticket_id: ticket.into(),
            payload: format!(r#"{{"v":2,"ticketId":"{ticket}"}}"#).into_bytes(),
        }
    }

    #[test]
    fn one_message_per_event_run_carrying_its_events_in_order() {
        let entries = [entry("E1", "a"), entry("E1", "b"), entry("E2", "c")];
        let messages = messages(&entries);
        assert_eq!(messages.len(), 2);
        assert_eq!((messages[0].event_id.as_str(), messages[0].tickets), ("E1", 2));
        assert_eq!(
            messages[0].body,
            br#"{"v":3,"events":[{"v":2,"ticketId":"a"},{"v":2,"ticketId":"b"}]}"#
        );
        assert_eq!(messages[0].message_id, contract::batch_message_id(["a", "b"]));
        assert_eq!((messages[1].message_id.as_str(), messages[1].tickets), ("c", 1));
        assert!(super::messages(&[]).is_empty());
    }
}
