# syntax=docker/dockerfile:1.7
# One image for both processes: `npm start` (web, the default) and `npm run start:worker`.

FROM node:20-bookworm-slim AS base
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false
WORKDIR /app

# All dependencies, for the build.
FROM base AS deps
COPY package.json package-lock.json ./
RUN npm ci --include=dev --no-audit

# Production dependencies only.
FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit

FROM deps AS build
COPY . .
RUN npm run build

FROM base AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ca-certificates fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 1001 incidentflow \
 && useradd --system --uid 1001 --gid incidentflow --home /app incidentflow
COPY --from=prod-deps --chown=incidentflow:incidentflow /app/node_modules ./node_modules
COPY --from=build --chown=incidentflow:incidentflow /app/build ./build
COPY --from=build --chown=incidentflow:incidentflow /app/public ./public
# Sources too, so the npm scripts that run through tsx (db:migrate, db:seed, audit:verify) work
# inside the container as they do from a checkout.
COPY --chown=incidentflow:incidentflow package.json package-lock.json tsconfig.json server.ts ./
COPY --chown=incidentflow:incidentflow app ./app
COPY --chown=incidentflow:incidentflow db ./db
COPY --chown=incidentflow:incidentflow jobs ./jobs
USER incidentflow
ENV PORT=3000 HOST=0.0.0.0 DATA_DIR=/app/.data
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
# Migrations are serialised by an advisory lock, so every replica may run them before serving.
CMD ["sh", "-c", "node build/migrate.js && exec node --max-semi-space-size=64 build/server.js"]
