#!/usr/bin/env bash
# Mutation testing of the checker with Stryker.NET (issue 18, point 3): mutates the checking code (impl/BnVerify/Checking,
# and with the scopes cases and doctor impl/BnVerify/Cases and impl/BnVerify/Doctor) and runs only the fast tests that pin
# it, never the whole suite. Not part of .ci/run: see README.md ("Mutation testing of the checker") for the time each scope took.
#
#   bash verify/mutation/run-stryker.sh [SCOPE] [dotnet-stryker options ...]
#
# SCOPE (default: allowance):
#   allowance              ErrorModel, Oracles, Reference: the tolerance (what ToleranceTests and CheckerGuardTests pin)
#   source                 ProblemSource, ShapeSchedule, ProblemGenerator (and .Spatial): the problems (CoverageTests)
#   oracles-and-shrinker   FiniteDifferenceOracle, DirectionalOracle, GradientChecker, GuardedCall, ProblemShrinker (and .Spatial)
#   cases                  impl/BnVerify/Cases: case files read and written, the golden set (GoldenTests, LayoutTests, CLI)
#   doctor                 impl/BnVerify/Doctor: the diagnosis (DoctorTests, DoctorPatternTests, MutantTests)
#   all                    every file of impl/BnVerify/Checking (about 850 mutants tested: over 30 minutes here)
#
# Extra options go to `dotnet stryker` (e.g. --concurrency 1, --mutation-level Basic).
# To narrow a scope: FILES="Patterns StepStudy" mutates only those files of the scope's folder, and TESTS="DoctorTests"
# runs only the tests whose names contain those words (both space-separated), e.g.
#   FILES="Patterns StepStudy" TESTS="DoctorTests DoctorPatternTests" bash verify/mutation/run-stryker.sh doctor
# The score and the survivors are printed at the end and written to artifacts/mutation/reports/ (html, json, md).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
scope="${1:-allowance}"
case "$scope" in
  allowance|source|oracles-and-shrinker|cases|doctor|all) [ "$#" -gt 0 ] && shift ;;
  -*) scope=allowance ;;
  *) echo "run-stryker: unknown scope '$scope' (allowance, source, oracles-and-shrinker, cases, doctor or all)" >&2; exit 2 ;;
esac
dir='**/impl/BnVerify/Checking'
# Each scope runs the tests that pin its files and stay fast under instrumentation (every mutated expression of a hot
# loop becomes a call, and a mutant that never ends waits for 1.5× the covering tests' time plus 5 s); `all` runs the
# filter of stryker-config.json.
t() { local f=""; for name in "$@"; do f="${f:+$f|}FullyQualifiedName~$name"; done; echo "$f"; }
case "$scope" in
  allowance) files=(ErrorModel Oracles Reference)
    filter=$(t ToleranceTests CheckerGuardTests OracleTests CheckerTests.The_checker_passes CheckerTests.With_gamma_zero GoldenTests.Finite_differences_agree) ;;
  source) files=(ProblemSource ShapeSchedule ProblemGenerator ProblemGenerator.Spatial)
    filter=$(t CoverageTests SourceTests CheckerGuardTests.A_narrower ScheduleTests.The_schedule ScheduleTests.Cases_come LayoutTests.The_spatial_generator ValidationTests) ;;
  oracles-and-shrinker) files=(FiniteDifferenceOracle DirectionalOracle GradientChecker GuardedCall ProblemShrinker ProblemShrinker.Spatial)
    filter=$(t ShrinkerTests FiniteDifferenceOracleTests GradientCheckerTests CheckerTests.The_ CheckerTests.Finite_ CheckerTests.With_gamma_zero ToleranceTests OracleTests ScheduleTests LayoutTests GoldenTests.Finite_differences_agree VerifierTests.A_backward_that_hangs) ;;
  cases) dir='**/impl/BnVerify/Cases'; files=(CaseFile CaseWriter GoldenCases)
    filter=$(t CaseFileTests GoldenTests LayoutTests CliBadInputTests CliTests.The_NCHW_golden CliTests.Shipped_golden CliTests.Results_file \
      CliTests.Cases_ CliTests.A_case_without CliTests.An_existing CliTests.The_same_file CliTests.Check_on_a_flawed \
      VerifierTests.A_wrong_delegate) ;;
  doctor) dir='**/impl/BnVerify/Doctor'; files=('*')
    # MutantTests.Mutation_score_is_100_percent diagnoses every mutant again; its theory cases assert the same per mutant
    filter="($(t DoctorTests DoctorPatternTests MutantTests))&FullyQualifiedName!~MutantTests.Mutation_score_is_100_percent" ;;
  all) files=('*'); filter="" ;;
esac
if [ -n "${FILES:-}" ]; then read -r -a files <<< "$FILES"; fi
if [ -n "${TESTS:-}" ]; then read -r -a tests <<< "$TESTS"; filter=$(t "${tests[@]}"); fi
mutate=()
for f in "${files[@]}"; do mutate+=(--mutate "$dir/$f.cs"); done
[ -n "$filter" ] && mutate+=(--test-case-filter "$filter")

cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null          # dotnet-stryker, pinned in .config/dotnet-tools.json
cd verify
echo "run-stryker: scope $scope: ${files[*]}"
dotnet stryker --config-file mutation/stryker-config.json --output "$root/artifacts/mutation/$scope" --skip-version-check "${mutate[@]}" "$@"
