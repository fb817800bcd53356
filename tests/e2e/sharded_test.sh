#!/usr/bin/env bash
# Sharded training (--dist shard, the default for sparse-adam across ranks) on 127.0.0.1: each rank
# announces its share; the result is one process's within noise and the same bits run after run;
# BPR shards too, ALS divides its solves; exact mode refuses to shard; a rank killed mid-run stops the job with 69 and no model, and the
# same command with --checkpoint resumes and ends on the uninterrupted run's bits, as does a job
# that torchrun restarts. The two-host case: two_hosts_test.sh.
source "$(dirname "$0")/lib.sh"
[[ -f "$(dirname "$COLLAB")/libcollab_torch.so" ]] || { echo "skipped: built without the LibTorch plugin (c10d)"; exit 77; }

d="$WORK/csv"
python3 "$E2E/make_data.py" csv "$d" 300 400  # 36,140 ratings: strata of thousands
files=(--ratings "$d/ratings.csv" --movies "$d/movies.csv" --seed 3)
data=("${files[@]}" --optimizer sparse-adam)
loss() { json_get "$WORK/$1.out" "repr(j['valid_loss'])"; }
weights() { "$COLLAB" factors --model "$1" --format json --top 5 | md5sum; }

run one "$COLLAB" train "${data[@]}" --epochs 4 --format json --model "$WORK/one.collab"
expect_rc one 0
for n in 2 3; do
  for take in a b; do
    run "n$n$take" "$COLLAB" train "${data[@]}" --epochs 4 --format json --nproc "$n" --model "$WORK/n$n$take.collab"
    expect_rc "n$n$take" 0
  done
  expect_in "n${n}a" err "sharded over $n ranks, 1 thread each"
  [[ "$(loss "n${n}a")" == "$(loss "n${n}b")" && "$(weights "$WORK/n${n}a.collab")" == "$(weights "$WORK/n${n}b.collab")" ]] \
    && pass || fail "$n ranks: two runs ended on other bits: $(loss "n${n}a") vs $(loss "n${n}b")"
  python3 -c "import sys; a, b = map(float, sys.argv[1:]); sys.exit(abs(a - b) > 0.05 * b)" "$(loss "n${n}a")" "$(loss one)" \
    && pass || fail "$n ranks: valid loss $(loss "n${n}a") is not one process's $(loss one) within 5%"
  [[ $(grep -c '"epoch"' "$WORK/n${n}a.out") -eq 4 ]] && pass || fail "$n ranks: stdout has more than rank 0's table"
  run "predict$n" "$COLLAB" predict --model "$WORK/n${n}a.collab" --user 1 --item "Movie 7 (1957)"
  expect_rc "predict$n" 0
done

# Each rank reads only its own users' ratings off the parsed-data cache (pipeline/rank_local.h). A
# filter that drops nothing (--min-rating at the data's floor) makes every rank load the whole set
# instead: both train the same model. eval rebuilds the split the rank-local model names by its
# rows' roles, and refuses once a rating has changed (at the end, where the data may change).
run whole2 "$COLLAB" train "${data[@]}" --epochs 4 --format json --nproc 2 --min-rating 0.5 --model "$WORK/whole2.collab"
expect_rc whole2 0
[[ "$(loss whole2)" == "$(loss n2a)" && "$(weights "$WORK/whole2.collab")" == "$(weights "$WORK/n2a.collab")" ]] \
  && pass || fail "ranks holding their own ratings and ranks holding every rating trained other models"
run eval2 "$COLLAB" eval --model "$WORK/n2a.collab" --format json
expect_rc eval2 0
python3 -c "import sys; a, b = map(float, sys.argv[1:]); sys.exit(abs(a - b) > 1e-9)" \
  "$(json_get "$WORK/eval2.out" "repr(j['mse'])")" "$(loss n2a)" && pass || fail "eval's mse is not the last valid_loss"

# BPR shards as the rating loss does (cpu/block_negatives.h): the same bits twice, and a model
# that ranks as one process's does, within noise. Exact Adam's BPR trains in one process.
bpr=("${files[@]}" --implicit --loss bpr --optimizer sparse-adam --epochs 6)
ndcg() { "$COLLAB" eval --model "$1" --format json | python3 -c "import json, sys; print(json.load(sys.stdin)['ndcg'])"; }
run bpr1 "$COLLAB" train "${bpr[@]}" --format json --model "$WORK/bpr1.collab"
expect_rc bpr1 0
for take in a b; do
  run "bpr2$take" "$COLLAB" train "${bpr[@]}" --format json --nproc 2 --model "$WORK/bpr2$take.collab"
  expect_rc "bpr2$take" 0
