//! Prometheus metrics: the one recorder of a process (the `metrics` crate's macros write to
//! it), rendered in Prometheus's text format by the api's `/metrics` route and by the small
//! listener of the consumers ([`serve`]). Histograms have explicit buckets, never summaries,
//! so that instances add up. Labels are bounded: routes as templates, outcomes, stores,
//! events of the catalog; never a ticket or a user.
//!
//! What each metric means is in the README ("Operations").

use std::convert::Infallible;
use std::sync::OnceLock;

use http_body_util::Full;
use hyper::body::Bytes;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Buckets of every `*_duration_seconds` histogram: 0.5 ms to 10 s.
pub const SECONDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Buckets of the tickets-per-message histogram.
pub const TICKETS: &[f64] = &[1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0];

/// The content type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on the first call. Tests that start several programs in
/// one process share it.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), SECONDS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full("relay_batch_tickets".into()), TICKETS))
            .unwrap_or_else(|_| unreachable!("the bucket lists are constants and not empty"));
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Fails only when another recorder was installed, which nothing else here does.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was installed already; this one records nothing");
        }
        handle
    })
}

/// Every metric, in Prometheus's text format.
pub fn render() -> String {
    handle().render()
}

/// Answers every request on `listener` with [`render`] (any path: it is the only thing this
/// port serves) until `stop` turns true.
pub async fn serve(listener: TcpListener, mut stop: watch::Receiver<bool>) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics listener: accept failed");
                    continue;
                }
            },
            _ = stop.wait_for(|stop| *stop) => return,
        };
        tokio::spawn(async move {
            let service = hyper::service::service_fn(|_request| async {
                let response = hyper::Response::builder()
                    .header(hyper::header::CONTENT_TYPE, CONTENT_TYPE)
                    .body(Full::new(Bytes::from(render())))
                    .unwrap_or_default();
                Ok::<_, Infallible>(response)
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await
            {
                tracing::debug!(error = %e, "metrics listener: connection ended");
            }
        });
    }
}
