# The warmgen API image. Build from the repository root (the build context):
#   docker build -f infra/docker/api.Dockerfile -t warmgen-api .
# TypeScript runs directly on Node 24's type stripping: no build step, the image runs the
# .ts sources. Node refuses to strip types under node_modules, so the workspaces keep their
# repository layout (/app/api, /app/shared) and node_modules only links to them.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# Manifests first: the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json .npmrc ./
COPY shared/package.json shared/
COPY api/package.json api/
# Production dependencies of the API workspace (and of shared, which it depends on) only.
RUN npm ci --omit=dev --workspace @warmgen/api --no-audit --no-fund \
  && npm cache clean --force

FROM ${NODE_IMAGE}
# tini as PID 1 forwards SIGTERM to Node and reaps zombies, so Cloud Run's SIGTERM reaches
# the API's shutdown handler even before it is installed (then Node's default: exit).
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The model's config.json and tokenizer files are hydrated here at start-up, to count prompt
# tokens at submit (the API needs no ONNX graph or weights).
ENV NODE_ENV=production \
  MODEL_CACHE_DIR=/var/cache/warmgen/models
RUN mkdir -p /var/cache/warmgen && chown node:node /var/cache/warmgen
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY shared/package.json shared/
COPY shared/src shared/src
COPY api/package.json api/
COPY api/src api/src
# The node image's unprivileged user (uid 1000); the sources stay root-owned, read-only.
USER node
# Cloud Run sets PORT (8080 unless configured otherwise); the API listens on PORT.
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "api/src/main.ts"]
