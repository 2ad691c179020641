# Sourced by the side-by-side benchmarks in tools/bench: runs Condensa and the PyTorch reference
# (tools/bench/reference/reference.py on Debian's python3-torch) in one invocation, interleaved, round by round:
# Condensa in bfloat16, Condensa in float32, Condensa on plain libtorch layers (CONDENSA_KERNELS=plain), the reference
# in float32 and under bfloat16 autocast; at least 3 rounds, medians with their spread. Both sides get the same
# threads and the same environment: the allocator settings of tools/setup.sh (with glibc's default allocator, which
# unmaps every large tensor it frees, the reference trained at 87 img/s against 690 on 2026-12-04) and, by default,
# libgomp's own spinning
# (no GOMP_SPINCOUNT); BENCH_ENVIRONMENT=tuned gives both sides the launcher's GOMP_SPINCOUNT too.
bench_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$bench_root/tools/setup.sh"
condensa_setup
reference_python=/usr/bin/python3
threads=${BENCH_THREADS:-2}
case "${BENCH_ENVIRONMENT:-untuned}" in
  untuned) unset GOMP_SPINCOUNT ;;
  tuned) ;;
  *) echo "bench: BENCH_ENVIRONMENT is '$BENCH_ENVIRONMENT' (allowed: untuned, tuned)" >&2; exit 2 ;;
esac

# Makes sure Debian's python3-torch is there: installs it with apt when root, otherwise says what to install.
require_reference() {
  if "$reference_python" -c "import torch" 2>/dev/null; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bench: installing python3-torch (the reference side) with apt-get" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch) >&2 \
      || { echo "bench: apt-get install python3-torch failed" >&2; exit 1; }
  else
    echo "bench: the reference side needs Debian's python3-torch: sudo apt-get install python3-torch" >&2
    exit 1
  fi
}

# The value of KEY in a line of key=value pairs.
value_of() { echo "$2" | tr ' ' '\n' | grep "^$1=" | head -n 1 | cut -d= -f2; }

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# The spread of the values: min-max.
spread() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }

# Runs a command and prints its last line (its key=value pairs); on failure prints its output and stops the bench.
last_line() {
  local out
  if ! out=$("$@" 2>&1); then echo "bench: failed: $*" >&2; echo "$out" | tail -n 30 >&2; exit 1; fi
  echo "$out" | tail -n 1
}

# The machine's measured limits, in this invocation: conv and matmul GFLOP/s in float32 and bfloat16.
measure_peak() {
  peak_line=$(last_line dotnet "$bench_root/Scenarios/bin/Release/net10.0/condensa.dll" bench peak --threads "$threads")
  echo "peak: $peak_line"
}

# print_peak_fraction LABEL [KEY]: the fraction of the measured limit (measure_peak first) that Condensa reached in
# bfloat16 (or in float32 for a float32-only bench): the median of its runs' KEY= (default gflops) over the
# convolution GFLOP/s of the number format it computed in (its precision=); sets peak_fraction.
print_peak_fraction() {
  local label="$1" key="${2:-gflops}" format limit achieved line
  local -a values=()
  for line in "${condensa_lines[@]}"; do values+=("$(value_of "$key" "$line")"); done
  format=$(value_of precision "${condensa_lines[0]}"); achieved=$(median "${values[@]}")
  limit=$(value_of "conv_${format}_gflops" "$peak_line")
  peak_fraction=$(awk -v g="$achieved" -v l="$limit" 'BEGIN { printf "%.3f", g / l }')
  echo "Condensa $label: median $achieved GFLOP/s [$(spread "${values[@]}")] in $format = $peak_fraction of this machine's $format convolution limit ($limit GFLOP/s)"
}