done
expect_in bpr2a err "BPR, sparse updates, sharded over 2 ranks"
expect_in bpr2a err "warning: sharding BPR on"
[[ "$(loss bpr2a)" == "$(loss bpr2b)" && "$(weights "$WORK/bpr2a.collab")" == "$(weights "$WORK/bpr2b.collab")" ]] \
  && pass || fail "sharded BPR: two runs ended on other bits"
python3 -c "import sys; a, b = map(float, sys.argv[1:]); sys.exit(not (b > 0 and abs(a - b) < 0.02))" \
  "$(ndcg "$WORK/bpr2a.collab")" "$(ndcg "$WORK/bpr1.collab")" \
  && pass || fail "sharded BPR's nDCG@10 $(ndcg "$WORK/bpr2a.collab") is not one process's $(ndcg "$WORK/bpr1.collab")"
run bprexact "$COLLAB" train "${files[@]}" --implicit --loss bpr --nproc 2 --model "$WORK/x.collab"
expect_rc bprexact 64
expect_in bprexact err "--loss bpr trains across processes sharded (--dist shard, --optimizer sparse-adam)"

# Implicit ALS divides its solves between ranks that hold the whole model: one process's bits.
als=("${files[@]}" --implicit --optimizer als --arch dot --epochs 4)
run als1 "$COLLAB" train "${als[@]}" --format json --model "$WORK/als1.collab"
expect_rc als1 0
run als2 "$COLLAB" train "${als[@]}" --format json --nproc 2 --model "$WORK/als2.collab"
expect_rc als2 0
expect_in als2 err "implicit ALS, solves divided over 2 ranks"
[[ "$(weights "$WORK/als1.collab")" == "$(weights "$WORK/als2.collab")" && \
   "$(json_get "$WORK/als1.out" "repr(j['train_loss'])")" == "$(json_get "$WORK/als2.out" "repr(j['train_loss'])")" ]] \
  && pass || fail "ALS on 2 ranks did not end on one process's bits"
run alsshard "$COLLAB" train "${als[@]}" --dist shard --nproc 2 --model "$WORK/x.collab"
expect_rc alsshard 64
expect_in alsshard err "--optimizer als across processes runs --dist replicate"

# A file's first run: the launcher writes the parsed-data cache before the ranks start; what the
# data drops is said once, not once a process.
mkdir -p "$WORK/dropped"
cp "$d/movies.csv" "$WORK/dropped/"
{ cat "$d/ratings.csv"; echo "1,999999,4.0,0"; } >"$WORK/dropped/ratings.csv"
run dropped "$COLLAB" train --ratings "$WORK/dropped/ratings.csv" --movies "$WORK/dropped/movies.csv" --seed 3 \
  --optimizer sparse-adam --epochs 1 --nproc 2 --model "$WORK/dropped/m.collab"
expect_rc dropped 0
[[ -f "$WORK/dropped/.ratings.csv.collab-cache" ]] && pass || fail "no parsed-data cache after a first sharded run"
[[ $(grep -c "1 ratings in .* have a movieId missing" "$WORK/dropped.err") -eq 1 ]] \
  && pass || fail "the dropped ratings' warning is not said once: $(grep -c "movieId missing" "$WORK/dropped.err")"

# Exact mode stays replicate; --checkpoint is sharded training's.
run exact "$COLLAB" train "${files[@]}" --optimizer adam --dist shard --nproc 2 --model "$WORK/x.collab"
expect_rc exact 64
expect_in exact err "--dist shard trains with --optimizer sparse-adam"
run tiny "$COLLAB" train "${data[@]}" --bs 1 --nproc 2 --model "$WORK/x.collab"
expect_rc tiny 64
expect_in tiny err "--bs 1 is less than the 2 ranks"
run baddist "$COLLAB" train "${data[@]}" --dist sideways --nproc 2 --model "$WORK/x.collab"
expect_rc baddist 64
expect_in baddist err "--dist"
: >"$WORK/plainfile"
run notdir "$COLLAB" train "${data[@]}" --nproc 2 --checkpoint "$WORK/plainfile" --model "$WORK/x.collab"
expect_rc notdir 73
expect_in notdir err "--checkpoint $WORK/plainfile is not a folder"
run lone "$COLLAB" train "${data[@]}" --checkpoint "$WORK/lone" --model "$WORK/x.collab"
expect_rc lone 64
expect_in lone err "--checkpoint saves the shards of sharded training"

