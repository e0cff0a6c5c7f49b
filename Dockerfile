# syntax=docker/dockerfile:1
# One image per function: docker build --build-arg FUNCTION=order -t REGISTRY/order:TAG .
# (`npx leveler deploy` does this for every function.) The bundle esbuild makes for a function
# is self-contained, so the runtime image is Node and one file: no node_modules, no npm, nothing
# written at run time, which is what readOnlyRootFilesystem in knative/services/*.yaml needs.

ARG NODE_IMAGE=node:24-alpine

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

FROM ${NODE_IMAGE}
ARG FUNCTION
LABEL org.opencontainers.image.title="leveler-${FUNCTION}" \
      org.opencontainers.image.description="leveler function ${FUNCTION}: one esbuild bundle on Node 24"
ENV NODE_ENV=production \
    PORT=8080 \
    METRICS_PORT=9464
WORKDIR /app
# Root owns the files and they are read-only to the function: it only needs to read them.
COPY --from=build --chown=0:0 --chmod=0444 /out/ /app/
# Numeric, so Kubernetes can verify runAsNonRoot (the node images' "node" user is 1000).
USER 1000:1000
EXPOSE 8080
# Node is PID 1 and handles SIGTERM itself (lib/runtime/serve.ts drains, then exits).
# Set NODE_OPTIONS=--enable-source-maps for stack traces in TypeScript terms (slower cold start).
ENTRYPOINT ["node", "/app/function.js"]
