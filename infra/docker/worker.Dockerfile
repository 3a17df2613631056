# The warmgen worker image, CPU or GPU. Build from the repository root (the build context):
#   docker build -f infra/docker/worker.Dockerfile -t warmgen-worker .
#   docker build -f infra/docker/worker.Dockerfile --build-arg DEVICE=cuda -t warmgen-worker-gpu .
# DEVICE=cuda installs onnxruntime-node's CUDA execution provider at build time
# (ONNXRUNTIME_NODE_INSTALL=cuda12, downloaded from NuGet by its install script) on a CUDA
# 12 + cuDNN 9 base image, and makes DEVICE=cuda the image's default.
# TypeScript runs directly on Node 24's type stripping (no build step); the workspaces keep
# their repository layout because Node refuses to strip types under node_modules.
ARG NODE_IMAGE=node:24-bookworm-slim
# CUDA 12.2 matches Cloud Run's GPU driver (535); onnxruntime 1.2x+ needs cuDNN 9, added below.
ARG CUDA_IMAGE=nvidia/cuda:12.2.2-runtime-ubuntu22.04
ARG DEVICE=cpu

FROM ${NODE_IMAGE} AS node

FROM node AS deps
ARG DEVICE
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY shared/package.json shared/
COPY worker/package.json worker/
# The repository's .npmrc runs no install scripts (onnxruntime-node's downloads CUDA
# binaries). The GPU variant overrides that: environment variables win over .npmrc, and
# npm 11 runs a dependency's install script only when allow-scripts names it.
# The CPU binaries ship in the npm package; other platforms' binaries are dropped.
RUN case "$DEVICE" in \
      cpu) export ONNXRUNTIME_NODE_INSTALL=skip ;; \
      cuda) export ONNXRUNTIME_NODE_INSTALL=cuda12 npm_config_ignore_scripts=false \
        && echo 'allow-scripts=onnxruntime-node' >> .npmrc ;; \
      *) echo "DEVICE must be cpu or cuda, got '$DEVICE'" >&2 && exit 1 ;; \
    esac \
  && npm ci --omit=dev --workspace @warmgen/worker --no-audit --no-fund \
  && npm cache clean --force \
  && ort=node_modules/onnxruntime-node/bin/napi-v6 \
  && if [ "$DEVICE" = cuda ]; then test -f "$ort/linux/x64/libonnxruntime_providers_cuda.so"; fi \
  && rm -rf "$ort/darwin" "$ort/win32" "$ort/linux/arm64"

# CPU runtime: the plain Node image.
FROM node AS runtime-cpu
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*

# GPU runtime: CUDA libraries (the driver comes from Cloud Run) plus cuDNN 9, and the same
# Node binary as the CPU image.
FROM ${CUDA_IMAGE} AS runtime-cuda
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini libcudnn9-cuda-12 \
  && rm -rf /var/lib/apt/lists/* \
  && groupadd --gid 1000 node \
  && useradd --uid 1000 --gid node --create-home node
COPY --from=node /usr/local/bin/node /usr/local/bin/node

FROM runtime-${DEVICE}
ARG DEVICE
WORKDIR /app
# The model is hydrated here once per instance (Cloud Run's filesystem is in memory).
# GLIBC_TUNABLES: malloc settings for the engine, see worker/src/engine/malloc-tunables.ts.
ENV NODE_ENV=production \
  DEVICE=${DEVICE} \
  MODEL_CACHE_DIR=/var/cache/warmgen/models \
  GLIBC_TUNABLES=glibc.malloc.arena_max=1:glibc.malloc.trim_threshold=2147483648:glibc.malloc.mmap_threshold=33554432
RUN mkdir -p /var/cache/warmgen && chown node:node /var/cache/warmgen
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY shared/package.json shared/
COPY shared/src shared/src
COPY worker/package.json worker/
COPY worker/src worker/src
USER node
# tini as PID 1 forwards SIGTERM to Node (and reaps zombies): the worker stops pulling and
# finishes or releases its in-flight jobs within SHUTDOWN_GRACE_SECONDS.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "worker/src/main.ts"]
