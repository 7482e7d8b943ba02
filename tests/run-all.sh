#!/usr/bin/env bash
# The whole test suite, as README.md and CI run it:
#  1. installs the servers if they are missing (tests/install-servers.sh);
#  2. every crate's tests (unit, doc, trybuild, integration) against Redis;
#  3. the integration suites that exercise server behaviour again against
#     Valkey (TORNADIS_TEST_SERVER=valkey makes every fixture start
#     valkey-server). Suites that pick their servers themselves or talk to
#     no server are listed in SINGLE_PASS and run once, in step 2.
# Extra arguments go to both cargo test runs (e.g. `-- --test-threads 2`).
set -euo pipefail
cd "$(dirname "$0")/.."

# spec_table checks Redis and Valkey itself; tls needs a TLS build (Redis);
# the rest start no server of the default kind.
SINGLE_PASS=" spec_table spec_tools tls tls_reload no_name_literals support_proxy testing "

tests/install-servers.sh

cargo test --workspace "$@"

suites=()
for file in tests/tests/*.rs; do
  name=$(basename "$file" .rs)
  case "$SINGLE_PASS" in *" $name "*) continue ;; esac
  suites+=(--test "$name")
done
echo "run-all: the server suites again, against Valkey: ${suites[*]}"
TORNADIS_TEST_SERVER=valkey cargo test -p tornadis-tests "${suites[@]}" "$@"
