#!/usr/bin/env bash
# Installs the queuectl command for this user: PREFIX/lib/queuectl/ holds the program and
# PREFIX/bin/queuectl links to it (PREFIX defaults to ~/.local).
#
# It is built for the newest .NET runtime on this machine, ahead of time (ReadyToRun): a
# runtime only uses precompiled code made for its own major version, and without it every
# queuectl process spends ~50 ms compiling itself before it does anything (bench/README.md).
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: ./install.sh [--prefix DIR] [--framework netN.0]
  --prefix DIR        install into DIR/lib/queuectl and link DIR/bin/queuectl (default: ~/.local)
  --framework netN.0  build for this .NET version instead of the newest runtime installed (8 or later)
EOF
}

fail() { echo "install.sh: $1" >&2; exit "${2:-1}"; }

prefix="${HOME}/.local"
framework=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] && [ -n "$2" ] || fail "--prefix needs a folder, for example --prefix ~/.local." 2; prefix="$2"; shift 2 ;;
    --framework) [ $# -ge 2 ] || fail "--framework needs a version, for example --framework net8.0." 2; framework="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; fail "unknown argument '$1'." 2 ;;
  esac
done

case "$prefix" in /*) ;; *) prefix="$PWD/$prefix" ;; esac  # relative to where it was run, not to the repository
cd "$(dirname "$0")"

command -v dotnet >/dev/null 2>&1 || fail "the .NET SDK (dotnet) is not on PATH. Install the .NET 8 or later SDK first: https://dot.net"

# The runtime to build for: the newest installed that this SDK can target.
sdk_major=$(dotnet --version | cut -d. -f1)
runtime_major=$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { split($2, v, "."); if (v[1] > max) max = v[1] } END { print max + 0 }')
if [ -z "$framework" ]; then
  major=$(( runtime_major < sdk_major ? runtime_major : sdk_major ))
  framework="net${major}.0"
fi
case "$framework" in
  net[0-9].0|net[0-9][0-9].0) major=${framework#net}; major=${major%.0} ;;
  *) fail "--framework '$framework' is not a .NET version; give one like net8.0 or net10.0." 2 ;;
esac
[ "$major" -ge 8 ] || fail "queuectl needs .NET 8 or later; '$framework' is older. Install a newer .NET runtime." 2
[ "$major" -le "$runtime_major" ] || echo "install.sh: note: no .NET $major runtime is installed here (newest: $runtime_major); queuectl will roll forward to it without its precompiled code." >&2

# Build away from the source tree (its obj/ folders stay as they are) and swap the result in
# only when it is complete, so a failed install leaves the previous one working.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
publish() {
  dotnet publish src/QueueCtl.Cli/QueueCtl.Cli.csproj -c Release -nologo -v q \
    --use-current-runtime --self-contained false -p:QueueCtlCliFramework="$framework" \
    --artifacts-path "$work/artifacts" -o "$work/queuectl" "$@" >"$work/log" 2>&1
}
compiled="ReadyToRun"
if ! publish -p:PublishReadyToRun=true; then
  # The ReadyToRun compiler is a NuGet package; without it queuectl still works, only starts slower.
  echo "install.sh: could not precompile queuectl (first error below); installing it without ReadyToRun." >&2
  grep -m1 -E 'error|rror:' "$work/log" >&2 || tail -n 3 "$work/log" >&2
  compiled="JIT only"
  rm -rf "$work/queuectl"
  publish || { cat "$work/log" >&2; fail "dotnet publish failed (output above)."; }
fi

lib="$prefix/lib/queuectl"
mkdir -p "$prefix/lib" "$prefix/bin"
rm -rf "$lib.new" "$lib.old"
cp -R "$work/queuectl" "$lib.new"
[ ! -e "$lib" ] || mv "$lib" "$lib.old"
mv "$lib.new" "$lib"
rm -rf "$lib.old"
ln -sfn "../lib/queuectl/queuectl" "$prefix/bin/queuectl"

echo "installed queuectl ($framework, $compiled) in $lib"
echo "command: $prefix/bin/queuectl"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "$prefix/bin is not on your PATH; add it, for example: echo 'export PATH=\"$prefix/bin:\$PATH\"' >> ~/.bashrc" ;;
esac
