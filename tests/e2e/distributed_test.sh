#!/usr/bin/env bash
# Training across processes on 127.0.0.1: --nproc N and torchrun end bit for bit where one process
# ends; rank 0 alone prints and writes; a rank that never comes or dies, a port in use, ranks that
# disagree (in options, items or titles), a store that sends garbage, and Ctrl-C on the launcher are
# clear errors within --dist-timeout, never a hang or an abort. With --nproc nothing listens beyond 127.0.0.1, and no rank outlives
# its launcher, even one killed with SIGKILL.
source "$(dirname "$0")/lib.sh"
[[ -f "$(dirname "$COLLAB")/libcollab_torch.so" ]] || { echo "skipped: built without the LibTorch plugin (c10d)"; exit 77; }

d="$WORK/csv"
python3 "$E2E/make_data.py" csv "$d" 60 90
data=(--ratings "$d/ratings.csv" --movies "$d/movies.csv")
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
loss() { json_get "$1" "repr(j['valid_loss'])"; }
weights() { "$COLLAB" factors --model "$1" --format json --top 5 | md5sum; }

# N ranks of --dist replicate end where one process ends, bit for bit, in exact and sparse mode,
# N dividing the batch or not (sharding: sharded_test.sh).
for opt in adam sparse-adam; do
  run "one-$opt" "$COLLAB" train "${data[@]}" --epochs 2 --seed 3 --optimizer "$opt" --format json --model "$WORK/one-$opt.collab"
  for n in 2 3; do
    run "n$n-$opt" "$COLLAB" train "${data[@]}" --epochs 2 --seed 3 --optimizer "$opt" --format json --nproc "$n" --dist replicate \
      --model "$WORK/n$n.collab"
    expect_rc "n$n-$opt" 0
    [[ "$(loss "$WORK/n$n-$opt.out")" == "$(loss "$WORK/one-$opt.out")" ]] && pass \
      || fail "$opt, $n ranks: valid loss $(loss "$WORK/n$n-$opt.out") vs one process $(loss "$WORK/one-$opt.out")"
    [[ "$(weights "$WORK/n$n.collab")" == "$(weights "$WORK/one-$opt.collab")" ]] && pass || fail "$opt, $n ranks: other weights"
    [[ $(grep -c '"epoch"' "$WORK/n$n-$opt.out") -eq 2 ]] && pass || fail "$opt, $n ranks: stdout has more than rank 0's table"
  done
done

# Under torchrun (Debian's python3-torch), with its environment and its agent's store.
if command -v torchrun >/dev/null; then
  run torchrun torchrun --nproc_per_node 2 --master_port "$(free_port)" --redirects 1 --tee 1 --log_dir "$WORK/tr" \
    --no_python "$COLLAB" train "${data[@]}" --epochs 2 --seed 3 --format json --model "$WORK/tr.collab"
  expect_rc torchrun 0
  [[ "$(weights "$WORK/tr.collab")" == "$(weights "$WORK/one-adam.collab")" ]] && pass || fail "torchrun: other weights"
else
  echo "no torchrun here (Debian's python3-torch): its case is skipped" >&2
fi

# Faults. A rank that never comes: rank 0 stops with 69 within --dist-timeout.
port=$(free_port)
started=$(date +%s)
run never env RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" \
  "$COLLAB" train "${data[@]}" --epochs 1 --seed 1 --dist-timeout 3 --model "$WORK/never.collab"
expect_rc never 69
expect_one_line_error never
(($(date +%s) - started < 30)) && pass || fail "a missing rank took $(($(date +%s) - started)) s to notice"
expect_no_file "$WORK/never.collab"

# A port already in use.
python3 -c 'import socket, sys, time; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(60)' \
  "$port" & holder=$!
sleep 0.5
run busy env RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" \
  "$COLLAB" train "${data[@]}" --epochs 1 --seed 1 --dist-timeout 3 --model "$WORK/busy.collab"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
expect_rc busy 69

