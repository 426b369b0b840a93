# The contacts MCP server for Cloud Run. Holds no secrets: Cloud Run injects ACCESS_TOKEN_SECRET and
# GOOGLE_OAUTH_CLIENT from Secret Manager as environment variables at start-up (terraform/run.tf).

# Node 24 on Debian 12, pinned to one release: bump it deliberately.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# --- build: all dependencies, compile TypeScript to dist/ -------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
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
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Warm Node's compile cache at build time (loading the app compiles every module without starting it), so
# a cold start on Cloud Run reads cached code instead of compiling it; it is read-only at run time.
ENV NODE_COMPILE_CACHE=/app/.compile-cache
RUN node --input-type=module -e "await import('/app/dist/main.js')"
# The unprivileged user of the official Node images (uid 1000).
USER node
EXPOSE 8080
# Exec form: node is PID 1 and receives SIGTERM itself, so the server can drain before Cloud Run stops it.
CMD ["node", "dist/index.js"]
