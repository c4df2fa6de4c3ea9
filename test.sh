#!/usr/bin/env bash
# The test command: installs what is missing and starts the test servers on loopback (scripts/services.sh), builds
# the solution, runs every test project one after the other, and prints one closing line:
#   N passed, N failed, N skipped
# Extra arguments go to `dotnet test`, e.g.  ./test.sh --filter "FullyQualifiedName~Redis"
# Exits non-zero when a test fails, a test project cannot run, or no test ran at all.
set -euo pipefail
cd "$(dirname "$0")"

# EPD_TEST_TARGET narrows the run to one project or solution (default: the whole solution).
target=${EPD_TEST_TARGET:-EpdBatch.sln}
stamp=$(mktemp "${TMPDIR:-/tmp}/epd-test-stamp.XXXXXX")
trap 'rm -f "$stamp"' EXIT

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK (dotnet) is not on PATH" >&2
  exit 2
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

start=$SECONDS
scripts/services.sh
echo "[test] servers ready in $((SECONDS - start))s"

# Build with every core, then test one project at a time: the model test projects each want both cores and
# several GiB, and running them side by side on a 2-core machine only makes each slower.
start=$SECONDS
dotnet build "$target" -nologo -v:q -clp:ErrorsOnly
echo "[test] built in $((SECONDS - start))s"

start=$SECONDS
status=0
dotnet test "$target" --no-build -m:1 --logger "trx" --logger "console;verbosity=minimal" "$@" || status=$?
echo "[test] tests ran in $((SECONDS - start))s"

# Sum the counters of the TRX files this run wrote (each project writes its own, under its TestResults/).
read -r total executed passed failed < <(
  find . -path ./.git -prune -o -path ./.cache -prune -o -name '*.trx' -newer "$stamp" -print0 | xargs -0 -r cat | tr '\n' ' ' | grep -o '<Counters [^>]*>' | awk '
    function attr(name,   m) { if (match($0, name "=\"[0-9]+\"")) { m = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", m); return m + 0 } return 0 }
    { t += attr("total"); e += attr("executed"); p += attr("passed");
      f += attr("failed") + attr("error") + attr("timeout") + attr("aborted") }
    END { print t + 0, e + 0, p + 0, f + 0 }')
skipped=$((total - executed))

echo "$passed passed, $failed failed, $skipped skipped"

if [ "$status" -ne 0 ]; then
  exit "$status"
fi
if [ "$failed" -ne 0 ]; then
  exit 1
fi
if [ "$executed" -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  exit 1
fi