# Ranks started with other options: a clear error, no model.
port=$(free_port)
ranks() {  # ranks OPTIONS-OF-RANK-1...: rank 0 with the test's data and options, rank 1 with these
  env RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" "$COLLAB" train "${data[@]}" --epochs 2 --seed 1 \
    --dist-timeout 10 --model "$WORK/r.collab" >"$WORK/r0.out" 2>"$WORK/r0.err" & r0=$!
  env RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" "$COLLAB" train --seed 1 \
    --dist-timeout 10 --model "$WORK/r.collab" "$@" >"$WORK/r1.out" 2>"$WORK/r1.err" & r1=$!
  wait "$r0"; rc0=$?; wait "$r1"; rc1=$?
}
expect_disagreement() {  # expect_disagreement WHAT
  [[ $rc0 -eq 65 && $rc1 -eq 65 ]] && pass || fail "ranks with other $1: exit $rc0 and $rc1: $(cat "$WORK/r0.err")"
  grep -q "other options or data" "$WORK/r0.err" && pass || fail "$1: no word of the disagreement: $(cat "$WORK/r0.err")"
  expect_no_file "$WORK/r.collab"
  port=$(free_port)
}
ranks "${data[@]}" --epochs 2 --lr 0.02
expect_disagreement options
# Data that differ only in which items two ratings are of (the same users, ratings and counts), or
# only in a title: ranks that train on them would not end where one process ends.
other="$WORK/other-items"
mkdir -p "$other"
python3 - "$d/ratings.csv" "$other/ratings.csv" <<'PY'
import sys
cells = [r.split(",") for r in open(sys.argv[1]).read().splitlines()]
pairs = {(c[0], c[1]) for c in cells[1:]}
a = cells[1]
b = next(c for c in cells[2:] if (a[0], c[1]) not in pairs and (c[0], a[1]) not in pairs)
a[1], b[1] = b[1], a[1]  # two ratings of two users swap movies
open(sys.argv[2], "w").write("".join(",".join(c) + "\n" for c in cells))
PY
ranks --ratings "$other/ratings.csv" --movies "$d/movies.csv" --epochs 2
expect_disagreement items
retitled="$WORK/retitled"
mkdir -p "$retitled"
sed 's/^2,Amélie (2001)/2,Amelie (2001)/' "$d/movies.csv" >"$retitled/movies.csv"
cmp -s "$d/movies.csv" "$retitled/movies.csv" && fail "the test's retitling changed nothing"
ranks --ratings "$d/ratings.csv" --movies "$retitled/movies.csv" --epochs 2
expect_disagreement titles
# Agreeing ranks started by hand: rank 0 alone writes the model and prints; rank 1 prints nothing.
ranks "${data[@]}" --epochs 2
[[ $rc0 -eq 0 && $rc1 -eq 0 ]] && pass || fail "two agreeing ranks: exit $rc0 and $rc1: $(cat "$WORK/r1.err")"
[[ -s "$WORK/r0.out" && ! -s "$WORK/r1.out" ]] && pass || fail "rank 1 printed on stdout: $(cat "$WORK/r1.out")"

# A rank that dies mid-training: the other stops with 69 within --dist-timeout.
port=$(free_port)
env RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" "$COLLAB" train "${data[@]}" --epochs 100000 \
  --seed 1 --dist-timeout 5 --model "$WORK/dies.collab" >"$WORK/d0.out" 2>"$WORK/d0.err" & r0=$!
env RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" "$COLLAB" train "${data[@]}" --epochs 100000 \
  --seed 1 --dist-timeout 5 --model "$WORK/dies.collab" >/dev/null 2>&1 & r1=$!
for _ in $(seq 100); do grep -q '^1 ' "$WORK/d0.out" && break; sleep 0.1; done
kill -9 "$r1"; wait "$r1" 2>/dev/null
started=$(date +%s)
wait "$r0"; rc=$?
[[ $rc -eq 69 ]] && pass || fail "the survivor of a dead rank: exit $rc: $(tail -2 "$WORK/d0.err")"
(($(date +%s) - started < 30)) && pass || fail "a dead rank took $(($(date +%s) - started)) s to notice"
expect_no_file "$WORK/dies.collab"

# Ctrl-C on the launcher stops every rank and leaves the earlier model as it was.
cp "$WORK/one-adam.collab" "$WORK/keep.collab"
before=$(md5sum <"$WORK/keep.collab")
"$COLLAB" train "${data[@]}" --epochs 100000 --seed 1 --nproc 2 --model "$WORK/keep.collab" >"$WORK/c.out" 2>"$WORK/c.err" &
launcher=$!
for _ in $(seq 100); do grep -q '^1 ' "$WORK/c.out" && break; sleep 0.1; done
kill -INT "$launcher"
wait "$launcher"; rc=$?
[[ $rc -eq 130 ]] && pass || fail "Ctrl-C on the launcher: exit $rc: $(tail -3 "$WORK/c.err")"
[[ "$(md5sum <"$WORK/keep.collab")" == "$before" ]] && pass || fail "Ctrl-C replaced the earlier model"
sleep 0.5
if pgrep -f -- "--model $WORK/keep.collab" >/dev/null; then fail "a rank outlived the launcher"; else pass; fi

