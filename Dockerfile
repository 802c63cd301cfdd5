# raygate's container image: built on Debian bookworm, run on bookworm-slim with only the
# shared libraries raygate links (scripts/check-image.py checks that list against the binary).
#
#   docker build -t raygate:0.1.0 .
#   sh scripts/build-image.sh        (podman, as root on Debian: builds it and smoke-tests the image)
#
# The image runs `raygate serve` as uid 65532, in-cluster: with a mounted service-account token
# it lists and watches the API server (manifests/deploy passes its own --config).

# ---- build ---------------------------------------------------------------------------------
FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libmicrohttpd-dev libgnutls28-dev libssl-dev libcjson-dev libyaml-dev libjemalloc-dev \
      libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the binary is built from (the seed's examples and the standalone demo additions are
# compiled in); scripts/check-image.py configures these alone and compares what they embed.
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY include/ include/
COPY src/ src/
COPY webhooks/ webhooks/
COPY manifests/examples/seed/ manifests/examples/seed/
COPY manifests/examples/standalone/ manifests/examples/standalone/
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DRG_BENCHMARKS=OFF \
 && cmake --build build -j"$(nproc)" --target raygate \
 && strip build/raygate \
 && build/raygate version

# ---- runtime -------------------------------------------------------------------------------
FROM debian:bookworm-slim
# The runtime halves of the -dev packages above: one package per library raygate links.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libmicrohttpd12 libgnutls30 libcjson1 libyaml-0-2 libcurl4 libssl3 libjemalloc2 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/raygate /usr/local/bin/raygate
# The same uid/gid the manifests run it as (runAsUser 65532); no shell needed at run time.
USER 65532:65532
WORKDIR /tmp
EXPOSE 9443
ENTRYPOINT ["/usr/local/bin/raygate"]
CMD ["serve", "--listen", ":9443", "--state-dir", "/tmp/raygate"]
