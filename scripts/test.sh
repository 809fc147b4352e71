#!/bin/sh
# Installs what the tests need (quietly when it is already there: scripts/deps.sh --test), then runs the
# whole suite: unit tests and the integration tests that start real worker processes.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh --test
swift build --build-tests
swift test --skip-build "$@"