# ranks_alive PID...: those of the PIDs that still run (a zombie has ended: no one may reap it here).
ranks_alive() {
  local p
  for p in "$@"; do
    [[ -e /proc/$p && "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]] && echo "$p"
  done
}
# start_launcher NAME: --nproc 2 in the background ($launcher), once rank 0 has printed epoch 1;
# $ranks are its children. Its meeting folder goes to $WORK/tmp.
mkdir -p "$WORK/tmp"
start_launcher() {
  TMPDIR="$WORK/tmp" "$COLLAB" train "${data[@]}" --epochs 100000 --seed 1 --nproc 2 --model "$WORK/$1.collab" \
    >"$WORK/$1.out" 2>"$WORK/$1.err" & launcher=$!
  for _ in $(seq 100); do grep -qs '^1 ' "$WORK/$1.out" && break; sleep 0.1; done
  ranks=$(pgrep -P "$launcher" | tr '\n' ' ')
}

# With --nproc nothing listens beyond 127.0.0.1: the ranks meet in a private folder, not on a port
# (c10d's TCPStore listens on every interface), and Gloo binds 127.0.0.1.
start_launcher listen
listening=$(python3 "$E2E/listening.py" $ranks)
meeting=$(sed -n 's/^collab: started 2 ranks; they meet in //p' "$WORK/listen.err")
mode=$(stat -c %a "$meeting" 2>/dev/null)
kill -INT "$launcher"; wait "$launcher"
[[ -n "$ranks" ]] && pass || fail "--nproc 2 started no ranks: $(cat "$WORK/listen.err")"
[[ -z "$(grep -v '^127\.0\.0\.1 ' <<<"$listening")" ]] && pass \
  || fail "ranks of --nproc listen beyond 127.0.0.1: $(tr '\n' ';' <<<"$listening")"
[[ "$mode" == 700 ]] && pass || fail "the ranks' meeting folder '$meeting' has mode '$mode', not 700"
[[ -n "$meeting" && ! -e "$meeting" ]] && pass || fail "the launcher left its meeting folder '$meeting'"

# SIGKILL of the launcher ends its ranks too, and no rank writes the model.
start_launcher orphan
kill -KILL "$launcher"; wait "$launcher" 2>/dev/null
sleep 1
left=$(ranks_alive $ranks)
[[ -z "$left" ]] && pass || { fail "ranks outlived a launcher killed with SIGKILL: $left"; kill -KILL $left; }
expect_no_file "$WORK/orphan.collab"

# A second SIGTERM ends the launcher at once, and its ranks with it, even ranks that cannot act on
# the first (stopped here with SIGSTOP; the launcher would kill them only 3 s later).
start_launcher twice
kill -STOP $ranks
kill -TERM "$launcher"; sleep 0.3; kill -TERM "$launcher"
wait "$launcher"; rc=$?
[[ $rc -eq 143 ]] && pass || fail "two SIGTERMs on the launcher: exit $rc"
sleep 1
left=$(ranks_alive $ranks)
[[ -z "$left" ]] && pass || { fail "ranks outlived a launcher ended by a second SIGTERM: $left"; kill -KILL $left; kill -CONT $left; }
expect_no_file "$WORK/twice.collab"

# Those two launchers could not remove their meeting folders; the next launcher does.
run after env TMPDIR="$WORK/tmp" "$COLLAB" train "${data[@]}" --epochs 1 --seed 1 --nproc 2 --model "$WORK/after.collab"
expect_rc after 0
left=$(ls "$WORK/tmp")
[[ -z "$left" ]] && pass || fail "meeting folders of ended launchers are left: $left"

# A store that answers with garbage: exit 69 and one line, never an abort. "push" sends before it is
# asked, which LibTorch 1.13 reads on a thread of its own.
for mode in huge random push; do
  rm -f "$WORK/store-port"
  python3 "$E2E/fake_store.py" "$mode" "$WORK/store-port" & store=$!
  for _ in $(seq 100); do [[ -s "$WORK/store-port" ]] && break; sleep 0.05; done
  run "garbage-$mode" env RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT="$(cat "$WORK/store-port")" \
    "$COLLAB" train "${data[@]}" --epochs 1 --seed 1 --dist-timeout 5 --model "$WORK/garbage.collab"
  kill "$store"; wait "$store" 2>/dev/null
  expect_rc "garbage-$mode" 69
  expect_one_line_error "garbage-$mode"
  expect_no_file "$WORK/garbage.collab"
done

finish
