# syntax=docker/dockerfile:1
# Build: compile TypeScript with dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY src ./src
RUN npm run build

# Production dependencies only.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Runtime: distroless, non-root, read-only root filesystem friendly (writes nothing to disk).
FROM gcr.io/distroless/nodejs20-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY proto ./proto
COPY package.json ./
USER 65532:65532
EXPOSE 9090 8080
ENTRYPOINT ["/nodejs/bin/node", "dist/cli.js"]
CMD ["serve"]