# A rank killed mid-run: 69, no model; the same command resumes from the last whole epoch and ends
# on the bits of a run that was never interrupted.
long=("${data[@]}" --epochs 300 --format json --nproc 2)
run whole "$COLLAB" train "${long[@]}" --model "$WORK/whole.collab"
expect_rc whole 0
"$COLLAB" train "${long[@]}" --checkpoint "$WORK/ck" --model "$WORK/ck.collab" >"$WORK/ck1.out" 2>"$WORK/ck1.err" &
launcher=$!
for _ in $(seq 500); do compgen -G "$WORK/ck/shard-1-of-2.epoch-[3-9]*" >/dev/null && break; sleep 0.01; done
# A second job on the same folder while the first runs: 73 before it reads or writes a shard (the
# first job's resume below still ends on the uninterrupted bits).
run busy "$COLLAB" train "${long[@]}" --checkpoint "$WORK/ck" --model "$WORK/busy.collab"
expect_rc busy 73
expect_in busy err "--checkpoint $WORK/ck is in use by another job"
kill -KILL "$(pgrep -P "$launcher" | tail -1)"
wait "$launcher"; rc=$?
[[ $rc -eq 69 ]] && pass || fail "a killed rank: the launcher exited $rc: $(tail -2 "$WORK/ck1.err")"
expect_no_file "$WORK/ck.collab"
run ck2 "$COLLAB" train "${long[@]}" --checkpoint "$WORK/ck" --model "$WORK/ck.collab"
expect_rc ck2 0
expect_in ck2 err "collab: resumed from --checkpoint $WORK/ck after epoch"
[[ "$(loss ck2)" == "$(loss whole)" && "$(weights "$WORK/ck.collab")" == "$(weights "$WORK/whole.collab")" ]] && pass \
  || fail "the resumed run ended at $(loss ck2), the uninterrupted one at $(loss whole)"
[[ $(grep -c '"epoch"' "$WORK/ck2.out") -eq 300 ]] && pass || fail "the resumed run's table lacks the epochs before"
# Another run's checkpoint, or a damaged shard, is refused with 65 before any training.
run foreign "$COLLAB" train "${long[@]}" --lr 0.02 --checkpoint "$WORK/ck" --model "$WORK/x.collab"
expect_rc foreign 65
expect_in foreign err "holds shards of another run"
printf 'x' | dd of="$WORK/ck/shard-0-of-2.epoch-300" bs=1 seek=100 conv=notrunc status=none
run damaged "$COLLAB" train "${long[@]}" --checkpoint "$WORK/ck" --model "$WORK/x.collab"
expect_rc damaged 65
expect_in damaged err "its checksum does not match"
expect_no_file "$WORK/x.collab"

# torchrun restarts a group whose worker died (--max_restarts); it resumes from the checkpoint.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
if command -v torchrun >/dev/null; then
  torchrun --nproc_per_node 2 --max_restarts 1 --master_port "$(free_port)" --redirects 1 --tee 1 --log_dir "$WORK/tr" \
    --no_python "$COLLAB" train "${data[@]}" --epochs 300 --format json --checkpoint "$WORK/trck" \
    --model "$WORK/tr.collab" >"$WORK/tr.out" 2>"$WORK/tr.err" &
  agent=$!
  for _ in $(seq 1000); do compgen -G "$WORK/trck/shard-1-of-2.epoch-[3-9]*" >/dev/null && break; sleep 0.01; done
  victim=$(pgrep -f -- "--model $WORK/tr.collab" | grep -v "^$agent\$" | while read -r p; do
    [[ "$(cat /proc/"$p"/comm 2>/dev/null)" == collab ]] && echo "$p"; done | tail -1)
  [[ -n "$victim" ]] && kill -KILL "$victim"
  wait "$agent"; rc=$?
  [[ $rc -eq 0 ]] && pass || fail "torchrun --max_restarts 1 after a killed worker: exit $rc: $(tail -3 "$WORK/tr.err")"
  [[ "$(weights "$WORK/tr.collab")" == "$(weights "$WORK/whole.collab")" ]] && pass \
    || fail "the run torchrun restarted ended on other weights than the uninterrupted one"
else
  echo "no torchrun here (Debian's python3-torch): its case is skipped" >&2
fi

python3 - "$d/ratings.csv" <<'PY'
import sys
rows = open(sys.argv[1]).read().split("\n")
user, movie, rating, ts = rows[1].split(",")
rows[1] = ",".join([user, movie, "1.0" if rating != "1.0" else "2.0", ts])
open(sys.argv[1], "w").write("\n".join(rows))
PY
run changed "$COLLAB" eval --model "$WORK/n2a.collab"
expect_rc changed 65
expect_in changed err "the rows of its split, or their ratings, differ"
finish
