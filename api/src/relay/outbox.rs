//! The relay's side of the outbox streams: read through the consumer group
//! [`GROUP`], acknowledge and delete an entry only once the broker has confirmed it.
//!
//! An entry read but never acknowledged stays pending in the group: this relay reads its own
//! pending entries again at start, and takes over other relays' entries once they have been
//! idle for the configured time.
//!
//! On one Redis server a read is one `XREADGROUP` over every stream, blocking until an entry
//! comes. On a Redis Cluster the streams of different events lie in different slots, which
//! one command may not span: a read there is one `XREADGROUP` per stream, side by side and
//! not blocking, and when none returns anything the reader waits a little before the next
//! ([`POLL_MIN`] doubling up to [`POLL_MAX`], never beyond the read's own block time).

use std::sync::LazyLock;
use std::time::Duration;

use futures_util::future::try_join_all;

use infra::config::RedisSettings;
use infra::contract::{OUTBOX_EVENT_FIELD, OUTBOX_ID_FIELD};
use infra::redis::{Conn, EventKeys};
use redis::streams::{StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamReadOptions, StreamReadReply};
use redis::{AsyncCommands, RedisResult};

/// The consumer group all relays share.
pub const GROUP: &str = "relay";

/// The first wait after a read on a cluster found nothing.
pub const POLL_MIN: Duration = Duration::from_millis(2);
/// The longest wait between reads on a cluster that find nothing.
pub const POLL_MAX: Duration = Duration::from_millis(50);

/// Acknowledges entries ARGV[2..] of stream KEYS[1] in group ARGV[1] and deletes them,
/// atomically.
static ACK: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        "redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2)) return redis.call('XDEL', KEYS[1], unpack(ARGV, 2))",
    )
});

/// One ticket event waiting to be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The event (the sale, not the message) whose outbox it came from.
    pub event_id: String,
    /// The stream it came from.
    pub stream: String,
    /// Its stream entry id.
    pub id: String,
    /// The ticket id.
    pub ticket_id: String,
    /// The ticket event JSON.
    pub payload: Vec<u8>,
}

/// Which entries a read returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// Entries delivered to this consumer before and not acknowledged.
    Pending,
    /// Entries never delivered to any consumer.
    New,
}

/// The outbox streams of every event, seen by one relay consumer.
pub struct Outbox {
    conn: Conn,
    /// The stream keys, and at the same index the event of each.
    streams: Vec<String>,
    events: Vec<String>,
    consumer: String,
    /// The key prefix, for the events' verification marks.
    prefix: String,
    /// How long the next read on a cluster waits if it finds nothing.
    idle_wait: Duration,
}

impl Outbox {
    /// An outbox reader on its own connection (a blocking read holds its connection), for
    /// the outbox streams of `event_ids` as `consumer`. `block` is the longest blocking read
    /// it will issue.
    pub async fn connect(
        settings: &RedisSettings,
        block: Duration,
        event_ids: Vec<String>,
        consumer: String,
    ) -> RedisResult<Self> {
        let streams = event_ids
            .iter()
            .map(|id| EventKeys::new(&settings.key_prefix, id).outbox())
            .collect();
        let settings = RedisSettings {
            timeout: settings.timeout + block,
            ..settings.clone()
        };
        let conn = infra::redis::connect(&settings).await?;
        Ok(Self {
            conn,
            streams,
            events: event_ids,
            consumer,
            prefix: settings.key_prefix.clone(),
            idle_wait: POLL_MIN,
        })
    }

    /// Creates the consumer group on every stream that lacks it, from the first entry, so
    /// nothing written before the group existed is skipped.
    pub async fn ensure_groups(&mut self) -> RedisResult<()> {
        for stream in &self.streams {
            let created: RedisResult<()> = self.conn.xgroup_create_mkstream(stream, GROUP, "0").await;
            match created {
                Err(e) if e.code() == Some("BUSYGROUP") => {}
                other => other?,
            }
        }
        Ok(())
    }

    /// Reads up to `count` entries per stream (Redis applies `COUNT` to each stream), waiting
    /// up to `block` for new ones.
    pub async fn read(&mut self, cursor: Cursor, count: usize, block: Option<Duration>) -> RedisResult<Vec<Entry>> {
        let options = || StreamReadOptions::default().group(GROUP, &self.consumer).count(count);
        let position = match cursor {
            Cursor::Pending => "0",
            Cursor::New => ">",
        };
        let replies = if self.conn.is_cluster() {
            let replies = try_join_all(self.streams.iter().map(|stream| {
                let mut conn = self.conn.clone();
                let options = options();
                async move { conn.xread_options(&[stream], &[position], &options).await }
            }))
            .await?;
            let found = replies.iter().any(Option::is_some);
            if let (Some(block), false) = (block, found) {
                tokio::time::sleep(self.idle_wait.min(block)).await;
                self.idle_wait = (self.idle_wait * 2).min(POLL_MAX);
            } else {
                self.idle_wait = POLL_MIN;
            }
            replies
        } else {
            let options = match block {
                Some(block) => options().block(usize::try_from(block.as_millis()).unwrap_or(usize::MAX)),
                None => options(),
            };
            let positions = vec![position; self.streams.len()];
            vec![self.conn.xread_options(&self.streams, &positions, &options).await?]
        };
        let raw = replies
            .into_iter()
            .flatten()
            .flat_map(|r: StreamReadReply| r.keys)
            .flat_map(|key| {
                let stream = key.key;
                key.ids.into_iter().map(move |id| (stream.clone(), id))
            });
        self.entries(raw.collect()).await
    }

