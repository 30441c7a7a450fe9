#!/bin/sh
# Copies the pinned front-end libraries of package.json / package-lock.json into static/vendor/
# (they are committed there and served by the app; nothing is loaded from a CDN). To update:
# change the versions in package.json, run `npm install --ignore-scripts` here, then this script,
# and commit package.json, package-lock.json and static/vendor/. See docs/offline.md.
set -eu
cd "$(dirname "$0")"
out=../static/vendor
mkdir -p "$out/workbox" "$out/idb"
cp node_modules/workbox-sw/build/workbox-sw.js "$out/workbox/"
for m in core precaching routing strategies; do
  cp "node_modules/workbox-$m/build/workbox-$m.prod.js" "$out/workbox/"
done
cp node_modules/workbox-sw/LICENSE "$out/workbox/LICENSE"
cp node_modules/idb/build/umd.js "$out/idb/idb.umd.js"
cp node_modules/idb/LICENSE "$out/idb/LICENSE"
for p in workbox-sw workbox-core workbox-precaching workbox-routing workbox-strategies; do
  printf '%s %s\n' "$p" "$(node -p "require('./node_modules/$p/package.json').version")"
done > "$out/workbox/VERSION"
node -p "'idb ' + require('./node_modules/idb/package.json').version" > "$out/idb/VERSION"
