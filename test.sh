#!/usr/bin/env bash
# QueueCtl's whole test run: build with zero warnings, xunit (Core, CLI, processes, faults,
# module surface, install.sh), the CLI suites again against the queuectl install.sh installs,
# the PowerShell script checks, and Pester where pwsh exists.
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

# What users run is the queuectl install.sh installs (native code where a C toolchain exists):
# the CLI and worker-process suites, and the faults that kill, freeze or feed garbage to
# queuectl processes, run again against it.
echo "== xunit again, against queuectl as install.sh installs it"
install_prefix=$(mktemp -d)
trap 'rm -rf "$install_prefix"' EXIT
if ./install.sh --prefix "$install_prefix"; then
  QUEUECTL_TEST_EXECUTABLE="$install_prefix/bin/queuectl" QUEUECTL_FAULT_REPORT="$results/fault-report-installed.md" \
    dotnet test QueueCtl.sln -c Release --no-build -nologo \
    --filter "FullyQualifiedName~QueueCtl.Tests.Cli|FullyQualifiedName~QueueCtl.Tests.Processes|FullyQualifiedName~QueueCtl.Tests.SmokeTests|FullyQualifiedName~SecureRandomTests|FullyQualifiedName~WorkerKillTests|FullyQualifiedName~FrozenWorkerTests|FullyQualifiedName~HostileInputTests" \
    --logger "trx;LogFilePrefix=installed" --results-directory "$results" || status=1
else
  echo "install.sh failed: the installed queuectl was not tested"; status=1
fi

# The fault campaign's tables (tests/QueueCtl.Tests/Faults): lost / run twice / integrity must all be 0.
if [ -f "$results/fault-report.md" ]; then echo; cat "$results/fault-report.md"; fi
if [ -f "$results/fault-report-installed.md" ]; then echo; echo "Against the installed queuectl:"; cat "$results/fault-report-installed.md"; fi

echo "== PowerShell script check (tree-sitter grammar, cmdlet surface)"
if [ ! -d tools/check-powershell/node_modules ]; then
  npm ci --prefix tools/check-powershell --no-audit --no-fund || exit 1  # first run on a fresh clone
fi
node tools/check-powershell/check.mjs || status=1

if command -v pwsh >/dev/null 2>&1; then
  echo "== Pester"
  pwsh -NoProfile -NonInteractive -File build.ps1 -Task Pester -Configuration Release || status=1
else
  echo "Pester: SKIPPED (pwsh not installed)"
fi

exit $status
