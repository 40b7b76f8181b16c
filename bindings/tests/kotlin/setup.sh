#!/usr/bin/env bash
# Installs what the Kotlin/JVM suite needs, once: JNA and JUnit 4 from Debian's
# packages, and the Kotlin compiler from the npm registry (cached under ~/.cache).
# Prints the compiler's home.
set -euo pipefail
KOTLIN_VERSION=2.4.20
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/fieldgrid"
HOME_DIR="$CACHE/kotlin-compiler-$KOTLIN_VERSION"

if [[ ! -f /usr/share/java/jna.jar || ! -f /usr/share/java/junit4.jar ]]; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libjna-java junit4 >&2
fi
if [[ ! -x "$HOME_DIR/bin/kotlinc-jvm" ]]; then
  mkdir -p "$CACHE"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "kotlin-compiler@$KOTLIN_VERSION" >/dev/null && tar xzf kotlin-compiler-*.tgz)
  rm -rf "$HOME_DIR"
  mv "$tmp/package" "$HOME_DIR"
  chmod +x "$HOME_DIR"/bin/*
  rm -rf "$tmp"
fi
echo "$HOME_DIR"
