#!/usr/bin/env bash
# Measures the lab screen (`popscope` with no subcommand) from the outside,
# in a real terminal (tmux), on a release build:
#
# 1. First frame: RUNS starts with POPSCOPE_FIRST_FRAME_MS=1 and
#    POPSCOPE_EXIT_AFTER_FIRST_FRAME=1 (the hidden hook in src/tui/run.rs).
#    Each run logs the milliseconds from the top of main() to the end of the
#    first drawn frame and quits; the minimum and median are reported.
# 2. Idle: one ordinary start, left alone for IDLE_SECONDS once the lab is
#    up. CPU is utime+stime of the whole process from /proc/PID/stat, as a
#    percentage of one core; the bytes the screen writes to the terminal in
#    that window are counted too (tmux pipe-pane), since a redraw always
#    writes something and so zero bytes means no redraw happened.
# 3. Big RETR (BIG_MB=0 skips it): a message of BIG_MB MiB is dropped into
#    the lab's temporary maildir (the lab keeps it under TMPDIR, which this
#    script points at its own directory, and reads new/ at login), alice
#    logs in by typed commands and RETRs it, and while the transfer runs a
#    key is typed every PROBE_MS and the time until it shows on the screen
#    is taken by polling tmux. The process's RSS is sampled at each probe.
#    The latency includes tmux and the polling (a capture every few ms), so
#    it is an upper bound on the screen's own answer time. The peak RSS is
#    given twice: since start (VmHWM), which includes the login, and during
#    the RETR alone (VmHWM reset through /proc/PID/clear_refs just before).
#
# Everything runs on a private tmux server (its own socket), which is
# killed on exit together with any popscope it started.
#
#   bash scripts/tui-speed.sh              # RUNS=10 IDLE_SECONDS=10 BIG_MB=100
set -euo pipefail

RUNS=${RUNS:-10}
IDLE_SECONDS=${IDLE_SECONDS:-10}
BIG_MB=${BIG_MB:-100}
PROBE_MS=${PROBE_MS:-100}

cd "$(dirname "$0")/.."
if [[ -z ${SKIP_BUILD:-} ]]; then
    cargo build --release --bin popscope
fi
BIN=$PWD/target/release/popscope

