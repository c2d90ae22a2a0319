## The one template of every Node service image. Not built itself: `node scripts/dockerfiles.mjs` writes
## services/<name>/Dockerfile from it for every services/<name>/package.json (and the root .dockerignore),
## and `node scripts/dockerfiles.mjs --check` (run by tests/repo/dockerfiles.test.ts) fails while a
## written file differs. Change the images here, then regenerate; never edit a service's Dockerfile.
##
## Lines starting with `##` stay in the template. Placeholders, filled from the service's package.json:
##   {{service}}          the folder name under services/ (also the image name shipshape/<service>)
##   {{description}}      its "description" (one line, no `"`, `\` or `$`: it stands in a LABEL value)
##   {{port}}             its "shipshape": { "containerPort" }, 8080 when absent
##   {{workspaces}}       the workspaces it is built from, space-separated: its own folder and every
##                        @shipshape/* package of its "dependencies", followed through theirs, sorted
##   {{workspace_flags}}  the same as npm arguments (`-w packages/platform -w services/<service>`)
## A line holding {{workspace}} is written once per workspace, in the same order.
## Lines between `{{#train}}` and `{{/train}}` are written only for a service whose package.json has
## "shipshape": { "train": { "script", "output", "inputs", "exclude" } } (its model trained in the build):
##   {{train_script}}     the npm script that trains, run in the `train` stage
##   {{train_output}}     the folder it writes under services/<service>/, copied into the image
##   {{train_exclude}}    the built folders that only training uses, as /out paths, left out of the image
## ("inputs", the folders training reads, such as its data, are let into the build context by .dockerignore.)
# The shipshape/{{service}} image. {{description}}.
#
# Build context: the repository root (npm needs the workspace lock file); the root .dockerignore
# lets in only manifests and sources, nothing else (no .env). Needs BuildKit (cache mounts):
#   DOCKER_BUILDKIT=1 docker build -f services/{{service}}/Dockerfile -t shipshape/{{service}} .
# docker compose builds it as shipshape/{{service}}:<version> (see docker-compose.yml), and
# scripts/containers-build.sh tags it :latest as well.
#
# Debian bookworm slim, not Alpine: Node's official builds are glibc builds, and npm packages with
# native parts ship prebuilt binaries for glibc first (docs/containers.md).
FROM node:22-bookworm-slim AS base
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app

# The manifests alone, so that the npm layers are rebuilt when dependencies change, not when code does.
# The workspaces listed are the ones this service is built from: itself and its @shipshape/*
# dependencies, followed through theirs.
FROM base AS manifests
COPY package.json package-lock.json ./
COPY {{workspace}}/package.json {{workspace}}/

# Everything the TypeScript build needs (the compiler is a root devDependency), from the lock file.
FROM manifests AS build
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --ignore-scripts --include-workspace-root \
      {{workspace_flags}}
COPY tsconfig.base.json ./
COPY {{workspace}}/ {{workspace}}/
RUN set -e; \
    npx tsc -b services/{{service}}; \
    for workspace in {{workspaces}}; do \
      mkdir -p "/out/$workspace"; cp -R "$workspace/dist" "/out/$workspace/"; \
    done; \
    find /out \( -name '*.d.ts' -o -name '*.d.ts.map' \) -delete
{{#train}}
# The training code stays out of the image: only what it writes goes in (the train stage below).
RUN rm -r {{train_exclude}}

# The model, trained here from the build's code and data with a fixed seed. The image carries what this
# stage writes, not the training code nor the data, and no container ever trains at start.
FROM build AS train
RUN npm run {{train_script}} -w services/{{service}}
{{/train}}

# Production dependencies of this service only (npm follows its @shipshape/* dependencies).
FROM manifests AS production-dependencies
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --omit=dev --ignore-scripts -w services/{{service}}

# The image: production dependencies and compiled JavaScript, owned by root and run as `node`, so the
# process cannot change its own code.
FROM base AS runtime
ENV NODE_ENV=production PORT={{port}} HOST=0.0.0.0
COPY --from=production-dependencies /app ./
COPY --from=build /out ./
{{#train}}
COPY --from=train /app/services/{{service}}/{{train_output}} services/{{service}}/{{train_output}}
{{/train}}
COPY deploy/docker/healthcheck.mjs ./healthcheck.mjs
USER node
EXPOSE {{port}}
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
CMD ["node", "--enable-source-maps", "services/{{service}}/dist/main.js"]

ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="shipshape-{{service}}" \
      org.opencontainers.image.description="{{description}}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.vendor="Shipshape" \
      org.opencontainers.image.base.name="docker.io/library/node:22-bookworm-slim"
