#!/usr/bin/env bash
# Imports the stand-in base (scripts/image/stand-in-base.sh) as node:24-bookworm-slim,
# so the Dockerfile's unmodified FROM resolves to it with --pull=never.
# Usage: scripts/image/import-base.sh podman|docker ROOTFS.tar
set -euo pipefail
engine=${1:?usage: import-base.sh podman|docker ROOTFS.tar}
rootfs=${2:?usage: import-base.sh podman|docker ROOTFS.tar}
"$engine" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' \
  "$rootfs" docker.io/library/node:24-bookworm-slim >/dev/null
