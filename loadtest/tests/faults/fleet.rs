//! Everything a scenario kills, of its own: Redis, a RabbitMQ node, MariaDB and DynamoDB
//! Local on ports and data directories of their own, and the api and consumers binaries as
//! processes configured for them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use testkit::{PrivateDynamo, PrivateMariaDb, PrivateRabbit, PrivateRedis, Program, TestEnv};

/// A part of the stack a scenario can take down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Consumers,
    Rabbit,
    MariaDb,
    Dynamo,
    Api,
    Redis,
}

/// How it is taken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// SIGKILL: nothing is flushed or closed.
    Kill,
    /// A clean shutdown (Redis: `SHUTDOWN`, which syncs its AOF).
    Shutdown,
}

/// The whole stack. Fields drop in order: the programs first, then the environment's
/// cleanup while the servers still run, then the servers.
pub struct Fleet {
    pub api: Program,
    pub consumers: Program,
    pub env: TestEnv,
    pub redis: PrivateRedis,
    pub rabbit: PrivateRabbit,
    pub mariadb: PrivateMariaDb,
    pub dynamo: PrivateDynamo,
    pub addr: SocketAddr,
    logs: PathBuf,
}

impl Fleet {
    /// Starts the servers (Redis with `appendfsync`), then the api and the consumers, and
    /// waits until the api is ready and both consumers listen.
    pub async fn start(appendfsync: &'static str) -> Self {
        let (redis, rabbit, mariadb, dynamo) = tokio::join!(
            PrivateRedis::start(appendfsync),
            PrivateRabbit::start(),
            PrivateMariaDb::start(),
            PrivateDynamo::start(),
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut env = TestEnv::new();
        env.set("API_BIND", addr.to_string());
        env.set("REDIS_URL", redis.url());
        env.set("AMQP_URL", rabbit.url());
        env.set("MYSQL_URL", mariadb.url("ticketing"));
        env.set("MYSQL_POOL_MAX", "16".to_owned());
        env.set("DYNAMODB_ENDPOINT", dynamo.endpoint());
        env.set("RUST_LOG", "info".to_owned());
        env.set("NO_COLOR", "1".to_owned());
        let logs = std::env::temp_dir().join(format!("ticketing-faults-{}", env.id));
        std::fs::create_dir_all(&logs).unwrap();
        let api = Program::start("api", &[], env.vars(), logs.join("api.log"));
        let consumers = Program::start("consumers", &["all"], env.vars(), logs.join("consumers.log"));
        let mut fleet = Self {
            api,
            consumers,
            env,
            redis,
            rabbit,
            mariadb,
            dynamo,
            addr,
            logs,
        };
        fleet.wait_api(true).await;
        fleet.wait_consumers().await;
        fleet
    }

    /// Takes `tier` down.
    pub async fn stop(&mut self, tier: Tier, how: How) {
        match (tier, how) {
            (Tier::Redis, How::Shutdown) => self.redis.shutdown().await,
            (_, How::Shutdown) => panic!("a clean shutdown is scripted for Redis only"),
            (Tier::Consumers, How::Kill) => self.consumers.kill(),
            (Tier::Rabbit, How::Kill) => self.rabbit.kill(),
            (Tier::MariaDb, How::Kill) => self.mariadb.kill(),
            (Tier::Dynamo, How::Kill) => self.dynamo.kill(),
            (Tier::Api, How::Kill) => self.api.kill(),
            (Tier::Redis, How::Kill) => self.redis.kill(),
        }
    }

    /// Brings `tier` back on its files and waits until it answers (the api: until it
    /// listens; it may not be ready while another tier is down).
    pub async fn start_again(&mut self, tier: Tier) {
        match tier {
            Tier::Consumers => self.consumers.restart(),
            Tier::Rabbit => self.rabbit.restart().await,
            Tier::MariaDb => self.mariadb.restart().await,
            Tier::Dynamo => self.dynamo.restart().await,
            Tier::Redis => self.redis.restart().await,
            Tier::Api => {
                self.api.restart();
                self.wait_api(false).await;
            }
        }
    }

    /// Waits until the api answers `/api/v1/ready` with 200 (`ready`) or at all.
    async fn wait_api(&mut self, ready: bool) {
        let url = format!("http://{}/api/v1/ready", self.addr);
        for _ in 0..600 {
            if let Ok(response) = reqwest::get(&url).await {
                if !ready || response.status() == 200 {
                    return;
                }
            }
            if let Some(status) = self.api.exited() {
                panic!("the api exited with {status}:\n{}", self.api.log_tail(30));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the api was not ready within 60 s:\n{}", self.api.log_tail(30));
    }

    /// Waits until both stores' queues have a consumer.
    async fn wait_consumers(&mut self) {
        let settings = self.env.settings(&[]);
        let queues = self.env.topology().queues;
        for _ in 0..600 {
            if let Ok(depths) = infra::amqp::depths(&settings.amqp, &queues).await {
                if depths.iter().all(|d| d.consumers > 0) {
                    return;
                }
            }
            if let Some(status) = self.consumers.exited() {
                panic!("the consumers exited with {status}:\n{}", self.consumers.log_tail(30));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the consumers did not listen within 60 s:\n{}",
            self.consumers.log_tail(30)
        );
    }

    /// Where the programs' logs are, for a failure's message.
    pub fn logs(&self) -> String {
        self.logs.display().to_string()
    }
}

impl Drop for Fleet {
    /// Keeps the programs' logs of a failed scenario.
    fn drop(&mut self) {
        if !std::thread::panicking() {
            std::fs::remove_dir_all(&self.logs).ok();
        }
    }
}
