#!/usr/bin/env bash
# budgetcompare.sh: the allocation engine with its whole time budget
# against CBC, back to back, both at real-time priority (chrt -f 50).
#
#   scripts/budgetcompare.sh BENCH_DIR BIN OUT_DIR [TIME_LIMIT] INSTANCE...
#
# For each instance: CBC with 2 threads (milp_solve.py, its solve_wall_s
# and optimum; a 600 s limit), then one `BIN plan solve` at TIME_LIMIT
# (default 10s, the rounds' default): the time of its first plan (the
# fixed-effort plan), the time it stopped (at a proof, or at the limit)
# and the gap left; then evaluate.py re-checks our plan. One line per
# instance on stdout: name, Z/optimum, first plan's Z/optimum, first plan
# time, end time, how it ended, gap, CBC time. The plans and CBC results go
# to OUT_DIR. (scripts/cbccompare.sh times the fixed effort, 5 runs.)
set -euo pipefail
BENCH=$(cd "$1" && pwd); BIN=$2; OUT=$3; shift 3
LIMIT=10s
if [[ $# -gt 0 && $1 =~ ^[0-9.]+(ms|s|m)$ ]]; then LIMIT=$1; shift; fi
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
for f in "$@"; do
	f=$(cd "$(dirname "$f")" && pwd)/$(basename "$f")
	n=$(basename "$f" .json)
	if [ ! -f "$OUT/$n.cbc.json" ]; then
		(cd "$BENCH" && chrt -f 50 python3 milp_solve.py "$f" --solver cbc --threads 2 --time-limit 600 --result-out "$OUT/$n.cbc.json" >"$OUT/$n.cbc.log" 2>&1)
	fi
	read -r cbc opt < <(python3 -c "import json; d=json.load(open('$OUT/$n.cbc.json')); print(d['solve_wall_s'], d['objective_evaluator'])")
	line=$(chrt -f 50 "$BIN" plan solve --instance "$f" --out "$OUT/$n.ours.json" --time-limit "$LIMIT" --progress never 2>&1 >/dev/null)
	feas=$(cd "$BENCH" && python3 evaluate.py "$f" "$OUT/$n.ours.json" --json | python3 -c "import json,sys; d=json.load(sys.stdin); print('feasible' if d['feasible'] else 'INFEASIBLE', d['objective'])")
	python3 - "$n" "$opt" "$cbc" "$line" "$feas" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import re, sys
n, opt, cbc, line, feas, load = sys.argv[1:]
kv = dict(re.findall(r'(\w+)=(\S+)', line))
def ms(v):
    m = re.match(r'([0-9.]+)(µs|ms|s|m)$', v)
    x = float(m.group(1)); u = m.group(2)
    return x * {'µs': 1e-3, 'ms': 1, 's': 1e3, 'm': 6e4}[u]
opt = float(opt); z = int(kv['objective']); z1 = int(kv['first_objective'])
print(f"{n} | {z/opt:.5f} | {z1/opt:.5f} | {ms(kv['first_plan']):.0f} ms | {ms(kv['time']):.0f} ms | {kv['stopped_by']} | gap {kv['gap']} | CBC {float(cbc):.3f} s | {feas} | load {load}")
PY
done
