#!/bin/bash
# A room's worth of load through `popscope workshop` (200 students, each
# client its own account), then the same load straight at `popscope
# serve` with the same accounts and mail, for the ratio. Prints one
# `popscope load` line per transport and the peak RSS of each process.
#
# usage: scripts/workshop-load.sh [BIN] [SECONDS]
#   BIN defaults to target/release/popscope (build it with
#   `cargo build --release` first).
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$REPO/target/release/popscope}; SECS=${2:-10}
TOP=$(mktemp -d)
trap 'rm -rf "$TOP"' EXIT
W=$TOP/w; mkdir -p $W; cd $W
/usr/bin/time -v -o $W/time.txt $BIN workshop --students 200 --headless \
  --pop3 127.0.0.1:0 --pop3s 127.0.0.1:0 --data-dir $W/data > $W/out.txt 2> $W/err.txt &
TPID=$!
for i in $(seq 1 100); do grep -q "^Ctrl-C stops" $W/out.txt 2>/dev/null && break; sleep 0.2; done
P3=$(awk "/^  POP3 /{print \$2; exit}" $W/out.txt); PS=$(awk "/^  POP3S /{print \$2; exit}" $W/out.txt)
echo "workshop pop3=$P3 pop3s=$PS"
for mode in plain stls pop3s; do
  addr=$P3; [ $mode = pop3s ] && addr=$PS
  $BIN load --addr $addr --mode $mode --clients 200 --seconds $SECS --users $W/popscope-workshop-users.txt --ca $W/popscope-workshop-ca.pem --label workshop-$mode | tail -1
done
WPID=$(pgrep -P $TPID popscope)
kill -INT $WPID; wait $TPID
grep -E "Maximum resident|Elapsed|Percent of CPU" $W/time.txt
echo "transcript lines: $(wc -l < $W/out.txt)"

# The same load straight at the server: the same accounts, each with the
# starter messages (bob's demo mail), on popscope serve.
S=$TOP/s; mkdir -p $S/mail
while IFS=: read -r name pw; do
  case "$name" in \#*|"") continue;; esac
  mkdir -p $S/mail/$name/{cur,new,tmp}; cp $REPO/assets/maildir/bob/cur/* $S/mail/$name/cur/
done < $W/popscope-workshop-users.txt
/usr/bin/time -v -o $S/time.txt $BIN serve --maildir $S/mail --users $W/popscope-workshop-users.txt \
  --pop3 127.0.0.1:0 --pop3s 127.0.0.1:0 --login-delay 0 --data-dir $W/data --log warn > $S/out.txt 2> $S/err.txt &
TPID=$!
for i in $(seq 1 100); do grep -q "^Ctrl-C stops" $S/out.txt 2>/dev/null && break; sleep 0.2; done
P3=$(awk '$1=="POP3"{print $2; exit}' $S/out.txt); PS=$(awk '$1=="POP3S"{print $2; exit}' $S/out.txt)
echo "serve pop3=$P3 pop3s=$PS"
for mode in plain stls pop3s; do
  addr=$P3; [ $mode = pop3s ] && addr=$PS
  $BIN load --addr $addr --mode $mode --clients 200 --seconds $SECS --users $W/popscope-workshop-users.txt --ca $W/data/ca.pem --label serve-$mode | tail -1
done
SPID=$(pgrep -P $TPID popscope)
kill -INT $SPID; wait $TPID
grep -E "Maximum resident|Elapsed|Percent of CPU" $S/time.txt
