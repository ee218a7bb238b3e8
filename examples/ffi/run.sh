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

# Where cargo puts its artefacts is cargo's business (CARGO_TARGET_DIR, a configured
# build.target-dir, a workspace): each build reports the files it made
# (`--message-format json`), and the C client is built under cargo's target directory.
# artefact KIND CARGO-ARGS...: runs the build, prints the path of its artefact of KIND
# (`cdylib`, `staticlib` or `bin`, the last for an example's executable).
artefact() {
  local kind="$1"
  shift
  cargo "$@" --message-format json-render-diagnostics | python3 -c '
import json, sys
kind = sys.argv[1]
suffixes = {"cdylib": (".so", ".dylib", ".dll"), "staticlib": (".a", ".lib")}
found = []
for line in sys.stdin:
    try:
        message = json.loads(line)
    except ValueError:
        continue
    if message.get("reason") != "compiler-artifact":
        continue
    if kind == "bin":
        if message.get("executable"):
            found.append(message["executable"])
    elif message.get("target", {}).get("name") == "backoffice":
        # Only the backoffice library: proc-macro dependencies are shared objects too.
        found += [f for f in message.get("filenames", []) if f.endswith(suffixes[kind])]
if len(found) != 1:
    sys.exit(f"examples/ffi/run.sh: expected one {kind} artefact from cargo, got {found}")
print(found[0])
' "$kind"
}

# Both library kinds come from one compilation (asking for them one at a time would
# build the crate twice). BACKOFFICE_FFI_PROFILE picks the cargo profile: `release` by
# default (what users ship); CI uses `ci` (optimised, no LTO: much quicker to build).
PROFILE="${BACKOFFICE_FFI_PROFILE:-release}"
LIBRARY_BUILD=(rustc --profile "$PROFILE" --features ffi --lib --crate-type cdylib,staticlib)
step "shared and static library (cdylib, staticlib; profile $PROFILE)"
SHARED_LIB="$(artefact cdylib "${LIBRARY_BUILD[@]}")"
echo "$SHARED_LIB"
# Built above: this asks cargo again only to be told the static library's path.
STATIC_LIB="$(artefact staticlib "${LIBRARY_BUILD[@]}")"
echo "$STATIC_LIB"
step "Rust reference for the byte-for-byte comparison"
REFERENCE="$(artefact bin build --all-features --example ffi_reference)"
echo "$REFERENCE"

TARGET_DIR="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
LIB_DIR="$(dirname "$SHARED_LIB")"
if [ "$(dirname "$STATIC_LIB")" != "$LIB_DIR" ]; then
  echo "examples/ffi/run.sh: cargo put the shared and the static library in different directories" >&2
  exit 1
fi
MAKE_VARS=(LIB_DIR="$LIB_DIR" OUT="$TARGET_DIR/ffi-c")
step "C client"
make -C examples/ffi/c "${MAKE_VARS[@]}" all
make -C examples/ffi/c "${MAKE_VARS[@]}" run
step "C client, statically linked"
make -C examples/ffi/c "${MAKE_VARS[@]}" static
step "C client under valgrind"
make -C examples/ffi/c "${MAKE_VARS[@]}" valgrind
step "C client with AddressSanitizer"
make -C examples/ffi/c "${MAKE_VARS[@]}" asan

step "Python client tests"
BACKOFFICE_LIB="$SHARED_LIB" \
BACKOFFICE_REFERENCE="$REFERENCE" \
  python3 -m pytest -q -p no:cacheprovider examples/ffi/python/tests

echo
echo "ffi clients passed"
