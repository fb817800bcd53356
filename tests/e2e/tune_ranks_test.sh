#!/usr/bin/env bash
# collab tune across processes on 127.0.0.1: --nproc N, ranks started by hand and torchrun give
# one process's trials, scores and best, bit for bit, for grid, random and tpe search and --prune,
# whatever --jobs; rank 0 alone prints and writes (the journal, which either kind of run resumes,
# and the model); a rank killed mid-trial has that trial run again by another and the search ends
# as it would have; rank 0 killed, or Ctrl-C, ends the search; ranks with other options are refused.
source "$(dirname "$0")/lib.sh"
[[ -f "$(dirname "$COLLAB")/libcollab_torch.so" ]] || { echo "skipped: built without the LibTorch plugin (c10d)"; exit 77; }

d="$WORK/csv"
python3 "$E2E/make_data.py" csv "$d" 60 80
data=(--ratings "$d/ratings.csv" --movies "$d/movies.csv")
tune() { "$COLLAB" tune "${data[@]}" --seed 1 --optimizer sparse-adam --epochs 2 --format json "$@"; }
space=(--space lr=1e-3..1e-1 --space wd=0.01,0.1 --space factors=4..16)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# The JSON lines without what differs between runs of one search: the seconds, and whether a
# trial came from a journal.
strip() {
  python3 -c "import json,sys; [print(json.dumps({k:v for k,v in json.loads(l).items() if k not in ('seconds','resumed')})) for l in open(sys.argv[1])]" "$1"
}
same() {  # same FILE REFERENCE-FILE WHAT
  [[ "$(strip "$1")" == "$(strip "$2")" ]] && pass || fail "$3: $(diff <(strip "$2") <(strip "$1") | head -4)"
}

# Random, grid and tpe search and --prune: 2 and 3 ranks, --jobs 1 and 2, as one process.
run random tune "${space[@]}" --trials 8 --jobs 1
expect_rc random 0
for nj in "2 1" "2 2" "3 1"; do
  read -r n j <<<"$nj"
  run "random-$n-$j" tune "${space[@]}" --trials 8 --nproc "$n" --jobs "$j"
  expect_rc "random-$n-$j" 0
  same "$WORK/random-$n-$j.out" "$WORK/random.out" "random search, $n ranks, --jobs $j"
done
expect_in random-2-1 err "started 2 ranks"
[[ $(grep -c "ratings:" "$WORK/random-3-1.err") -eq 1 ]] && pass || fail "more than rank 0 reported the rows: $(err random-3-1)"
run grid tune --search grid --space wd=0.01,0.1 --space factors=4,8,16 --lr 1e-2 --jobs 1
run grid-3 tune --search grid --space wd=0.01,0.1 --space factors=4,8,16 --lr 1e-2 --nproc 3 --jobs 2
expect_rc grid-3 0
same "$WORK/grid-3.out" "$WORK/grid.out" "grid search, 3 ranks"
run tpe tune "${space[@]}" --search tpe --trials 16 --jobs 1
for n in 2 3; do
  run "tpe-$n" tune "${space[@]}" --search tpe --trials 16 --nproc "$n" --jobs 2
  expect_rc "tpe-$n" 0
  same "$WORK/tpe-$n.out" "$WORK/tpe.out" "tpe, $n ranks"
done
run prune tune "${space[@]}" --trials 8 --prune --jobs 1
run prune-2 tune "${space[@]}" --trials 8 --prune --nproc 2 --jobs 2
expect_rc prune-2 0
same "$WORK/prune-2.out" "$WORK/prune.out" "--prune, 2 ranks"
grep -q '"pruned": true' <(strip "$WORK/prune.out") && pass || fail "--prune pruned nothing: $(out prune)"

# The journal: rank 0 writes it; ranks resume one process's journal and one process theirs.
j="$WORK/journal.jsonl"
run j1 tune "${space[@]}" --trials 3 --journal "$j"
run j2 tune "${space[@]}" --trials 6 --journal "$j" --nproc 2
expect_rc j2 0
expect_in j2 err "3 trials read from"
run j3 tune "${space[@]}" --trials 8 --journal "$j"
expect_rc j3 0
expect_in j3 err "6 trials read from"
same "$WORK/j3.out" "$WORK/random.out" "a search resumed across ranks and back"
[[ $(wc -l <"$j") -eq 8 ]] && pass || fail "journal lines after 8 trials: $(wc -l <"$j")"

