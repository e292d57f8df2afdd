# syntax=docker/dockerfile:1
#
# Both images of the workspace, from one file; pick one with --target:
#
#   api        the HTTP server with the outbox relay (`api` / `api serve`) and `api healthcheck`
#   consumers  `consumers` runs both consumers; `consumers mysql` and `consumers dynamodb` run one
#              each (separately deployable and scalable); `consumers redrive <mysql|dynamodb>`
#              moves dead-lettered messages back; `consumers replay` rebuilds the stores from
#              the replay topic; `consumers reset` wipes all sales (it lives here because this
#              binary links every store); `consumers healthcheck` is the container health check
#
# Build from the repository root (the context is the whole Cargo workspace):
#   docker build --target api       -t ticketing-api .
#   docker build --target consumers -t ticketing-consumers .
# Without --target, Docker builds the last stage: the api.
#
# Configuration is environment variables only (README "Configuration", .env.template); the
# images bake in no addresses and no credentials.
#
# Stages: chef (toolchain + cargo-chef) -> planner (recipe of the dependency graph of the whole
# workspace) -> web (the pages, with Node.js) -> builder (the dependencies of both binaries
# compiled from the recipe alone, so that layer stays cached until Cargo.toml/Cargo.lock
# change; then both binaries, the api embedding the pages) -> runtime (Debian slim, non-root,
# CA certificates) -> api, consumers (runtime plus one binary each).
# Either target runs the one builder, so building the second image after the first reuses
# every compiled layer.

# Toolchain and runtime on the same Debian release (bookworm): the binaries link the runtime's
# glibc and libz. The workspace needs Rust >= 1.88.
FROM rust:1.95-bookworm AS chef
ARG CARGO_CHEF_VERSION=0.1.78
RUN cargo install cargo-chef --version "${CARGO_CHEF_VERSION}" --locked \
    && rm -rf /usr/local/cargo/registry
WORKDIR /src

FROM chef AS planner
# The whole tree (minus .dockerignore): new workspace members need no change here.
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

# The pages (web/): built with the Node.js the package-lock.json was made with, into hashed
# files and their Brotli/gzip copies, which the api embeds when it is compiled.
FROM node:20.19-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
# The browser tests' packages come along with the dev dependencies; no browser is downloaded.
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
# Dependencies only: this layer is rebuilt only when the recipe (manifests, lock file) changes.
# One cargo invocation per package, here and below: cargo unifies the features of everything
# built in one invocation, so `-p api -p consumers` would compile the api against infra with
# the consumers' `dynamodb` feature (the AWS SDK), and the api binary would no longer be the
# one `cargo build -p api` makes. Dependencies with the same features are compiled once.
RUN cargo chef cook --release --locked --recipe-path recipe.json -p api \
    && cargo chef cook --release --locked --recipe-path recipe.json -p consumers
COPY . .
COPY --from=web /web/dist web/dist
RUN cargo build --release --locked -p api --bin api \
    && cargo build --release --locked -p consumers --bin consumers \
    && install -D -m 0755 target/release/api /out/api \
    && install -D -m 0755 target/release/consumers /out/consumers

# What both images share: one base layer on a host that runs both.
FROM debian:bookworm-slim AS runtime
# ca-certificates: https to AWS (DynamoDB) through the SDK's default client, in the consumers;
# the api has no TLS client, but sharing the base layer costs less than a second one. libz,
# libgcc and glibc, which the binaries link dynamically, are part of the base image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 ticketing \
    && useradd --system --uid 10001 --gid ticketing --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin ticketing
# Inherited by both images. The binaries stay owned by root: the program cannot replace itself.
USER 10001:10001

FROM runtime AS consumers
COPY --from=builder /out/consumers /usr/local/bin/consumers
# No port: the consumers only connect out (RabbitMQ, MySQL, DynamoDB; `consumers reset` also
# Redis and the replay topic).
# SIGTERM: finish the batches in flight (CONSUMER_SHUTDOWN_GRACE_SECS, 15 s by default), then
# exit; unacknowledged messages go back to the queue.
STOPSIGNAL SIGTERM
# `consumers healthcheck`: RabbitMQ answers and the queues exist.
HEALTHCHECK --interval=15s --timeout=10s --start-period=30s --retries=3 CMD ["consumers", "healthcheck"]
ENTRYPOINT ["consumers"]
CMD ["all"]

# Last, so that a plain `docker build .` gives the api, the image every deployment starts from.
FROM runtime AS api
COPY --from=builder /out/api /usr/local/bin/api
# The binary's own default, spelled out: inside a container the server must listen on every
# interface. Everything else keeps the program's defaults unless the environment says otherwise.
ENV API_BIND=0.0.0.0:8080
EXPOSE 8080
# SIGTERM: stop accepting, finish requests in flight, flush the outbox relay
# (API_SHUTDOWN_GRACE_SECS, 15 s by default): give the container more than that to stop.
STOPSIGNAL SIGTERM
# `api healthcheck` asks the local server's /api/v1/health (on API_BIND's port): no curl needed.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["api", "healthcheck"]
ENTRYPOINT ["api"]
CMD ["serve"]
