#!/usr/bin/env bash
# The whole check, as CI runs it: installs what is missing and builds, prepares the host,
# builds the test image, lints the layers, runs unit and integration tests.
#
#   sudo ./scripts/test.sh            everything
#   sudo ./scripts/test.sh --unit     unit tests only (still lints)
#   sudo ./scripts/test.sh FILTER...  only test files whose path contains FILTER
#
# The last lines printed are node --test's summary; the exit status is the tests'.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if [[ $(id -u) -ne 0 ]]; then
  echo "test.sh: most tests need root (namespaces, cgroups, mounts); run: sudo $0 $*" >&2
  exit 1
fi

step "Dependencies and build (scripts/install-deps.sh)"
./scripts/install-deps.sh

if [[ -x scripts/setup-host.sh || -f scripts/setup-host.sh ]]; then
  step "Host set-up (scripts/setup-host.sh)"
  bash scripts/setup-host.sh
fi

if [[ ! -f build/images/busybox.tar ]]; then
  step "Test image build/images/busybox.tar"
  node scripts/build-busybox-image.mjs >/dev/null
fi

step "Layer lint (npm run lint)"
npm run --silent lint

step "Tests (scripts/run-tests.mjs)"
exec node scripts/run-tests.mjs "$@"
