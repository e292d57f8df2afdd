//! A Redis Cluster of one test's own: three primaries, each with a replica, on ports and data
//! directories of their own, so that a test can fail a primary over to its replica without
//! touching the machine's Redis or the shared test cluster (`scripts/test.sh`'s 7000-7002).

use std::process::Command;
use std::time::Duration;

use crate::process::Server;

/// How long the cluster may take to agree on its shape after it is made or changed.
const SETTLE: Duration = Duration::from_secs(30);

/// A private three-primary, three-replica Redis Cluster; every node killed and its directory
/// removed when dropped.
pub struct PrivateRedisCluster {
    nodes: Vec<Server>,
}

/// One node as `CLUSTER NODES` describes it.
#[derive(Debug, Clone)]
struct Node {
    id: String,
    port: u16,
    primary: bool,
    /// The primary's id, for a replica.
    replica_of: Option<String>,
    /// The slot ranges it serves, for a primary.
    slots: Vec<(u16, u16)>,
}

impl PrivateRedisCluster {
    /// Starts six empty nodes, makes them a cluster (`redis-cli --cluster create`, one
    /// replica per primary) and waits until every node sees every slot served.
    pub async fn start() -> Self {
        let mut nodes: Vec<Server> = (0..6).map(|_| Server::new("redis-cluster")).collect();
        for node in &mut nodes {
            let mut command = Command::new("redis-server");
            command
                .args(["--port", &node.port.to_string(), "--bind", "127.0.0.1", "--save", ""])
                .args(["--appendonly", "yes", "--cluster-enabled", "yes"])
                .args(["--cluster-node-timeout", "3000"])
                // A replica's first sync at once, not after Redis's usual 5 s of waiting for
                // more replicas to share the snapshot.
                .args(["--repl-diskless-sync-delay", "0"])
                .arg("--dir")
                .arg(&node.dir);
            let port = node.port;
            let what = format!("Redis cluster node on port {port}");
            let up = || async move { ping(port).await };
            node.start(command, &what, Duration::from_millis(50), Duration::from_secs(10), up)
                .await;
        }
        let addresses: Vec<String> = nodes.iter().map(|n| format!("127.0.0.1:{}", n.port)).collect();
        let output = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .output()
            .unwrap_or_else(|e| panic!("cannot run redis-cli: {e}"));
        assert!(
            output.status.success(),
            "redis-cli --cluster create: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let cluster = Self { nodes };
        cluster
            .settle(|nodes| nodes.iter().filter(|n| n.primary).count() == 3)
            .await;
        cluster
    }

    /// Every node's URL, for `REDIS_CLUSTER_NODES`.
    pub fn nodes(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| format!("redis://127.0.0.1:{}", n.port))
            .collect()
    }

    /// Fails the primary that serves `key` over to its replica, as an operator would
    /// (`CLUSTER FAILOVER` on the replica: the replica catches up with the primary first, then
    /// takes its slots); returns once every node sees the replica as the slot's primary.
    pub async fn fail_over(&self, key: &str) {
        let slot = slot(key);
        let (_, replica) = self.primary_and_replica(slot).await;
        let mut conn = connection(replica.port).await;
        let _: () = redis::cmd("CLUSTER")
            .arg("FAILOVER")
            .query_async(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("CLUSTER FAILOVER on port {}: {e}", replica.port));
        self.settle(|nodes| nodes.iter().any(|n| n.id == replica.id && n.primary && n.serves(slot)))
            .await;
    }

    /// The primary serving `slot` and its replica.
    async fn primary_and_replica(&self, slot: u16) -> (Node, Node) {
        let shape = self.shape().await;
        let primary = shape
            .iter()
            .find(|n| n.primary && n.serves(slot))
            .unwrap_or_else(|| panic!("no primary serves slot {slot}: {shape:?}"));
        let replica = shape
            .iter()
            .find(|n| n.replica_of.as_deref() == Some(primary.id.as_str()))
            .unwrap_or_else(|| panic!("the primary on port {} has no replica: {shape:?}", primary.port));
        (primary.clone(), replica.clone())
    }

