# syntax=docker/dockerfile:1
# airflow-keda-scaler image: `serve` as the entrypoint, non-root, production dependencies only,
# nothing written to disk (runs with readOnlyRootFilesystem; deploy/base mounts an emptyDir at /tmp
# anyway). Build and push for EKS, e.g.:
#   docker build -t <account>.dkr.ecr.<region>.amazonaws.com/airflow-keda-scaler:0.1.0 .
# For reproducible builds pin the base images by digest (FROM image:tag@sha256:...).

# Node.js 24 (LTS) throughout; .ci/run runs the test suite on the same major version (it reads
# the runtime image's tag below). Node 20 reached end of life in April 2026.

# Build: compile TypeScript with dev dependencies. No install scripts are needed to run tsc.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY src ./src
RUN npm run build

# Production dependencies only (no native modules; protobufjs' postinstall is a CLI check). The
# demo's embedded PostgreSQL (PGlite, 28 MB) is a devDependency and stays out: `demo` in this
# image says so and exits 1.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

# Runtime: distroless (no shell, no package manager), uid/gid 65532 "nonroot" as deploy/base sets.
FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
# The live heap is ~25 MiB even with 1,000 open streams under load, but V8 sizes the heap from its
# ceiling: capping old space at 128 MiB keeps a loaded scaler near 130 MiB RSS instead of 220 MiB,
# with no measurable cost in throughput (npm run bench -- --only rpc,footprint reads this line).
# One V8 platform thread instead of four saves ~4 MiB at idle; the pod is limited to half a core.
# The young generation needs its own cap on Node 24: under a burst of RPCs V8 grows it to two
# 64 MiB semi-spaces, which beside a 128 MiB old space keeps the heap at its limit, and V8 then runs
# major GCs back to back for as long as the process lives: a scaler hit with GetMetrics at 2,000
# req/s for 8 s went on burning 1.85 cores once the burst was over. 16 MiB semi-spaces: idle again
# within a second, and more throughput (test/integration/hardening/client-abuse.test.ts; bench rpc).
ENV NODE_OPTIONS="--max-old-space-size=128 --max-semi-space-size=16 --v8-pool-size=1"
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY proto ./proto
COPY package.json ./
USER 65532:65532
# 9090 gRPC (KEDA), 8080 HTTP (/healthz, /readyz, /metrics)
EXPOSE 9090 8080
ENTRYPOINT ["/nodejs/bin/node", "dist/cli.js"]
CMD ["serve"]
