#!/usr/bin/env bash
# cbccompare.sh: the allocation engine against CBC on the same instances,
# back to back, both at real-time priority (chrt -f 50) so that other work
# on the machine skews neither side.
#
#   scripts/cbccompare.sh BENCH_DIR BIN OUT_DIR INSTANCE...
#
# BENCH_DIR is a writable copy of the design documents' bench/ folder (with
# milp_solve.py and evaluate.py; CBC: apt-get install -y coinor-cbc), BIN a
# classemobile binary (go build -o BIN ./cmd/classemobile). For each
# instance: CBC with 2 threads (its solve_wall_s), then `BIN plan solve`
# 5 times (median of the printed times), then evaluate.py on our plan. One
# line per instance on stdout; the plans and CBC results go to OUT_DIR.
set -euo pipefail
BENCH=$(cd "$1" && pwd); BIN=$2; OUT=$3; shift 3
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
for f in "$@"; do
	f=$(cd "$(dirname "$f")" && pwd)/$(basename "$f")
	n=$(basename "$f" .json)
	(cd "$BENCH" && chrt -f 50 python3 milp_solve.py "$f" --solver cbc --threads 2 --result-out "$OUT/$n.cbc.json" >"$OUT/$n.cbc.log" 2>&1)
	read -r cbc opt < <(python3 -c "import json; d=json.load(open('$OUT/$n.cbc.json')); print(d['solve_wall_s'], d['objective_evaluator'])")
	ts=()
	for _ in 1 2 3 4 5; do
		line=$(chrt -f 50 "$BIN" plan solve --instance "$f" --out "$OUT/$n.ours.json" 2>&1 >/dev/null)
		ts+=("$(sed -E 's/.*time=([0-9.]+)(µs|ms|s) .*/\1 \2/' <<<"$line" | awk '{v=$1; if($2=="s")v*=1000; if($2=="µs")v/=1000; print v}')")
	done
	med=$(printf '%s\n' "${ts[@]}" | sort -g | sed -n 3p)
	feas=$(cd "$BENCH" && python3 evaluate.py "$f" "$OUT/$n.ours.json" --json | python3 -c "import json,sys; d=json.load(sys.stdin); print('feasible' if d['feasible'] else 'INFEASIBLE', d['objective'])")
	echo "$n | $line | median_ms=$med | cbc_s=$cbc | cbc_opt=$opt | $feas | load $(cut -d' ' -f1 /proc/loadavg)"
done