# The model: rank 0 retrains the best and saves it; eval scores it as tune did.
run model tune "${space[@]}" --trials 4 --nproc 2 --model "$WORK/best.model"
expect_rc model 0
run eval "$COLLAB" eval --model "$WORK/best.model" --format json
[[ "$(json_get "$WORK/eval.out" "round(j['rmse'], 9)")" == "$(json_get "$WORK/model.out" "round(j['test_rmse'], 9)")" ]] \
  && pass || fail "eval of the model the ranks saved: $(out eval) vs $(tail -1 "$WORK/model.out")"

# --time-budget: no trial starts after it, but the first (two ranks may each begin one).
run budget tune "${space[@]}" --trials 50 --time-budget 0.000001 --nproc 2
expect_rc budget 0
lines=$(wc -l <"$WORK/budget.out")
((lines >= 2 && lines <= 3)) && pass || fail "--time-budget on 2 ranks: $(out budget)"

# Under torchrun, with its agent's store: rank 0's stdout is one process's.
if command -v torchrun >/dev/null; then
  run torchrun torchrun --nproc_per_node 2 --master_port "$(free_port)" --redirects 1 --tee 1 --log_dir "$WORK/tr" \
    --no_python "$COLLAB" tune "${data[@]}" --seed 1 --optimizer sparse-adam --epochs 2 --format json "${space[@]}" --trials 8
  expect_rc torchrun 0
  same "$(echo "$WORK"/tr/*/attempt_0/0/stdout.log)" "$WORK/random.out" "tune under torchrun"
  [[ ! -s "$(echo "$WORK"/tr/*/attempt_0/1/stdout.log)" ]] && pass || fail "torchrun's rank 1 printed results"
else
  echo "no torchrun here (Debian's python3-torch): its case is skipped" >&2
fi

# Ranks started by hand meet in a TCP store on rank 0; ranks with another --trials are refused.
hand() {  # hand NAME OPTIONS-OF-RANK-1...: two ranks, rank 0 with the random search's options
  local port; port=$(free_port)
  env RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" "$COLLAB" tune "${data[@]}" --seed 1 \
    --optimizer sparse-adam --epochs 2 --format json "${space[@]}" --trials 8 --dist-timeout 20 \
    >"$WORK/$1-0.out" 2>"$WORK/$1-0.err" & local r0=$!
  env RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" "$COLLAB" tune "${data[@]}" --seed 1 \
    --optimizer sparse-adam --epochs 2 --format json "${space[@]}" --dist-timeout 20 "${@:2}" \
    >"$WORK/$1-1.out" 2>"$WORK/$1-1.err" & local r1=$!
  wait "$r0"; rc0=$?; wait "$r1"; rc1=$?
}
hand hand --trials 8
[[ $rc0 -eq 0 && $rc1 -eq 0 ]] && pass || fail "ranks by hand: exit $rc0 and $rc1: $(cat "$WORK/hand-0.err" "$WORK/hand-1.err")"
same "$WORK/hand-0.out" "$WORK/random.out" "ranks by hand"
[[ ! -s "$WORK/hand-1.out" ]] && pass || fail "rank 1 printed: $(cat "$WORK/hand-1.out")"
hand other --trials 9
[[ $rc0 -eq 65 && $rc1 -eq 65 ]] && pass || fail "ranks with another --trials: exit $rc0 and $rc1"
grep -q "other options or data" "$WORK/other-0.err" && pass || fail "no word of the disagreement: $(cat "$WORK/other-0.err")"

# A killed rank: trials long enough to kill rank 1 in one. The store says which trial rank 1
# holds; it is stopped, the store read again, and only then killed (kill_in_trial.py), so that
# it surely dies holding a trial nobody else has run.
big="$WORK/big"
python3 "$E2E/make_data.py" csv "$big"
long=(--ratings "$big/ratings.csv" --movies "$big/movies.csv" --seed 1 --optimizer sparse-adam --lr 1e-3..1e-1
      --epochs 1000 --trials 6 --format json)
