#!/bin/sh
# Runs the whole test suite: unit tests and the integration tests that start real worker processes.
set -eu
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build "$@"
