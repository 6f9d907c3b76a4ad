#!/usr/bin/env bash
# The workshop's screen under a room's load, measured from the outside in
# a real terminal (tmux), on a release build:
#
# `popscope workshop --students 200` runs in a private tmux server at
# 120x36. Before any load, and then while `popscope load` runs 200
# clients at once through its POP3 port (each client its own student:
# connect, log in in cleartext, STAT, RETR every message, QUIT, again),
# the `r` key (show / hide passwords) is pressed every PROBE_MS and the
# time until the Wall's frame says so is taken by polling tmux. The
# figures include tmux and the polling, so they are an upper bound on the
# screen's own answer. The workshop's RSS is sampled at each probe.
#
#   bash scripts/workshop-speed.sh          # PROBES=30 PROBE_MS=200 CLIENTS=200
set -euo pipefail

PROBES=${PROBES:-30}
PROBE_MS=${PROBE_MS:-200}
CLIENTS=${CLIENTS:-200}

cd "$(dirname "$0")/.."
if [[ -z ${SKIP_BUILD:-} ]]; then
    cargo build --release --bin popscope
fi
BIN=$PWD/target/release/popscope

WORK=$(mktemp -d)
SOCK=$WORK/tmux.sock
LOAD=
cleanup() {
    [[ -n $LOAD ]] && kill "$LOAD" 2>/dev/null || true
    tmux -S "$SOCK" kill-server 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
t() { tmux -S "$SOCK" "$@"; }
now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
p99() { sort -n | awk '{a[NR]=$1} END {i=int(NR*0.99+0.999); if (i>NR) i=NR; print a[i]}'; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

cd "$WORK"
t new-session -d -x 120 -y 36 -s ws \
    "exec env XDG_STATE_HOME=$WORK/state POPSCOPE_DATA_DIR=$WORK/data LANG=en_GB.UTF-8 \
     $BIN workshop --students $CLIENTS --pop3 127.0.0.1:0 --pop3s 127.0.0.1:0 --sheet $WORK/sheet.txt"
PID=$(t display-message -p -t ws '#{pane_pid}')
for _ in $(seq 100); do
    t capture-pane -p -t ws | grep -q 'Wall of Sheep' && break
    sleep 0.1
done
HEADER=$(t capture-pane -p -t ws | head -1)
POP3=$(sed -n 's/.*POP3 with STLS \([0-9.:]*\).*/\1/p' <<<"$HEADER")
[[ -n $POP3 ]] || { echo "no POP3 address in: $HEADER"; exit 1; }
echo "workshop pid $PID, POP3 at $POP3"

shown=0
# Press r and set MS to the milliseconds until the Wall's frame shows the
# new state. (A global, not output: a command substitution would lose
# `shown`.)
probe() {
    local sent
    sent=$(now_ns)
    t send-keys -t ws r
    if ((shown)); then
        until ! t capture-pane -p -t ws | grep -q 'passwords shown'; do
            (($(now_ns) - sent < 5000000000)) || { echo "no answer in 5 s" >&2; break; }
        done
        shown=0
    else
        until t capture-pane -p -t ws | grep -q 'passwords shown'; do
            (($(now_ns) - sent < 5000000000)) || { echo "no answer in 5 s" >&2; break; }
        done
        shown=1
    fi
    MS=$(awk -v d=$(($(now_ns) - sent)) 'BEGIN {printf "%.1f", d/1e6}')
}
# Run the probes; print their times, and leave the largest RSS seen in
# $WORK/rss (this runs in a command substitution, whose variables are lost).
run_probes() {
    local out=() max=0 r
    for _ in $(seq "$PROBES"); do
        sleep "$(awk -v ms="$PROBE_MS" 'BEGIN {print ms/1000}')"
        probe
        out+=("$MS")
        r=$(rss_kib "$PID")
        ((r > max)) && max=$r
    done
    echo "$max" > "$WORK/rss"
    printf '%s\n' "${out[@]}"
}

echo "== keys with no load ($PROBES probes) =="
BASE=$(run_probes)
echo "median $(median <<<"$BASE") ms, p99 $(p99 <<<"$BASE") ms, RSS $(rss_kib "$PID") KiB"

SECONDS_LOAD=$(awk -v n="$PROBES" -v ms="$PROBE_MS" 'BEGIN {print int(n*ms/1000*3)+10}')
echo "== keys while $CLIENTS clients log in and fetch through the workshop ($SECONDS_LOAD s) =="
"$BIN" load --addr "$POP3" --mode plain --clients "$CLIENTS" --seconds "$SECONDS_LOAD" \
    --users "$WORK/popscope-workshop-users.txt" --label workshop > "$WORK/load.txt" 2>&1 &
LOAD=$!
sleep 3
BUSY=$(run_probes)
echo "median $(median <<<"$BUSY") ms, p99 $(p99 <<<"$BUSY") ms, peak RSS during the load $(cat "$WORK/rss") KiB"
wait "$LOAD" || true
LOAD=
tail -1 "$WORK/load.txt"
echo "after the load: RSS $(rss_kib "$PID") KiB; the wall:"
t capture-pane -p -t ws | sed -n 2p