    /// Takes over up to `count` entries per stream that other consumers read but left
    /// unacknowledged for at least `min_idle`.
    pub async fn claim_stale(&mut self, min_idle: Duration, count: usize) -> RedisResult<Vec<Entry>> {
        let min_idle = u64::try_from(min_idle.as_millis()).unwrap_or(u64::MAX);
        let mut claimed = Vec::new();
        for stream in &self.streams {
            let options = StreamAutoClaimOptions::default().count(count);
            let reply: StreamAutoClaimReply = self
                .conn
                .xautoclaim_options(stream, GROUP, &self.consumer, min_idle, "0-0", options)
                .await?;
            claimed.extend(reply.claimed.into_iter().map(|id| (stream.clone(), id)));
        }
        self.entries(claimed).await
    }

    /// The entries of `entries` whose event's seat state is verified: the only ones the relay
    /// may publish. An event's mark is lost or stale when Redis restarted or lost data; its
    /// entries read before then may hold sales whose seats are being sold again, so they are
    /// left pending (taken up again after `RELAY_CLAIM_IDLE_MS` if Redis still has them).
    pub async fn verified_only(&mut self, entries: &[Entry]) -> RedisResult<Vec<Entry>> {
        let mut events: Vec<&str> = entries.iter().map(|e| e.event_id.as_str()).collect();
        events.sort_unstable();
        events.dedup();
        let verified = infra::redis::verified(&self.conn, &self.prefix, &events).await?;
        let unverified: Vec<&str> = events
            .iter()
            .zip(verified)
            .filter(|(_, ok)| !ok)
            .map(|(event, _)| *event)
            .collect();
        if !unverified.is_empty() {
            tracing::warn!(
                events = ?unverified,
                "outbox entries of events whose seat state is not verified are held back"
            );
        }
        Ok(entries
            .iter()
            .filter(|e| !unverified.contains(&e.event_id.as_str()))
            .cloned()
            .collect())
    }

    /// Acknowledges and deletes published entries, atomically per stream (one script per
    /// stream, side by side).
    pub async fn ack(&mut self, entries: &[Entry]) -> RedisResult<()> {
        try_join_all(self.streams.iter().filter_map(|stream| {
            let ids: Vec<&str> = entries
                .iter()
                .filter(|e| &e.stream == stream)
                .map(|e| e.id.as_str())
                .collect();
            (!ids.is_empty()).then(|| ack(self.conn.clone(), stream, ids))
        }))
        .await?;
        Ok(())
    }

    /// Turns raw stream entries into [`Entry`]s. An entry without a ticket id or body was
    /// not written by the seat lock and can never be published: it is logged, acknowledged
    /// and deleted so it cannot block the stream.
    async fn entries(&mut self, raw: Vec<(String, StreamId)>) -> RedisResult<Vec<Entry>> {
        let mut entries = Vec::with_capacity(raw.len());
        for (stream, id) in raw {
            let event_id = self.streams.iter().position(|s| *s == stream).map(|i| &self.events[i]);
            match (
                event_id,
                id.get::<String>(OUTBOX_ID_FIELD),
                id.get::<Vec<u8>>(OUTBOX_EVENT_FIELD),
            ) {
                (Some(event_id), Some(ticket_id), Some(payload)) => entries.push(Entry {
                    event_id: event_id.clone(),
                    stream,
                    id: id.id,
                    ticket_id,
                    payload,
                }),
                _ => {
                    tracing::error!(
                        stream,
                        id = id.id,
                        "outbox entry without ticket id or event body, discarded"
                    );
                    ack(self.conn.clone(), &stream, vec![&id.id]).await?;
                }
            }
        }
        Ok(entries)
    }
}

/// Acknowledges and deletes entries `ids` of `stream`, atomically.
async fn ack(mut conn: Conn, stream: &str, ids: Vec<&str>) -> RedisResult<()> {
    ACK.key(stream).arg(GROUP).arg(ids).invoke_async::<()>(&mut conn).await
}
