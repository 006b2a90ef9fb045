#!/usr/bin/env bash
# Installs the queuectl command for this user: PREFIX/lib/queuectl/ holds the program and
# PREFIX/bin/queuectl links to it (PREFIX defaults to ~/.local).
#
# By default queuectl is compiled to native code (Native AOT): it then starts in ~25 ms instead
# of ~150-200 ms, and needs no .NET runtime to run. That takes a C toolchain (clang or gcc);
# without one, or with --framework-dependent, it is built for the newest .NET runtime on this
# machine and precompiled (ReadyToRun): a runtime only uses precompiled code made for its own
# major version. See bench/README.md for the start-up times of each.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: ./install.sh [--prefix DIR] [--framework-dependent] [--framework netN.0]
  --prefix DIR           install into DIR/lib/queuectl and link DIR/bin/queuectl (default: ~/.local)
  --framework-dependent  run on the installed .NET runtime (and get its updates) instead of native code
  --framework netN.0     build with this .NET version instead of the newest installed (8 or later)
EOF
}

fail() { echo "install.sh: $1" >&2; exit "${2:-1}"; }

prefix="${HOME}/.local"
framework=""
native=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] && [ -n "$2" ] || fail "--prefix needs a folder, for example --prefix ~/.local." 2; prefix="$2"; shift 2 ;;
    --framework) [ $# -ge 2 ] || fail "--framework needs a version, for example --framework net8.0." 2; framework="$2"; shift 2 ;;
    --framework-dependent) native=no; shift ;;
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
[ "$native" = yes ] || [ "$major" -le "$runtime_major" ] || echo "install.sh: note: no .NET $major runtime is installed here (newest: $runtime_major); queuectl will roll forward to it without its precompiled code." >&2

# Build away from the source tree (its obj/ folders stay as they are) and swap the result in
# only when it is complete, so a failed install leaves the previous one working.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
publish() {
  rm -rf "$work/queuectl"
  dotnet publish src/QueueCtl.Cli/QueueCtl.Cli.csproj -c Release -nologo -v q \
    --use-current-runtime -p:QueueCtlCliFramework="$framework" \
    --artifacts-path "$work/artifacts" -o "$work/queuectl" "$@" >"$work/log" 2>&1
}
first_error() { grep -m1 -E 'error|rror:' "$work/log" >&2 || tail -n 3 "$work/log" >&2; }
compiled=""
if [ "$native" = yes ]; then
  if publish -p:PublishAot=true; then
    compiled="native"
    rm -f "$work/queuectl/"*.dbg "$work/queuectl/"*.pdb  # debug symbols: 2x the program's size
  else
    echo "install.sh: could not compile queuectl to native code (first error below; it needs clang or gcc); building it for the .NET runtime instead." >&2
    first_error
  fi
fi
if [ -z "$compiled" ] && publish --self-contained false -p:PublishReadyToRun=true; then
  compiled="ReadyToRun"
elif [ -z "$compiled" ]; then
  # The ReadyToRun compiler is a NuGet package; without it queuectl still works, only starts slower.
  echo "install.sh: could not precompile queuectl (first error below); installing it without ReadyToRun." >&2
  first_error
  publish --self-contained false || { cat "$work/log" >&2; fail "dotnet publish failed (output above)."; }
  compiled="JIT only"
fi

lib="$prefix/lib/queuectl"
mkdir -p "$prefix/lib" "$prefix/bin"
rm -rf "$lib.new" "$lib.old"
cp -R "$work/queuectl" "$lib.new"
[ ! -e "$lib" ] || mv "$lib" "$lib.old"
mv "$lib.new" "$lib"
rm -rf "$lib.old"
ln -sfn "../lib/queuectl/queuectl" "$prefix/bin/queuectl"

echo "installed queuectl ($compiled, $framework) in $lib"
echo "command: $prefix/bin/queuectl"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "$prefix/bin is not on your PATH; add it, for example: echo 'export PATH=\"$prefix/bin:\$PATH\"' >> ~/.bashrc" ;;
esac
