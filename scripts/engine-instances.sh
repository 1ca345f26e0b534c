#!/usr/bin/env bash
# engine-instances.sh: the generated instance set the allocation engine is
# measured on (scheduler/BENCHMARKS.md), fixed before any tuning. The files
# are large (a large instance is ~1 MB) and stay out of git: this script
# regenerates them, deterministically.
#
#   scripts/engine-instances.sh BENCH_DIR OUT_DIR
#
# BENCH_DIR is a writable copy of the design documents' bench/ folder
# (gen_instance.py, milp_solve.py, perturb.py; CBC: apt-get install -y
# coinor-cbc). Writes OUT_DIR/<name>.json for:
#   s40..s45, m40..m45, l40..l45   small, medium, large, seeds 40-45
#   mv-<variant>                    each variant option of gen_instance.py at
#                                   medium size, seed 50
#   mm40..mm42, lm40..lm45          the mature-programme shape (8 projects per
#                                   school, 40 % third-year classes, a third
#                                   of 2-pack projects, 75 % trained, sector
#                                   caps without slack) at medium and large
#                                   size
# and for each one a re-run <name>-rerun: perturb.py on CBC's optimal plan
# of it, as of week 7 (after Toussaint), or week 21 (after the winter
# break: most loans of the published plan started and locked) for the
# mature shape. CBC's plans of the base instances go to OUT_DIR/cbc/.
set -euo pipefail
BENCH=$(cd "$1" && pwd); mkdir -p "$2/cbc"; OUT=$(cd "$2" && pwd)
MATURE="--per-school 8 --year-thresholds 0.20,0.60 --training-rate 0.75 --class-size-shift 1.5 --sector-cap-slack 1.0"
gen() { # name size seed [options…]
	local name=$1 size=$2 seed=$3; shift 3
	[ -f "$OUT/$name.json" ] || (cd "$BENCH" && python3 gen_instance.py "$size" --seed "$seed" --name "$name" --out "$OUT" "$@" >/dev/null)
}
rerun() { # name today_week
	local name=$1 week=$2
	[ -f "$OUT/$name-rerun.json" ] && return
	(cd "$BENCH" && python3 milp_solve.py "$OUT/$name.json" --solver cbc --threads 2 \
		--plan-out "$OUT/cbc/$name.plan.json" --result-out "$OUT/cbc/$name.result.json" >"$OUT/cbc/$name.log" 2>&1)
	(cd "$BENCH" && python3 perturb.py "$OUT/$name.json" "$OUT/cbc/$name.plan.json" --today-week "$week" --seed 1 --out "$OUT/$name-rerun.json" >/dev/null)
}
for seed in 40 41 42 43 44 45; do
	gen "s$seed" small "$seed"; rerun "s$seed" 7
	gen "m$seed" medium "$seed"; rerun "m$seed" 7
	gen "l$seed" large "$seed"; rerun "l$seed" 7
done
gen mv-packs medium 50 --packs 30
gen mv-projects medium 50 --projects 800
gen mv-sectors medium 50 --sectors 24
gen mv-perschool medium 50 --per-school 6
gen mv-year medium 50 --year-thresholds 0.20,0.60
gen mv-ext medium 50 --ext-thresholds 0.40,0.70
gen mv-classsize medium 50 --class-size-shift 1.5
gen mv-training medium 50 --training-rate 0.4
gen mv-exclusion medium 50 --exclusion-rate 0.35
gen mv-sectorcap medium 50 --sector-cap-slack 1.0
for v in packs projects sectors perschool year ext classsize training exclusion sectorcap; do rerun "mv-$v" 7; done
for seed in 40 41 42; do
	# shellcheck disable=SC2086
	gen "mm$seed" medium "$seed" $MATURE; rerun "mm$seed" 21
done
for seed in 40 41 42 43 44 45; do
	# shellcheck disable=SC2086
	gen "lm$seed" large "$seed" $MATURE; rerun "lm$seed" 21
done
ls "$OUT"/*.json | wc -l
