#!/usr/bin/env bash
# Builds the backoffice C library (shared and static), builds and runs the C client
# (plain, statically linked, under valgrind and with AddressSanitizer), and runs the
# Python client's tests. Exits non-zero on any failure.
#
# Installs nothing. It needs: cargo, a C compiler (`cc`, e.g. gcc) and make, valgrind
# (`apt-get install -y valgrind`), python3 with pytest (`pip install pytest`).
set -euo pipefail
cd "$(dirname "$0")/../.."

step() { printf '\n==> ffi: %s\n' "$*"; }

missing=0
need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "examples/ffi/run.sh needs \`$1\` ($2)" >&2
    missing=1
  fi
}
need cargo "the Rust toolchain"
need cc "a C compiler, e.g. apt-get install -y gcc"
need make "apt-get install -y make"
need valgrind "apt-get install -y valgrind"
need python3 "Python 3"
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import pytest' >/dev/null 2>&1; then
  echo "examples/ffi/run.sh needs pytest (pip install pytest)" >&2
  missing=1
fi
if [ "$missing" != 0 ]; then
  exit 1
fi

step "shared library (cdylib)"
cargo rustc --release --features ffi --lib --crate-type cdylib
step "static library (staticlib)"
cargo rustc --release --features ffi --lib --crate-type staticlib
step "Rust reference for the byte-for-byte comparison"
cargo build --all-features --example ffi_reference

LIB_DIR="$PWD/target/release"
step "C client"
make -C examples/ffi/c LIB_DIR="$LIB_DIR" all
make -C examples/ffi/c LIB_DIR="$LIB_DIR" run
step "C client, statically linked"
make -C examples/ffi/c LIB_DIR="$LIB_DIR" static
step "C client under valgrind"
make -C examples/ffi/c LIB_DIR="$LIB_DIR" valgrind
step "C client with AddressSanitizer"
make -C examples/ffi/c LIB_DIR="$LIB_DIR" asan

step "Python client tests"
BACKOFFICE_LIB="$LIB_DIR/libbackoffice.so" \
BACKOFFICE_REFERENCE="$PWD/target/debug/examples/ffi_reference" \
  python3 -m pytest -q -p no:cacheprovider examples/ffi/python/tests

echo
echo "ffi clients passed"