run long "$COLLAB" tune "${long[@]}" --jobs 1
rank_pid() {  # rank_pid LAUNCHER RANK
  local p
  for p in $(ps -o pid= --ppid "$1"); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "RANK=$2" && echo "$p"
  done
}
kill_in_trial() {  # kill_in_trial NAME RANK OPTIONS...: runs --nproc 3, kills RANK in a trial; sets $killed, $rc
  local name=$1 rank=$2 launcher dir="" pid=""
  shift 2
  "$COLLAB" tune "${long[@]}" --nproc 3 --dist-timeout 2 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" & launcher=$!
  for _ in $(seq 600); do
    dir=$(grep -o '/[^ ]*collab-ranks[^ ]*' "$WORK/$name.err")
    pid=$(rank_pid "$launcher" "$rank")
    [[ -n "$dir" && -n "$pid" ]] && break
    sleep 0.05
  done
  killed=$(python3 "$E2E/kill_in_trial.py" "$dir/store" "$rank" "$pid")
  wait "$launcher"; rc=$?
}
kill_in_trial killed 1 --model "$WORK/killed.model"
[[ -n "$killed" ]] && pass || fail "rank 1 was never caught in a trial: $(err killed)"
expect_rc killed 0
expect_in killed err "rank 1 of 3 was killed (signal 9); the others go on without it"
expect_in killed err "runs trial $killed again: rank 1 stopped answering"
same "$WORK/killed.out" "$WORK/long.out" "a search that lost rank 1"
expect_file "$WORK/killed.model"
# Rank 0 prints and writes: killed, it ends the search, and nothing is written.
kill_in_trial killed0 0 --model "$WORK/killed0.model"
[[ -n "$killed" ]] && pass || fail "rank 0 was never caught in a trial: $(err killed0)"
expect_rc killed0 69
expect_in killed0 err "rank 0 of 3 was killed (signal 9); the other ranks were stopped"
expect_no_file "$WORK/killed0.model"

# torchrun on "two machines" (two agents, a node each, a worker each): node 1's worker is killed in
# a trial; its agent gives up (torchrun's policy) while node 0's worker runs the trial again and
# ends the search as one process.
if command -v torchrun >/dev/null; then
  port=$(free_port)
  for n in 0 1; do
    torchrun --nnodes 2 --nproc_per_node 1 --node_rank "$n" --master_addr 127.0.0.1 --master_port "$port" \
      --redirects 1 --tee 1 --log_dir "$WORK/node$n" --no_python "$COLLAB" tune "${long[@]}" --dist-timeout 3 \
      >"$WORK/node$n.out" 2>"$WORK/node$n.err" &
    agent[n]=$!
  done
  worker=""
  for _ in $(seq 600); do
    worker=$(ps -o pid= --ppid "${agent[1]}" | tr -d ' ')
    [[ -n "$worker" ]] && break
    sleep 0.05
  done
  # The agent's TCP store is read with torchrun's own Python, which has torch.
  killed=$("$(sed -n '1s/^#!//p' "$(command -v torchrun)")" "$E2E/kill_in_trial.py" "127.0.0.1:$port" 1 "$worker")
  wait "${agent[1]}"
  wait "${agent[0]}"; rc=$?
  [[ -n "$killed" ]] && pass || fail "node 1's worker was never caught in a trial: $(cat "$WORK/node1.err")"
  expect_rc node0 0
  expect_in node0 err "runs trial $killed again: rank 1 stopped answering"
  same "$(echo "$WORK"/node0/*/attempt_0/0/stdout.log)" "$WORK/long.out" "torchrun, two nodes, one lost"
fi

# Ctrl-C on the launcher stops every rank (130) and writes nothing.
"$COLLAB" tune "${long[@]}" --nproc 2 --model "$WORK/stopped.model" >"$WORK/stopped.out" 2>"$WORK/stopped.err" & launcher=$!
for _ in $(seq 400); do
  dir=$(grep -o '/[^ ]*collab-ranks[^ ]*' "$WORK/stopped.err")
  [[ -n "$dir" && -s "$dir/store" ]] && grep -q "tune/begun" "$dir/store" && break
  sleep 0.05
done
kill -INT "$launcher"
wait "$launcher"; rc=$?
expect_rc stopped 130
expect_no_file "$WORK/stopped.model"
expect_no_file "$dir"

# Every rank reads the data itself: no pipes.
run pipe "$COLLAB" tune --ratings - --movies "$d/movies.csv" --lr 1e-3,1e-2 --nproc 2 <"$d/ratings.csv"
expect_rc pipe 64
expect_in pipe err "--nproc"

finish
