#!/usr/bin/env bash
# Measures feedmerge's first poll beside yarr's on one farm, in one
# sitting: the same feeds (feedfarm), served on loopback, listed to yarr
# as OPML. Prints wall time, CPU seconds (user+sys), peak RSS, database
# size and stored items for each. The figures in docs/BENCHMARKS.md come
# from it.
#
#	docs/yarr.sh YARR_BINARY [FEEDS [ITEMS [FARM_FLAGS]]]
#
# FARM_FLAGS go to feedfarm, e.g. -regional for stories that share
# places, names, numbers and words.
#
# yarr (github.com/nkanaev/yarr) builds with CGO_ENABLED=1 and
# go build -tags "sqlite_foreign_keys sqlite_json sqlite_fts5" ./cmd/yarr.
set -euo pipefail
yarr=$(realpath "${1:?usage: docs/yarr.sh YARR_BINARY [FEEDS [ITEMS]]}")
feeds=${2:-1000}
items=${3:-20}
farmflags=${4:-}
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT

go build -o "$dir/feedmerge" ./cmd/feedmerge
go build -o "$dir/feedfarm" ./cmd/feedfarm
"$dir/feedfarm" -feeds "$feeds" -items "$items" $farmflags -config "$dir/farm.yaml" -database "$dir/feedmerge.db" 2>"$dir/farm.log" &
for _ in $(seq 600); do grep -q "listed in" "$dir/farm.log" 2>/dev/null && break; sleep 0.1; done
"$dir/feedmerge" export -format opml -config "$dir/farm.yaml" >"$dir/farm.opml"

# peak RSS in MiB, and user+sys seconds, from GNU time's -v report
report() {
  awk -F': ' '/Maximum resident/ {rss=$2/1024} /User time/ {u=$2} /System time/ {s=$2}
    END {printf "cpu %.1f s, peak RSS %.1f MiB", u+s, rss}' "$1"
}
bytes() { du -cb "$@" 2>/dev/null | tail -1 | cut -f1; }

# yarr: import the OPML (which starts its refresh), wait until no feed
# is pending, then stop it.
port=$((20000 + RANDOM % 20000))
/usr/bin/time -v -o "$dir/yarr.time" "$yarr" -addr "127.0.0.1:$port" -db "$dir/yarr.db" -log-file "$dir/yarr.log" &
for _ in $(seq 100); do curl -fso /dev/null "http://127.0.0.1:$port/api/status" && break; sleep 0.1; done
start=$(date +%s.%N)
curl -fs -F "opml=@$dir/farm.opml" "http://127.0.0.1:$port/opml/import" >/dev/null
sleep 0.2
until [ "$(curl -fs "http://127.0.0.1:$port/api/status" | jq .running)" = 0 ]; do sleep 0.05; done
end=$(date +%s.%N)
# Sizes are of the checkpointed file: a write-ahead log is not the store.
yitems=$(sqlite3 "$dir/yarr.db" 'pragma wal_checkpoint(truncate)' 'select count(*) from items' | tail -1)
ysize=$(bytes "$dir"/yarr.db*)
pkill -TERM -f -- "^$yarr -addr" || true # yarr, not the time(1) that waits for it
wait %2 2>/dev/null || true
for _ in $(seq 100); do [ -s "$dir/yarr.time" ] && break; sleep 0.1; done
printf 'yarr:      %d feeds, %d items: wall %.2f s, %s, database %.1f MiB (%d bytes an item)\n' \
  "$feeds" "$yitems" "$(echo "$end - $start" | bc)" "$(report "$dir/yarr.time")" \
  "$(echo "$ysize / 1048576" | bc -l)" "$((ysize / (yitems > 0 ? yitems : 1)))"

start=$(date +%s.%N)
/usr/bin/time -v -o "$dir/feedmerge.time" "$dir/feedmerge" once -config "$dir/farm.yaml" >/dev/null 2>"$dir/feedmerge.log"
end=$(date +%s.%N)
fitems=$(sqlite3 "$dir/feedmerge.db" 'pragma wal_checkpoint(truncate)' 'select count(*) from items' | tail -1)
fsize=$(bytes "$dir"/feedmerge.db*)
printf 'feedmerge: %d feeds, %d items: wall %.2f s, %s, database %.1f MiB (%d bytes an item)\n' \
  "$feeds" "$fitems" "$(echo "$end - $start" | bc)" "$(report "$dir/feedmerge.time")" \
  "$(echo "$fsize / 1048576" | bc -l)" "$((fsize / (fitems > 0 ? fitems : 1)))"