    /// Kills the primary that serves `key` with SIGKILL, as a crash would; returns once every
    /// live node sees its replica, promoted by the cluster itself after `cluster-node-timeout`,
    /// as the slot's primary. The dead node stays down.
    pub async fn kill_primary(&mut self, key: &str) {
        let slot = slot(key);
        let (primary, replica) = self.primary_and_replica(slot).await;
        self.nodes
            .iter_mut()
            .find(|n| n.port == primary.port)
            .expect("the primary is one of the nodes")
            .kill();
        self.settle(|nodes| nodes.iter().any(|n| n.id == replica.id && n.primary && n.serves(slot)))
            .await;
    }

    /// Moves the slot of `key` to another primary while it is in use, as `redis-cli --cluster
    /// reshard` does it: the target imports, the source migrates, the keys go over one at a
    /// time with `MIGRATE`, 50 ms apart (a client meanwhile gets `ASK` for a key already moved and
    /// `TRYAGAIN` for a script whose keys are on both sides), then every node is told the new
    /// owner. Returns once every node sees it.
    pub async fn move_slot(&self, key: &str) {
        let slot = slot(key);
        let shape = self.shape().await;
        let serves = |n: &Node| n.primary && n.serves(slot);
        let source = shape
            .iter()
            .find(|n| serves(n))
            .expect("a primary serves the slot")
            .clone();
        let target = shape
            .iter()
            .find(|n| n.primary && n.id != source.id)
            .expect("another primary")
            .clone();
        let (mut from, mut to) = (connection(source.port).await, connection(target.port).await);
        let setslot = |state: &str, node: &str| {
            redis::cmd("CLUSTER")
                .arg("SETSLOT")
                .arg(slot)
                .arg(state)
                .arg(node)
                .to_owned()
        };
        let _: () = setslot("IMPORTING", &source.id).query_async(&mut to).await.unwrap();
        let _: () = setslot("MIGRATING", &target.id).query_async(&mut from).await.unwrap();
        loop {
            let keys: Vec<String> = redis::cmd("CLUSTER")
                .arg("GETKEYSINSLOT")
                .arg(slot)
                .arg(1)
                .query_async(&mut from)
                .await
                .unwrap();
            if keys.is_empty() {
                break;
            }
            let _: () = redis::cmd("MIGRATE")
                .arg("127.0.0.1")
                .arg(target.port)
                .arg("")
                .arg(0)
                .arg(5000)
                .arg("KEYS")
                .arg(&keys)
                .query_async(&mut from)
                .await
                .unwrap_or_else(|e| panic!("MIGRATE of slot {slot}: {e}"));
            // Slowly, so that sales run into the half-moved slot.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The target first (it stops answering ASK), then the source and the other primary; the
        // replicas learn it from them.
        let mut primaries: Vec<&Node> = shape.iter().filter(|n| n.primary).collect();
        primaries.sort_by_key(|n| (n.id != target.id, n.id != source.id));
        for node in primaries {
            let mut conn = connection(node.port).await;
            let _: () = setslot("NODE", &target.id).query_async(&mut conn).await.unwrap();
        }
        self.settle(|nodes| nodes.iter().any(|n| n.id == target.id && serves(n)))
            .await;
    }

    /// The nodes not killed.
    fn live(&self) -> impl Iterator<Item = &Server> {
        self.nodes.iter().filter(|n| n.child.is_some())
    }

    /// Waits until every live node answers `CLUSTER INFO` with `cluster_state:ok`, every
    /// replica is in sync with its primary (a replica that never synced cannot take over),
    /// and `done` holds for the shape one of them describes.
    async fn settle(&self, done: impl Fn(&[Node]) -> bool) {
        let deadline = tokio::time::Instant::now() + SETTLE;
        loop {
            let mut ok = true;
            for node in self.live() {
                let mut conn = connection(node.port).await;
                let info: String = redis::cmd("CLUSTER")
                    .arg("INFO")
                    .query_async(&mut conn)
                    .await
                    .unwrap_or_default();
                let replication: String = redis::cmd("INFO")
                    .arg("replication")
                    .query_async(&mut conn)
                    .await
                    .unwrap_or_default();
                ok &= info.contains("cluster_state:ok")
                    && (replication.contains("role:master") || replication.contains("master_link_status:up"));
            }
            let shape = self.shape().await;
            if ok && done(&shape) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the cluster did not settle within {SETTLE:?}: {shape:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The cluster's shape as the first live node sees it.
    async fn shape(&self) -> Vec<Node> {
        let first = self.live().next().expect("a live node");
        let mut conn = connection(first.port).await;
        let text: String = redis::cmd("CLUSTER")
            .arg("NODES")
            .query_async(&mut conn)
            .await
            .unwrap_or_default();
        text.lines().filter_map(parse_node).collect()
    }
}

impl Node {
    /// Whether `slot` is among the slots it serves.
    fn serves(&self, slot: u16) -> bool {
        self.slots.iter().any(|(from, to)| (*from..=*to).contains(&slot))
    }
}

/// A line of `CLUSTER NODES`: `id ip:port@cport flags primary-id ping pong epoch state slots...`.
fn parse_node(line: &str) -> Option<Node> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let port = fields
        .get(1)?
        .split(['@', ','])
        .next()?
        .rsplit_once(':')?
        .1
        .parse()
        .ok()?;
    let flags = fields.get(2)?;
    let slots = fields
        .iter()
        .skip(8)
        .filter(|s| !s.starts_with('['))
        .filter_map(|range| match range.split_once('-') {
            Some((from, to)) => Some((from.parse().ok()?, to.parse().ok()?)),
            None => range.parse().ok().map(|slot| (slot, slot)),
        })
        .collect();
    Some(Node {
        id: fields[0].to_owned(),
        port,
        primary: flags.contains("master") && !flags.contains("fail"),
        replica_of: fields.get(3).filter(|id| **id != "-").map(|id| (*id).to_owned()),
        slots,
    })
}

/// The hash slot of `key`: CRC16 of its hash tag (or the whole key), modulo 16384.
fn slot(key: &str) -> u16 {
    let tagged = key
        .split_once('{')
        .and_then(|(_, rest)| rest.split_once('}'))
        .map(|(tag, _)| tag)
        .filter(|tag| !tag.is_empty())
        .unwrap_or(key);
    let mut crc: u16 = 0;
    for byte in tagged.bytes() {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc % 16384
}

async fn connection(port: u16) -> redis::aio::MultiplexedConnection {
    redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("Redis cluster node on port {port}: {e}"))
}

async fn ping(port: u16) -> bool {
    let Ok(client) = redis::Client::open(format!("redis://127.0.0.1:{port}")) else {
        return false;
    };
    match client.get_multiplexed_async_connection().await {
        Ok(mut conn) => redis::cmd("PING").query_async::<String>(&mut conn).await.is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_redis_cluster_s_crc16_of_the_hash_tag() {
        // Values from Redis's CLUSTER KEYSLOT.
        assert_eq!(slot("foo"), 12182);
        assert_eq!(slot("{user1000}.following"), slot("user1000"));
        assert_eq!(slot("tk:{Event1}:seats:1"), slot("Event1"));
    }

    #[test]
    fn a_cluster_nodes_line_reads_as_its_node() {
        let primary = parse_node("e7d1 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460 7000").unwrap();
        assert_eq!((primary.port, primary.primary), (30001, true));
        assert_eq!(primary.slots, [(0, 5460), (7000, 7000)]);
        let replica = parse_node("a1b2 127.0.0.1:30004@40004 slave e7d1 0 0 1 connected").unwrap();
        assert_eq!((replica.primary, replica.replica_of.as_deref()), (false, Some("e7d1")));
    }
}
