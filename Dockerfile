# syntax=docker/dockerfile:1
# pyrelease: the web process (`serve --no-worker`) and the workers (`worker`) from one image.
# Build:  docker build --build-arg VERSION=$(node -p "require('./package.json').version") -t pyrelease .
# Run:    docker compose up   (see docker-compose.yml: Redis, web and worker)
#
# Bookworm, like the machines CI runs on: the worker drives Debian's Python build
# toolchain, and CI tests exactly those package versions (.ci/run).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds, and the sources are not here yet.
# npm ci: exactly the locked versions, and a refusal if package.json and the lock drift.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
# `pyrelease github setup` reads the App manifest next to dist/ at run time.
COPY app.yml ./
# npm prune keeps TypeScript (24 MB of 166): valibot, under @bull-board/api, names it as an
# optional peer, and npm keeps an installed optional peer. Nothing loads it at run time,
# nor the packages' TypeScript sources, declarations and source maps: 98 MB of the 129 MB
# left (@octokit's packages each carry a 5 MB openapi-types declaration). Node never runs
# .ts files under node_modules. test/docker/production-install.test.ts runs these
# commands and then the service.
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/typescript \
 && find node_modules -type f '(' -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' ')' -delete

FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.0.0-dev
ARG SOURCE=https://github.com/pyrelease/pyrelease
LABEL org.opencontainers.image.title="pyrelease" \
      org.opencontainers.image.description="A self-hosted release bot that validates, builds and publishes Python packages from GitHub and GitLab" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}"

# The Debian packages a worker needs at run time, listed (each with why) in
# system-packages/runtime.txt, which .ci/run and `npm test` install from too: the Python
# build toolchain the worker drives, git, the build sandbox (bubblewrap, util-linux,
# uidmap), CA certificates and tini as PID 1. The list stays in the image: a worker that
# finds its toolchain missing names it.
COPY system-packages/runtime.txt /app/system-packages/runtime.txt
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      $(sed 's/#.*//' /app/system-packages/runtime.txt) \
 && rm -rf /var/lib/apt/lists/*

# A fixed UID/GID, so a volume's ownership stays right across image rebuilds; and
# subordinate ids, so a contained build runs as a uid that is neither root nor the
# worker's (docs/security.md, "The build sandbox"): build uid 65532 is 165531 on the host.
# newuidmap and newgidmap get file capabilities (cap_setuid, cap_setgid) instead of the
# setuid bit, as Fedora ships them: run setuid, they open uid_map as root, and the kernel
# then wants CAP_SYS_ADMIN, which no container has by default ("newuidmap: write to
# uid_map failed: Operation not permitted", so no build could be contained); run as the
# worker with one capability, they open it as the new namespace's owner. Written with
# python3 (VFS_CAP_REVISION_2 | EFFECTIVE, one permitted bit), as setcap is not installed.
RUN groupadd --system --gid 10001 pyrelease \
 && useradd --system --uid 10001 --gid pyrelease --home-dir /var/lib/pyrelease --shell /usr/sbin/nologin pyrelease \
 && mkdir -p /var/lib/pyrelease \
 && chown pyrelease:pyrelease /var/lib/pyrelease \
 && echo 'pyrelease:100000:65536' > /etc/subuid \
 && echo 'pyrelease:100000:65536' > /etc/subgid \
 && chmod 0755 /usr/bin/newuidmap /usr/bin/newgidmap \
 && python3 -c 'import os, struct; [os.setxattr(path, "security.capability", struct.pack("<5I", 0x02000001, 1 << bit, 0, 0, 0)) for path, bit in (("/usr/bin/newuidmap", 7), ("/usr/bin/newgidmap", 6))]'

WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
COPY --from=build /src/app.yml ./app.yml

ENV NODE_ENV=production \
    PYRELEASE_DATA_DIR=/var/lib/pyrelease \
    PORT=3000
VOLUME ["/var/lib/pyrelease"]
EXPOSE 3000
USER pyrelease

# Slim images have no curl: node's fetch asks /healthz. The worker has no HTTP server;
# docker-compose.yml turns this check off for it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# The build sandbox (PYRELEASE_BUILD_SANDBOX, required under NODE_ENV=production) runs
# builds under bubblewrap in new user, PID, network and mount namespaces, which Docker's
# default seccomp and AppArmor profiles and its masked /proc paths refuse: the worker
# then takes no publish job and says what to allow. docs/security.md gives the options.
ENTRYPOINT ["tini", "--", "node", "bin/pyrelease.js"]
# The other command: `worker`.
CMD ["serve"]
