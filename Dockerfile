# sca-sandbox as a small image: the statically linked (musl) binary, the
# example scenarios, a non-root user, and /data for the local CA.
#
# Anywhere a Rust builder image can be pulled, one command builds it from a
# fresh clone, compiling inside the builder:
#   docker build -t sca-sandbox .        (or: podman build -t sca-sandbox .)
# Without a registry (an offline CI), build the binary on the host first and
# take the `host` target, which copies it instead:
#   cargo build --release --target x86_64-unknown-linux-musl
#   podman build --target host -t sca-sandbox .

# The builder: Alpine's Rust targets musl, so the binary is static.
FROM docker.io/library/rust:1-alpine AS compile
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY Cargo.toml Cargo.lock openapi.yaml scenario.schema.json ./
COPY src/ src/
COPY templates/ templates/
COPY scenarios/ scenarios/
COPY benches/ benches/
RUN cargo build --release --locked --bin sca-sandbox \
    && cp target/release/sca-sandbox /sca-sandbox

# What both images hold besides the binary.
FROM scratch AS base
COPY scenarios/ /scenarios/
COPY --chown=10001:10001 container/data/ /data/
USER 10001:10001
VOLUME /data
# Listening beyond loopback needs an admin token (SCA_SANDBOX_ADMIN_TOKEN, 16
# characters or more, 8 of them different); the control API also answers only
# the host names it is told (SCA_SANDBOX_ALLOWED_HOSTS).
ENV SCA_SANDBOX_HOST=0.0.0.0 \
    SCA_SANDBOX_DATA_DIR=/data \
    SCA_SANDBOX_SCENARIO=/scenarios/default.yaml \
    SCA_SANDBOX_LOG_FORMAT=json
EXPOSE 4242 4243
ENTRYPOINT ["/sca-sandbox"]

# The binary built on the host.
FROM base AS host
COPY target/x86_64-unknown-linux-musl/release/sca-sandbox /sca-sandbox

# The default target: the binary compiled in the builder.
FROM base AS image
COPY --from=compile /sca-sandbox /sca-sandbox
