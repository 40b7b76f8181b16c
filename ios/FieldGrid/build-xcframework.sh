#!/usr/bin/env bash
# On a Mac with Xcode: builds fieldgrid-ffi for iOS devices and simulators as
# static libraries (SQLCipher with a vendored OpenSSL), generates the Swift
# bindings, and packs an XCFramework for Package.swift.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$ROOT"
for t in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios; do
  rustup target add "$t"
  cargo rustc --release -p fieldgrid-ffi --lib --features vendored-openssl --target "$t" --crate-type staticlib
done
cargo build -p fieldgrid-ffi --bin uniffi-bindgen
target/debug/uniffi-bindgen generate --library target/aarch64-apple-ios/release/libfieldgrid_ffi.a \
  --language swift --out-dir "$HERE/build/swift"
mkdir -p "$HERE/Sources/FieldGridFFI" "$HERE/build/headers"
cp "$HERE/build/swift/FieldGridFFI.swift" "$HERE/Sources/FieldGridFFI/"
cp "$HERE/build/swift/FieldGridFFIFFI.h" "$HERE/build/headers/"
cp "$HERE/build/swift/FieldGridFFIFFI.modulemap" "$HERE/build/headers/module.modulemap"
lipo -create target/aarch64-apple-ios-sim/release/libfieldgrid_ffi.a target/x86_64-apple-ios/release/libfieldgrid_ffi.a \
  -output "$HERE/build/libfieldgrid_ffi_sim.a"
rm -rf "$HERE/build/FieldGridFFIFFI.xcframework"
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/release/libfieldgrid_ffi.a -headers "$HERE/build/headers" \
  -library "$HERE/build/libfieldgrid_ffi_sim.a" -headers "$HERE/build/headers" \
  -output "$HERE/build/FieldGridFFIFFI.xcframework"