WORK=$(mktemp -d)
SOCK=$WORK/tmux.sock
PIDS=()
cleanup() {
    tmux -S "$SOCK" kill-server 2>/dev/null || true
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

t() { tmux -S "$SOCK" "$@"; }
now_ns() { date +%s%N; }
# Every run gets its own log directory and temporary directory, so the log
# read back and the maildir found are this run's and no one else's.
env_for() {
    local dir=$1
    mkdir -p "$dir/state" "$dir/tmp"
    echo "XDG_STATE_HOME=$dir/state TMPDIR=$dir/tmp"
}

# Wait (up to $2 seconds) for tmux session $1 to end.
wait_gone() {
    local deadline=$((SECONDS + $2))
    while t has-session -t "$1" 2>/dev/null; do
        ((SECONDS < deadline)) || return 1
        sleep 0.02
    done
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }

echo "== first frame ($RUNS runs, 120x36) =="
FIRST=()
for i in $(seq 1 "$RUNS"); do
    dir=$WORK/ff$i
    vars=$(env_for "$dir")
    t new-session -d -x 120 -y 36 -s "ff$i" \
        "env $vars POPSCOPE_FIRST_FRAME_MS=1 POPSCOPE_EXIT_AFTER_FIRST_FRAME=1 $BIN --log info"
    wait_gone "ff$i" 15 || { echo "run $i did not exit"; exit 1; }
    ms=$(grep -ho 'first frame drawn [0-9.]* ms' "$dir"/state/popscope/popscope.log | awk '{print $4}')
    [[ -n $ms ]] || { echo "run $i logged no first frame"; exit 1; }
    echo "run $i: $ms ms"
    FIRST+=("$ms")
done
printf '%s\n' "${FIRST[@]}" | sort -n | awk 'NR==1 {printf "first frame: min %s ms", $1}'
printf ', median %s ms (goal < 150 ms)\n' "$(printf '%s\n' "${FIRST[@]}" | median)"

# Start the lab screen normally in session $1 (working directory $2) and
# print its process id once it runs.
start_screen() {
    local vars
    vars=$(env_for "$2")
    t new-session -d -x 120 -y 36 -s "$1" "exec env $vars $BIN"
    local pid
    t display-message -p -t "$1" '#{pane_pid}'
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

echo "== idle ($IDLE_SECONDS s, after 3 s to settle) =="
PID=$(start_screen idle "$WORK/idle")
PIDS+=("$PID")
sleep 3
HZ=$(getconf CLK_TCK)
t pipe-pane -t idle -o "cat >> $WORK/idle.out"
sleep 0.2
touch "$WORK/idle.out"
before=$(ticks "$PID")
b0=$(stat -c %s "$WORK/idle.out")
t0=$(now_ns)
sleep "$IDLE_SECONDS"
after=$(ticks "$PID")
b1=$(stat -c %s "$WORK/idle.out")
t1=$(now_ns)
awk -v d=$((after - before)) -v hz="$HZ" -v ns=$((t1 - t0)) \
    'BEGIN {printf "idle CPU: %d ticks in %.1f s = %.2f%% of one core\n", d, ns/1e9, 100*d/hz/(ns/1e9)}'
echo "bytes written to the terminal while idle: $((b1 - b0))"
echo "idle RSS: $(rss_kib "$PID") KiB"
t kill-session -t idle
wait_gone idle 5 || kill "$PID" 2>/dev/null || true

if ((BIG_MB == 0)); then
    exit 0
fi

echo "== keys during RETR of a $BIG_MB MiB message (probe every $PROBE_MS ms) =="
dir=$WORK/big
PID=$(start_screen big "$dir")
PIDS+=("$PID")
# The lab writes the demo maildir into a fresh directory under TMPDIR; wait
# for alice's to appear.
maildir=
for _ in $(seq 100); do
    maildir=$(find "$dir/tmp" -mindepth 2 -maxdepth 2 -type d -name alice 2>/dev/null | head -1)
    [[ -n $maildir && -d $maildir/cur ]] && break
    sleep 0.05
done
[[ -n $maildir ]] || { echo "no maildir for alice under $dir/tmp"; exit 1; }
# A name that sorts after the demo's, so the big message is the last one.
{
    printf 'From: big@example.org\nTo: alice@example.org\nSubject: big\n\n'
    # yes dies of SIGPIPE when head has enough; that is not a failure.
    { yes 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' || true; } |
        head -c $((BIG_MB * 1024 * 1024))
} > "$maildir/tmp/9999999999.big.lab"
mv "$maildir/tmp/9999999999.big.lab" "$maildir/new/9999999999.big.lab"
# Write the new file out now, so the kernel's writeback of it does not
# compete with the transfer being measured.
sync
n=$(($(find "$maildir/cur" -type f | wc -l) + 1))
sleep 1
t send-keys -t big -l 'USER alice'
t send-keys -t big Enter
sleep 0.3
t send-keys -t big -l 'PASS wonderland'
t send-keys -t big Enter
sleep 1
rss0=$(rss_kib "$PID")
io() { awk '/^rchar/ {print $2}' "/proc/$1/io"; }
# The typed keys follow a marker that appears nowhere else on the screen
# (the help line says QUIT, so a run of Qs alone would not do).
MARK=zqj
typed=
# Type one more Q and set MS to the milliseconds until the screen shows
# it. (A global, not output: a command substitution would lose `typed`.)
probe() {
    typed+=Q
    local sent
    sent=$(now_ns)
    t send-keys -t big -l Q
    until t capture-pane -p -t big | grep -q "$MARK$typed"; do
        if (($(now_ns) - sent > 5000000000)); then
            echo "no answer in 5 s" >&2
            break
        fi
    done
    MS=$(awk -v d=$(($(now_ns) - sent)) 'BEGIN {printf "%.1f", d/1e6}')
}
# Clear the input line and type the marker again, so it stays on screen.
retype() {
    for _ in $(seq $((${#typed} + ${#MARK}))); do t send-keys -t big BSpace; done
    t send-keys -t big -l "$MARK"
    typed=
    sleep 0.2
}
# The same probe with nothing else going on: the cost of the method
# (tmux and polling) and of an ordinary redraw, the peer for the figures
# taken during the transfer.
t send-keys -t big -l "$MARK"
sleep 0.3
BASE=()
for _ in $(seq 10); do
    sleep "$(awk -v ms="$PROBE_MS" 'BEGIN {print ms/1000}')"
    probe
    BASE+=("$MS")
done
base_median=$(printf '%s\n' "${BASE[@]}" | median)
echo "key latency with nothing running: median $base_median ms (10 probes)"
for _ in $(seq $((${#typed} + ${#MARK}))); do t send-keys -t big BSpace; done
typed=
hwm_login=$(awk '/^VmHWM/ {print $2}' "/proc/$PID/status")
# From here VmHWM is the peak of the RETR alone (Linux: "5" resets it).
retr_peak="during the RETR"
echo 5 2>/dev/null > "/proc/$PID/clear_refs" || retr_peak="since start (it could not be reset)"
t send-keys -t big -l "RETR $n"
t send-keys -t big Enter
start=$(now_ns)
t send-keys -t big -l "$MARK"
last_io=$(io "$PID")
LAT=()
MAXRSS=$rss0
for probe in $(seq 1 200); do
    sleep "$(awk -v ms="$PROBE_MS" 'BEGIN {print ms/1000}')"
    probe
    ms=$MS
    rss=$(rss_kib "$PID")
    ((rss > MAXRSS)) && MAXRSS=$rss
    cur_io=$(io "$PID")
    moved=$((cur_io - last_io))
    last_io=$cur_io
    # The process reads the message from disk and twice from sockets (tap
    # and client); while that read count keeps growing, RETR is in flight.
    if ((moved > 1048576)); then
        LAT+=("$ms")
        echo "probe $probe at +$(( ($(now_ns) - start) / 1000000 )) ms: key shown after $ms ms, RSS $rss KiB, read $((moved / 1048576)) MiB since last probe"
    elif ((${#LAT[@]} > 0)); then
        echo "transfer over by probe $probe (+$(( ($(now_ns) - start) / 1000000 )) ms), RSS $rss KiB"
        break
    fi
    if ((${#typed} >= 40)); then
        # Keep the input line short enough to stay on screen.
        retype
    fi
done
# Wait (up to 60 s) for the client pane to show the reply, so the figures
# below cover the whole RETR and the screen shows how it ended.
replied=
deadline=$((SECONDS + 60))
while ((SECONDS < deadline)); do
    # The client pane follows its newest lines, so once the message is
    # shown the "C: RETR" line has scrolled away: look for the message's
    # own lines, indented x's right after a pane's left border, which only
    # the client pane draws (the lesson pane may stand to its left); the
    # eavesdropper's copy of the bytes starts with "S→C".
    if t capture-pane -p -t big | grep -q '│   xxxxxxxxxx'; then
        replied=yes
        break
    fi
    sleep 0.1
done
if [[ -n $replied ]]; then
    echo "reply on screen at +$(( ($(now_ns) - start) / 1000000 )) ms"
else
    echo "no reply to RETR $n on the client pane after 60 s"
fi
echo "RSS before RETR $rss0 KiB, highest sampled $MAXRSS KiB, after $(rss_kib "$PID") KiB"
echo "peak RSS (VmHWM): $hwm_login KiB from start through login, $(awk '/^VmHWM/ {print $2}' "/proc/$PID/status") KiB $retr_peak"
if ((${#LAT[@]} > 0)); then
    printf '%s\n' "${LAT[@]}" | sort -n |
        awk -v base="$base_median" '{a[NR]=$1} END {m = a[int((NR+1)/2)]; printf "key latency during RETR: %d probes, min %s ms, median %s ms (%.2fx the idle median), max %s ms (goal < 50 ms)\n", NR, a[1], m, m/base, a[NR]}'
else
    echo "no probe landed while the transfer ran"
fi
t capture-pane -p -t big > "$WORK/big.screen"
cat "$WORK/big.screen"