# side_by_side LABEL "KEY..." "CONDENSA BENCH ARGS" "REFERENCE ARGS" [ROUNDS] [FORMATS]
# ROUNDS rounds (default and minimum 3), each: Condensa with --precision auto (bfloat16 on this CPU) and --precision
# float32, Condensa on plain libtorch layers in bfloat16, the reference in float32 and under bfloat16 autocast.
# FORMATS "float32" is for a Condensa bench without --precision (it computes in float32): then its float32 run is
# the only Condensa column besides the plain one. For every KEY prints each column's median [min-max] and sets
# ours16, ours32, plain, ref32, ref16 (medians) and the ratios Condensa / other side: bf16[KEY] (bfloat16 against
# bfloat16 autocast), f32[KEY] (float32 against float32), mixed[KEY] (Condensa bfloat16 against reference float32)
# and kernels[KEY] (Condensa's kernels against plain libtorch layers, same format). For a rate above 1 is faster,
# for seconds below 1 is faster.
declare -A ours16 ours32 plain ref32 ref16 bf16 f32 mixed kernels
side_by_side() {
  local label="$1" keys="$2" mine="$3" theirs="$4" rounds="${5:-3}" formats="${6:-auto float32}"
  local app="$bench_root/Scenarios/bin/Release/net10.0/condensa.dll" reference="$bench_root/tools/bench/reference/reference.py"
  [ "$rounds" -ge 3 ] || { echo "bench: $label: $rounds rounds; at least 3 (a median needs them)" >&2; exit 2; }
  local fast=auto; [ "$formats" = float32 ] && fast=float32
  local -a c16=() c32=() cp=() a=() b=()
  local i flag16="--precision auto" flag32="--precision float32"
  [ "$formats" = float32 ] && { flag16=""; flag32=""; }
  for ((i = 0; i < rounds; i++)); do
    echo "bench: $label round $((i + 1)) of $rounds" >&2
    [ "$fast" = auto ] && c16+=("$(last_line dotnet "$app" bench $mine $flag16 --threads "$threads")")
    c32+=("$(last_line dotnet "$app" bench $mine $flag32 --threads "$threads")")
    cp+=("$(CONDENSA_KERNELS=plain last_line dotnet "$app" bench $mine $flag16 --threads "$threads")")
    a+=("$(last_line "$reference_python" "$reference" $theirs --threads "$threads" --precision float32)")
    b+=("$(last_line "$reference_python" "$reference" $theirs --threads "$threads" --precision bfloat16)")
  done
  [ "$fast" = float32 ] && c16=("${c32[@]}")
  local key line
  for key in $keys; do
    local -a v16=() v32=() vp=() va=() vb=()
    for line in "${c16[@]}"; do v16+=("$(value_of "$key" "$line")"); done
    for line in "${c32[@]}"; do v32+=("$(value_of "$key" "$line")"); done
    for line in "${cp[@]}"; do vp+=("$(value_of "$key" "$line")"); done
    for line in "${a[@]}"; do va+=("$(value_of "$key" "$line")"); done
    for line in "${b[@]}"; do vb+=("$(value_of "$key" "$line")"); done
    ours16[$key]=$(median "${v16[@]}"); ours32[$key]=$(median "${v32[@]}"); plain[$key]=$(median "${vp[@]}")
    ref32[$key]=$(median "${va[@]}"); ref16[$key]=$(median "${vb[@]}")
    bf16[$key]=$(awk -v x="${ours16[$key]}" -v y="${ref16[$key]}" 'BEGIN { printf "%.3f", x / y }')
    f32[$key]=$(awk -v x="${ours32[$key]}" -v y="${ref32[$key]}" 'BEGIN { printf "%.3f", x / y }')
    mixed[$key]=$(awk -v x="${ours16[$key]}" -v y="${ref32[$key]}" 'BEGIN { printf "%.3f", x / y }')
    kernels[$key]=$(awk -v x="${ours16[$key]}" -v y="${plain[$key]}" 'BEGIN { printf "%.3f", x / y }')
    echo "$label $key, medians [min-max] of $rounds rounds:"
    [ "$fast" = auto ] && echo "  Condensa bfloat16        ${ours16[$key]} [$(spread "${v16[@]}")]"
    echo "  Condensa float32         ${ours32[$key]} [$(spread "${v32[@]}")]"
    echo "  Condensa, plain layers   ${plain[$key]} [$(spread "${vp[@]}")] ($([ "$fast" = auto ] && echo bfloat16 || echo float32), CONDENSA_KERNELS=plain)"
    echo "  reference float32        ${ref32[$key]} [$(spread "${va[@]}")]"
    echo "  reference bf16 autocast  ${ref16[$key]} [$(spread "${vb[@]}")]"
    if [ "$fast" = auto ]; then
      echo "  ratios: bfloat16 / bf16 autocast ${bf16[$key]}, float32 / float32 ${f32[$key]}, Condensa bfloat16 / reference float32 ${mixed[$key]}, kernels / plain layers ${kernels[$key]}"
    else
      echo "  ratios: float32 / float32 ${f32[$key]}, Condensa float32 / reference bf16 autocast ${bf16[$key]}, kernels / plain layers ${kernels[$key]}"
    fi
  done
  condensa_lines=("${c16[@]}")
}

# Builds Condensa (Release) when its sources changed, so no timed run pays for a build.
"$bench_root/condensa" methods > /dev/null
require_reference
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), bf16: $(grep -qw avx512_bf16 /proc/cpuinfo && echo avx512_bf16 || echo none); $threads threads; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "environment (both sides): ${BENCH_ENVIRONMENT:-untuned}: GOMP_SPINCOUNT=${GOMP_SPINCOUNT:-unset}, allocator ${GLIBC_TUNABLES:-glibc default}"
echo "Condensa: TorchSharp-cpu $(grep -o 'TorchSharp-cpu" Version="[^"]*' "$bench_root/Directory.Packages.props" | cut -d'"' -f3), libtorch $(ls "${NUGET_PACKAGES:-$HOME/.nuget/packages}/libtorch-cpu-linux-x64" 2>/dev/null | sort -V | tail -n 1), NNPACK off"
echo "reference: $("$reference_python" "$bench_root/tools/bench/reference/reference.py" version) (older and slower than a current PyTorch: part of every ratio is the library version)"
