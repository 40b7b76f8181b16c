#!/usr/bin/env bash
# Refreshes the third-party browser assets checked in under web/vendor/ (Leaflet,
# BSD-2-Clause) from the npm registry, at the version package-lock.json pins. The
# Rust build never runs npm: the server embeds the checked-in files. Run this only
# to move to another version (edit package.json, `npm install`, then this).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --silent --no-audit --no-fund
mkdir -p vendor/leaflet
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
   node_modules/leaflet/LICENSE vendor/leaflet/
echo "vendor/leaflet: $(node -p "require('./node_modules/leaflet/package.json').version")"
