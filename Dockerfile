# syntax=docker/dockerfile:1
# One image per function: docker build --build-arg FUNCTION=order -t REGISTRY/order:TAG .
# (`npx leveler deploy` does this for every function.) The bundle esbuild makes for a function
# is self-contained, so the runtime image is Node, one file and that file's compiled code: no
# node_modules, no npm or yarn, nothing written at run time, which is what readOnlyRootFilesystem
# in knative/services/*.yaml needs.

# The base image, pinned by digest so every build starts from the same bytes (a tag moves).
# To move to a newer Node 24 (security fixes): `docker buildx imagetools inspect node:24-alpine`
# (or `crane digest node:24-alpine`) prints the multi-platform index digest; put it here.
# platform/deploy/dockerfile.test.ts refuses a FROM without a digest.
ARG NODE_IMAGE=node:24-alpine@sha256:d32cdf619f63fe0471182d08996dd516c6275bb5fd31ae06e55a570bd9e1ad43

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: nothing the build needs runs at install (esbuild's binary comes as an
# optional dependency); the base image's Node 24 runs build.mjs.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN node build.mjs
ARG FUNCTION
RUN test -n "$FUNCTION" || { echo "build with --build-arg FUNCTION=<name> (a folder under functions/)" >&2; exit 1; }; \
    test -f "dist/functions/$FUNCTION.js" || { echo "no bundle dist/functions/$FUNCTION.js: is functions/$FUNCTION/main.ts there?" >&2; exit 1; }; \
    mkdir /out && cp "dist/functions/$FUNCTION.js" /out/function.js && cp "dist/functions/$FUNCTION.js.map" /out/function.js.map && \
    sed -i "s|sourceMappingURL=$FUNCTION.js.map|sourceMappingURL=function.js.map|" /out/function.js

# The runtime: the base image without its package managers (npm, npx, corepack, yarn), which a
# function never runs and an intruder would use to fetch tools. Removed in a stage of its own
# and copied whole onto scratch, so no lower layer of the final image still holds them.
FROM ${NODE_IMAGE} AS runtime-base
RUN rm -rf /usr/local/lib/node_modules \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
      /usr/local/include/node /usr/local/share/doc/node \
      /root/.npm /tmp/* && \
    ! command -v npm && ! command -v yarn && node --version

# V8's compiled code for the bundle, made at build time: a pod then loads it instead of parsing
# and compiling half a megabyte of JavaScript at every cold start (NODE_COMPILE_CACHE below).
# Node keys the cache by its own version, the user id and the bundle's path and contents, so it is
# made here, with the runtime's Node, at /app/function.js, as UID 1000. Loading the bundle starts
# the function; a second later the cache is written and the process ends. Its exit code does not
# matter (a function whose settings are missing here still leaves its compiled code); the cache
# must be there. Read-only afterwards: at run time Node only reads it (readOnlyRootFilesystem).
# build.mjs makes the same cache for `npm start` (compile-cache.ts).
FROM runtime-base AS compile-cache
COPY --from=build --chown=1000:1000 /out/function.js /app/function.js
RUN mkdir /app/.node-compile-cache && chown 1000:1000 /app/.node-compile-cache
USER 1000:1000
RUN node --input-type=module -e "import { enableCompileCache, flushCompileCache } from 'node:module'; enableCompileCache('/app/.node-compile-cache'); import('/app/function.js'); setTimeout(() => { flushCompileCache(); process.exit(0); }, 1000);" >/dev/null 2>&1; \
    test -n "$(find /app/.node-compile-cache -type f)" || { echo "no compile cache was written for /app/function.js" >&2; exit 1; }; \
    chmod -R a+rX,a-w /app/.node-compile-cache

FROM scratch
COPY --from=runtime-base / /
ARG FUNCTION
LABEL org.opencontainers.image.title="leveler-${FUNCTION}" \
      org.opencontainers.image.description="leveler function ${FUNCTION}: one esbuild bundle on Node 24"
# scratch has no environment: PATH as the node image sets it.
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_ENV=production \
    PORT=8080 \
    METRICS_PORT=9464 \
    NODE_COMPILE_CACHE=/app/.node-compile-cache
WORKDIR /app
# Root owns the files and they are read-only to the function: it only needs to read them.
COPY --from=build --chown=0:0 --chmod=0444 /out/ /app/
COPY --from=compile-cache --chown=0:0 /app/.node-compile-cache /app/.node-compile-cache
# Numeric, so Kubernetes can verify runAsNonRoot (the node images' "node" user is 1000).
USER 1000:1000
EXPOSE 8080
# Node is PID 1 and handles SIGTERM itself (lib/runtime/serve.ts drains, then exits).
# Set NODE_OPTIONS=--enable-source-maps for stack traces in TypeScript terms (slower cold start).
# The flags are the local platform's too (FUNCTION_NODE_FLAGS, platform/serving/replica.ts, which
# says why): no young-generation collection before a cold start's first answer.
ENTRYPOINT ["node", "--min-semi-space-size=8", "/app/function.js"]
