# Sourced by the side-by-side benchmarks in tools/bench: runs Condensa and the PyTorch reference
# (tools/bench/reference/reference.py on Debian's python3-torch) in one invocation, interleaved
# Condensa / reference float32 / reference bfloat16 autocast / Condensa, under the same allocator and thread count.
bench_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$bench_root/tools/setup.sh"
condensa_setup
reference_python=/usr/bin/python3
threads=${BENCH_THREADS:-2}

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

# print_peak_fraction LABEL [KEY]: the fraction of the measured limit (measure_peak first) that Condensa's last run
# reached, its KEY= (default gflops) over the convolution GFLOP/s of the number format it computed in (its precision=);
# sets peak_fraction.
print_peak_fraction() {
  local label="$1" key="${2:-gflops}" format limit achieved
  format=$(value_of precision "$condensa_line"); achieved=$(value_of "$key" "$condensa_line")
  limit=$(value_of "conv_${format}_gflops" "$peak_line")
  peak_fraction=$(awk -v g="$achieved" -v l="$limit" 'BEGIN { printf "%.3f", g / l }')
  echo "Condensa $label: $achieved GFLOP/s in $format = $peak_fraction of this machine's $format convolution limit ($limit GFLOP/s)"
}

# side_by_side LABEL "KEY..." "CONDENSA BENCH ARGS" "REFERENCE ARGS" [ROUNDS]
# ROUNDS rounds (default 1) of: Condensa, the reference in float32, the reference under bfloat16 autocast; then
# Condensa once more (A/B/A). For every KEY prints the medians and sets ours[KEY], ref32[KEY], ref16[KEY] and the
# ratios Condensa / reference ratio32[KEY], ratio16[KEY]: for a rate above 1 is faster, for seconds below 1 is faster.
declare -A ours ref32 ref16 ratio32 ratio16
side_by_side() {
  local label="$1" keys="$2" mine="$3" theirs="$4" rounds="${5:-1}"
  local app="$bench_root/Scenarios/bin/Release/net10.0/condensa.dll" reference="$bench_root/tools/bench/reference/reference.py"
  local -a c=() a=() b=()
  for ((i = 0; i < rounds; i++)); do
    c+=("$(last_line dotnet "$app" bench $mine --threads "$threads")")
    a+=("$(last_line "$reference_python" "$reference" $theirs --threads "$threads" --precision float32)")
    b+=("$(last_line "$reference_python" "$reference" $theirs --threads "$threads" --precision bfloat16)")
  done
  c+=("$(last_line dotnet "$app" bench $mine --threads "$threads")")
  local key line
  for key in $keys; do
    local -a vc=() va=() vb=()
    for line in "${c[@]}"; do vc+=("$(value_of "$key" "$line")"); done
    for line in "${a[@]}"; do va+=("$(value_of "$key" "$line")"); done
    for line in "${b[@]}"; do vb+=("$(value_of "$key" "$line")"); done
    ours[$key]=$(median "${vc[@]}"); ref32[$key]=$(median "${va[@]}"); ref16[$key]=$(median "${vb[@]}")
    ratio32[$key]=$(awk -v x="${ours[$key]}" -v y="${ref32[$key]}" 'BEGIN { printf "%.3f", x / y }')
    ratio16[$key]=$(awk -v x="${ours[$key]}" -v y="${ref16[$key]}" 'BEGIN { printf "%.3f", x / y }')
    printf '%s %s: Condensa %s [%s]; reference float32 %s [%s], bf16 autocast %s [%s]; ratio %s / %s\n' \
      "$label" "$key" "${ours[$key]}" "${vc[*]}" "${ref32[$key]}" "${va[*]}" "${ref16[$key]}" "${vb[*]}" "${ratio32[$key]}" "${ratio16[$key]}"
  done
  condensa_line="${c[-1]}"
}

# Builds Condensa (Release) when its sources changed, so no timed run pays for a build.
"$bench_root/condensa" methods > /dev/null
require_reference
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), bf16: $(grep -qw avx512_bf16 /proc/cpuinfo && echo avx512_bf16 || echo none); $threads threads; allocator: ${GLIBC_TUNABLES:-glibc default}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
