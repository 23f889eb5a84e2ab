# pipegen: the binary in a slim image, for CI jobs that check generated pipelines.
#
#   docker build -t pipegen .
#   docker run --rm -v "$PWD:/src" -w /src pipegen pipegen check --model pipegen.yaml
#
# In pipegen's own pipeline (model/pipegen.yaml) the builder stage starts from the CI toolchain
# image, passed as TOOLCHAIN_IMAGE; without it, from the same public Rust image.
ARG TOOLCHAIN_IMAGE=docker.io/library/rust:1.95-slim-trixie

FROM ${TOOLCHAIN_IMAGE} AS builder
WORKDIR /build
# Dependencies first, in their own layer: it is reused until Cargo.toml or Cargo.lock change.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && cargo build --release --locked \
 && rm -rf src
COPY src ./src
# COPY keeps the files' own times, which can be older than the placeholder build above.
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked \
 && strip target/release/pipegen

FROM docker.io/library/debian:trixie-slim AS runtime
COPY --from=builder /build/target/release/pipegen /usr/local/bin/pipegen
# CI jobs run their script through a shell in this image: no ENTRYPOINT.
CMD ["pipegen", "--help"]
