# Sourced by ./condensa and tools/test: installs what a fresh Debian machine lacks (apt, when root), checks the SDK,
# and sets the allocator and OpenMP tuning for libtorch. Prints what to install when it cannot do it itself.
condensa_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

condensa_setup() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "condensa: the .NET 10 SDK is needed (no 'dotnet' on PATH); install it from https://dot.net and run again." >&2
    return 1
  fi
  local missing=()
  [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)
  [ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "condensa: installing ${missing[*]} with apt-get" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >&2 \
        || { echo "condensa: apt-get install ${missing[*]} failed" >&2; return 1; }
    else
      echo "condensa: missing Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]}); continuing" >&2
    fi
  fi
  # glibc's default allocator mmaps and unmaps every large tensor; libtorch (PyTorch too) ran 1.3-2.7x faster here
  # without that churn. Kept if the user set their own; CONDENSA_MALLOC=default opts out.
  if [ -z "${GLIBC_TUNABLES+x}" ] && [ "${CONDENSA_MALLOC:-tuned}" != default ]; then
    export GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=17179869184
  fi
  # libgomp's idle threads spin for 300,000 rounds after each parallel region (GOMP_SPINCOUNT) and keep a core busy
  # while Condensa's own kernels (the fused first ConvNet block) run on .NET threads; 10,000 rounds trained 7-11 %
  # faster here. Kept if the user set their own.
  [ -n "${GOMP_SPINCOUNT+x}" ] || export GOMP_SPINCOUNT=10000
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
}

# True when a source file is newer than $1 (or $1 is missing).
condensa_stale() {
  [ -f "$1" ] || return 0
  [ -n "$(find "$condensa_root/Framework" "$condensa_root/Methods" "$condensa_root/Scenarios" "$condensa_root/Directory.Build.props" \
      "$condensa_root/Directory.Build.targets" "$condensa_root/Directory.Packages.props" \
      \( -path '*/bin' -o -path '*/obj' \) -prune -o \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' \) \
      -newer "$1" -print -quit)" ]
}
