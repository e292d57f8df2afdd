//! Building the application from settings and running it until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use infra::mysql;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::auth::token::Tokens;
use crate::config::ApiSettings;
use crate::holds::store::HoldStore;
use crate::payment::simulated::SimulatedGateway;
use crate::purchase::seat_lock::SeatLock;
use crate::relay::{LinkHealth, RelayThread};
use crate::routes::routes;
use crate::state::{AppState, Parts};

/// The api, connected and bound, not yet serving.
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    state: AppState,
    relay: Option<RelayThread>,
    /// Tells the relay to flush and stop, once the server has.
    relay_stop: watch::Sender<bool>,
    settings: ApiSettings,
}

impl Application {
    /// Loads the catalog (into MySQL too), connects to Redis, prepares the relay and binds
    /// the listener. Fails if Redis or MySQL cannot be reached; the broker may be down.
    pub async fn build(settings: ApiSettings) -> anyhow::Result<Self> {
        // Before anything is counted.
        infra::metrics::handle();
        let catalog = settings.catalog.catalog()?;
        let pool = mysql::connect(&settings.mysql).await?;
        mysql::migrate(&pool).await?;
        mysql::upsert_catalog(&pool, &catalog).await?;
        let replica = mysql::connect_replica(&settings.mysql).await?;

        let redis = infra::redis::connect(&settings.redis)
            .await
            .with_context(|| format!("Failed to connect to Redis at {}", settings.redis.target))?;

        let (relay_stop, stop_rx) = watch::channel(false);
        let (relay, broker, topic) = if settings.relay.enabled {
            let health = LinkHealth::default();
            let topic = LinkHealth::default();
            let events = catalog.events().map(|e| e.event_id.clone()).collect();
            let grace = settings.http.shutdown_grace;
            let relay =
                RelayThread::start(settings.clone(), events, health.clone(), topic.clone(), stop_rx, grace).await?;
            (Some(relay), Some(health), settings.kafka.enabled().then_some(topic))
        } else {
            (None, None, None)
        };

        let listener = TcpListener::bind(settings.http.bind)
            .await
            .with_context(|| format!("Failed to bind {}", settings.http.bind))?;
        let local_addr = listener.local_addr()?;
        let key_prefix = settings.redis.key_prefix.clone();
        let hold_store = HoldStore::new(redis.clone(), &settings.redis.key_prefix);
        let gateway = Arc::new(SimulatedGateway::new(
            redis.clone(),
            &settings.redis.key_prefix,
            settings.holds.payment_latency,
        ));
        let state = AppState::new(Parts {
            catalog,
            seat_lock: SeatLock::new(redis.clone(), key_prefix.clone()),
            redis,
            key_prefix,
            mysql: pool,
            mysql_replica: replica,
            broker,
            topic,
            body_limit: settings.http.body_limit,
            tokens: Tokens::new(&settings.auth)?,
            require_auth: settings.auth.require_auth,
            holds: settings.holds.clone(),
            hold_store,
            gateway,
            amqp: settings.amqp.clone(),
            kafka: settings.kafka.clone(),
            rebuilds: Default::default(),
        });
        state
            .seat_lock()
            .load()
            .await
            .context("Failed to load the seat lock script into Redis")?;
        // Before the first sale: a Redis that came back empty or behind is rebuilt from the
        // stores (an event that cannot be yet answers 503 and is tried again on its sales).
        crate::recovery::verify_all(&state).await;
        Ok(Self {
            listener,
            local_addr,
            state,
            relay,
            relay_stop,
            settings,
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// Serves until `shutdown` completes; then stops accepting, lets in-flight requests
    /// finish and flushes the relay, each for at most the shutdown grace period.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let grace = self.settings.http.shutdown_grace;
        // Two steps: the server stops first; the relay only once the requests in flight are
        // answered, so that its flush also takes the tickets they sold.
        let (server_stop, mut stopping) = watch::channel(false);
        let server = warp::serve(routes(self.state.clone()))
            .incoming(self.listener)
            .graceful(async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            })
            .run();
        let mut server = std::pin::pin!(server);
        let sweeper = tokio::spawn(crate::payment::sweep::run(self.state.clone(), server_stop.subscribe()));
        let watch = tokio::spawn(crate::recovery::watch(self.state.clone(), server_stop.subscribe()));
        tracing::info!(address = %self.local_addr, "api listening");
        tokio::select! {
            () = &mut server => {}
            () = shutdown => {
                tracing::info!("shutting down: no new connections, finishing requests in flight");
                let _ = server_stop.send(true);
                if tokio::time::timeout(grace, &mut server).await.is_err() {
                    tracing::warn!(?grace, "requests still in flight after the grace period were dropped");
                }
            }
        }
        let _ = server_stop.send(true);
        sweeper.await.ok();
        watch.await.ok();
        let _ = self.relay_stop.send(true);
        if let Some(relay) = self.relay {
            relay.join().await?;
        }
        self.state.mysql().clone().disconnect().await.ok();
        if let Some(replica) = self.state.mysql_replica() {
            replica.clone().disconnect().await.ok();
        }
        tracing::info!("api stopped");
        Ok(())
    }
}
