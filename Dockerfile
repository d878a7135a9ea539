# trendmon for production: built in one stage, run from a slim non-root image
# with production dependencies only. ClickHouse and NATS are external
# (CLICKHOUSE_URL, NATS_URL), so the embedded chDB is left out.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's prepare script builds, which needs the sources copied below.
RUN npm install --no-audit --no-fund --omit=optional --ignore-scripts
COPY tsconfig.json tsconfig.build.json vite.config.ts ./
COPY scripts/build.mjs ./scripts/
COPY src ./src
COPY streams ./streams
COPY web ./web
RUN npm run build && npm prune --omit=dev --omit=optional

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node bin ./bin
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["start"]
