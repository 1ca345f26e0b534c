#!/usr/bin/env bash
# abcompare.sh: two builds of the allocation engine against each other and
# against CBC, on the same instances, back to back at real-time priority
# (chrt -f 50, as scripts/cbccompare.sh).
#
#   scripts/abcompare.sh BENCH_DIR OLD_BIN NEW_BIN INSTANCE...
#
# For each instance: CBC once with 2 threads (its solve_wall_s), then the
# two builds alternately, 5 runs each; prints each build's Z (and its ratio
# to CBC's optimum) and the median of Stats.Elapsed in milliseconds.
set -euo pipefail
BENCH=$(cd "$1" && pwd); OLD=$2; NEW=$3; shift 3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
elapsed() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['stats']['elapsed_ns']/1e6)" "$1"; }
for f in "$@"; do
	f=$(cd "$(dirname "$f")" && pwd)/$(basename "$f")
	n=$(basename "$f" .json)
	(cd "$BENCH" && chrt -f 50 python3 milp_solve.py "$f" --solver cbc --threads 2 --result-out "$tmp/cbc.json" >/dev/null 2>&1)
	to=(); tn=()
	for _ in 1 2 3 4 5; do
		chrt -f 50 "$OLD" plan solve --instance "$f" --out "$tmp/old.json" >/dev/null 2>&1
		to+=("$(elapsed "$tmp/old.json")")
		chrt -f 50 "$NEW" plan solve --instance "$f" --out "$tmp/new.json" >/dev/null 2>&1
		tn+=("$(elapsed "$tmp/new.json")")
	done
	mo=$(printf '%s\n' "${to[@]}" | sort -g | sed -n 3p)
	mn=$(printf '%s\n' "${tn[@]}" | sort -g | sed -n 3p)
	python3 - "$n" "$tmp" "$mo" "$mn" <<'PY'
import json, sys
n, tmp, mo, mn = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
cbc = json.load(open(tmp + "/cbc.json"))
old, new = json.load(open(tmp + "/old.json")), json.load(open(tmp + "/new.json"))
c, opt = cbc["solve_wall_s"], cbc["objective_evaluator"]
print("%-16s cbc=%.3fs opt=%d | old Z=%d (%.5f) %.1fms 1/%.1f | new Z=%d (%.5f) ub=%d %.1fms 1/%.1f" % (
    n, c, opt, old["objective"], old["objective"] / opt, mo, c * 1000 / mo,
    new["objective"], new["objective"] / opt, new["upper_bound"], mn, c * 1000 / mn))
PY
done
