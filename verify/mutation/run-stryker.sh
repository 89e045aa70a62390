#!/usr/bin/env bash
# Mutation testing of the checker with Stryker.NET (issue 18, point 3): mutates impl/BnVerify/Checking (oracles, error
# model, gradient checker, guarded call, problem source, schedule, generator, shrinker) and runs only the fast tests that
# pin it (the filter in stryker-config.json), never the whole suite. Not part of .ci/run: it takes tens of minutes.
#
#   bash verify/mutation/run-stryker.sh                    # the configured run; report in artifacts/mutation/
#   bash verify/mutation/run-stryker.sh --mutate '**/impl/BnVerify/Checking/ErrorModel.cs'   # narrower (repeatable)
#
# Extra arguments go to `dotnet stryker` (e.g. --concurrency 1, --mutation-level Basic). The score and the surviving
# mutants are printed at the end and written to artifacts/mutation/reports/ (mutation-report.html, .json, .md).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null          # dotnet-stryker, pinned in .config/dotnet-tools.json
cd verify
dotnet stryker --config-file mutation/stryker-config.json --output "$root/artifacts/mutation" --skip-version-check "$@"
