#!/usr/bin/env bash
# feedbench.sh: the iCal feed endpoint against nginx serving the same bytes
# as a static file, on loopback, with wrk (64 connections): requests per
# second for full answers (200) and for revalidations (304).
#
#   [ROUNDS=3] [LOOKUP_TTL=-1s] scripts/feedbench.sh [DURATION] [DB_URL]
#
# NO_OBSERVE=1 serves without the request observer (request ids, metrics,
# request log) that classemobile serve puts in front of every request.
# LOOKUP_TTL=-1s makes every request look its token up in the database
# (default: lookups reused for 1 s, see web.FeedOptions.LookupTTL).
# Each measurement runs ROUNDS times, alternating the two servers, and the
# median is reported (other work on the machine skews a single run).
# DURATION (of one wrk run) defaults to 5s; DB_URL defaults to a fresh SQLite file (pass a
# postgres:// URL to measure PostgreSQL). Needs wrk and nginx (Debian:
# apt-get install -y wrk nginx); nginx runs from a config in a temporary
# directory on port 28418 (NGINX_PORT), the feed server on 28417 (FEEDBENCH_PORT)
# and a bare net/http handler of the same bytes on 28419 (BARE_PORT); the system nginx
# configuration is not touched. Both servers are stopped at the end.
# The feed server is the one classemobile serve runs (web.HTTPServer on
# web.Listener: one write per feed response, per-write deadlines; the feed
# rate limit on, at a rate wrk cannot reach); the bare handler runs on a
# default http.Server (no timeouts, two writes for a body beyond 4 KiB).
set -euo pipefail
DURATION=${1:-5s}
ROUNDS=${ROUNDS:-3}
DB_URL=${2:-}
CONNS=64
THREADS=2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/feedbench.XXXXXX)
FEED_ADDR=127.0.0.1:${FEEDBENCH_PORT:-28417}
NGINX_PORT=${NGINX_PORT:-28418}
BARE_ADDR=127.0.0.1:${BARE_PORT:-28419}
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
for tool in wrk nginx curl go; do
	command -v "$tool" >/dev/null || { echo "feedbench: $tool not found (apt-get install -y wrk nginx curl)" >&2; exit 1; }
done

echo "== building the feed server" >&2
(cd "$ROOT" && go build -o "$WORK/feedbench" ./internal/feed/testdata/feedbench)
args=(-addr "$FEED_ADDR" -bare "$BARE_ADDR" -lookup-ttl "${LOOKUP_TTL:-0s}")
[ -n "$DB_URL" ] && args+=(-db "$DB_URL")
[ -n "${NO_OBSERVE:-}" ] && args+=(-no-observe) # without serve's request observer, for comparison
"$WORK/feedbench" "${args[@]}" >"$WORK/path" 2>"$WORK/feedbench.log" &
pids+=($!)
for _ in $(seq 600); do kill -0 "${pids[0]}" 2>/dev/null || { cat "$WORK/feedbench.log" >&2; exit 1; }; [ -s "$WORK/path" ] && curl -sf -o /dev/null "http://$FEED_ADDR$(cat "$WORK/path")" && break; sleep 0.1; done
FEED_PATH=$(cat "$WORK/path")
FEED_URL="http://$FEED_ADDR$FEED_PATH"
mkdir -p "$WORK/www"
curl -sf -o "$WORK/www/feed.ics" "$FEED_URL"
chmod 755 "$WORK" "$WORK/www" && chmod 644 "$WORK/www/feed.ics" # nginx workers run as www-data
FEED_ETAG=$(curl -sfI "$FEED_URL" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')

cat >"$WORK/nginx.conf" <<CONF
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
daemon on;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 65;
    types { text/calendar ics; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/www;
        location / {
            add_header Cache-Control "private, max-age=300";
            charset utf-8;
        }
    }
}
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK"
NGINX_URL="http://127.0.0.1:$NGINX_PORT/feed.ics"
for _ in $(seq 50); do curl -sf -o /dev/null "$NGINX_URL" && break; sleep 0.1; done
cmp -s "$WORK/www/feed.ics" <(curl -sf "$NGINX_URL") || { echo "feedbench: nginx does not serve the same bytes" >&2; exit 1; }
NGINX_ETAG=$(curl -sfI "$NGINX_URL" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $FEED_ETAG" "$FEED_URL")" = 304 ] || { echo "feedbench: feed does not answer 304" >&2; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $NGINX_ETAG" "$NGINX_URL")" = 304 ] || { echo "feedbench: nginx does not answer 304" >&2; exit 1; }

# rps URL [HEADER]: requests per second reported by wrk, after checking
# that every answer had the expected status (wrk counts non-2xx/3xx).
rps() {
	local out
	if [ $# -gt 1 ]; then
		out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -H "$2" "$1")
	else
		out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$1")
	fi
	if grep -q "Non-2xx or 3xx" <<<"$out"; then echo "feedbench: errors: $out" >&2; exit 1; fi
	echo "$out" >>"$WORK/wrk.log"
	awk '/Requests\/sec/{print $2}' <<<"$out"
}

size=$(stat -c %s "$WORK/www/feed.ics")
echo "== feed of $size bytes ($(grep -c 'BEGIN:VEVENT' "$WORK/www/feed.ics") events), wrk -t$THREADS -c$CONNS -d$DURATION x $ROUNDS rounds (alternating servers, median), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
wrk -t"$THREADS" -c"$CONNS" -d2s "$FEED_URL" >/dev/null # warm-up
wrk -t"$THREADS" -c"$CONNS" -d2s "$NGINX_URL" >/dev/null
declare -A runs
for round in $(seq "$ROUNDS"); do
	runs[feed200]+=" $(rps "$FEED_URL")"
	runs[nginx200]+=" $(rps "$NGINX_URL")"
	runs[feed304]+=" $(rps "$FEED_URL" "If-None-Match: $FEED_ETAG")"
	runs[nginx304]+=" $(rps "$NGINX_URL" "If-None-Match: $NGINX_ETAG")"
	runs[bare200]+=" $(rps "http://$BARE_ADDR$FEED_PATH")"
	runs[bare304]+=" $(rps "http://$BARE_ADDR$FEED_PATH" "If-None-Match: $FEED_ETAG")"
	echo "round $round: feed200${runs[feed200]} | nginx200${runs[nginx200]} | feed304${runs[feed304]} | nginx304${runs[nginx304]} | bare200${runs[bare200]} | bare304${runs[bare304]}" >&2
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR]=$1} END{print (NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2}'; }
printf '%-6s %12s %12s %8s %20s\n' status "feed req/s" "nginx req/s" "feed/nginx" "bare net/http req/s"
for st in 200 304; do
	f=$(median "${runs[feed$st]}")
	n=$(median "${runs[nginx$st]}")
	b=$(median "${runs[bare$st]}")
	printf '%-6s %12.0f %12.0f %9.0f%% %20.0f\n' "$st" "$f" "$n" "$(awk -v a="$f" -v b="$n" 'BEGIN{print 100*a/b}')" "$b"
done
echo "(bare net/http: the same bytes from memory by a Go handler that does nothing else, the floor of Go's HTTP server)" >&2
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
