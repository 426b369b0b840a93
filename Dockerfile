# The contacts MCP server for Cloud Run. Holds no secrets: Cloud Run injects ACCESS_TOKEN_SECRET and
# GOOGLE_OAUTH_CLIENT from Secret Manager as environment variables at start-up (terraform/run.tf).

# Node 24 on Debian 12, pinned to one release and its digest (docs/deploy.md, "Build pipeline": where the
# digest came from and how to refresh it). Pulled through Google's Docker Hub cache, mirror.gcr.io, so builds
# do not depend on Docker Hub's anonymous pull quota. cloudbuild.yaml's node-binary step uses the same image.
ARG NODE_IMAGE=mirror.gcr.io/library/node:24.21.0-bookworm-slim@sha256:0e0ff40c39bc087845bfb27465a0df4ea419520094bc35842ff83dd8cbe6f9b6

# --- build: all dependencies; type-check src/ and bundle it into dist/ (scripts/build.ts) ------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
RUN npm run build

# --- deps: production dependencies only --------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime -------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# Cloud Run sets PORT (to the container port in terraform/run.tf, 8080); this is the default elsewhere.
ENV PORT=8080
WORKDIR /app
# Owned by root and read-only for the user the server runs as.
COPY package.json ./
# dist/ is a bundle of src/ and most packages; the packages it leaves external (the Google client libraries,
# pino) load from these production node_modules.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Node's compile cache, warmed at build time so a cold start on Cloud Run reads compiled code instead of
# compiling it. Node keys the cache by user id, so it is warmed by the user the server runs as, in a
# directory that user owns; dist/compile-cache-warmup.js loads everything production loads, including the
# Firestore client (bench/compile-cache.ts measures the gain).
ENV NODE_COMPILE_CACHE=/app/.compile-cache
RUN mkdir /app/.compile-cache && chown node:node /app/.compile-cache
# The unprivileged user of the official Node images (uid 1000).
USER node
RUN node dist/compile-cache-warmup.js
EXPOSE 8080
# Exec form: node is PID 1 and receives SIGTERM itself, so the server can drain before Cloud Run stops it.
CMD ["node", "dist/index.js"]
