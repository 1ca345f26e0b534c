#!/usr/bin/env bash
# killsend.sh: what a crash of the reminder job costs. Seeds 800 reminders
# for 251 recipients, runs "classemobile jobs run-once" (outbox delivery,
# 3 s leases) and kills it with SIGKILL after it wrote 1 to 4 messages,
# KILLS times, then lets a run finish; prints the kills, the messages
# written, the duplicates (a resend is kept as "<id>.2.eml": the outbox
# never overwrites) and the duplicates per kill.
#
#   [KILLS=40] [KILLSEND_DB=postgres://…] scripts/killsend.sh
#
# KILLSEND_DB defaults to a new SQLite file; a PostgreSQL URL must name an
# empty database.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
KILLSEND_KILLS=${KILLS:-40} KILLSEND_DB=${KILLSEND_DB:-} go test -count=1 -timeout 30m -run '^TestKillDuringSend$' -v ./cmd/classemobile | grep -E '^(killsend:|--- |ok|FAIL)|Error'
