#!/usr/bin/env bash
# The ranking models from the shell on made-up data: popularity's lists against counts made here,
# BaselineOnly's biases, implicit ALS and BPR trained, saved, read by every verb, repeated
# bit for bit on any thread count, null rating metrics for the models that score, and bad input.
source "$(dirname "$0")/lib.sh"

d="$WORK/csv"
python3 "$E2E/make_data.py" csv "$d" 80 120
data=(--ratings "$d/ratings.csv" --movies "$d/movies.csv")
train() { "$COLLAB" train "${data[@]}" --seed 4 "$@"; }

# Popularity on every rating: user 1's list is the most-rated items they have not rated, ties by
# item order, each scored by its count (counted here from ratings.csv).
run pop-all train --arch popularity --valid-pct 0 --model "$WORK/pop-all.collab" --format json
expect_rc pop-all 0
run pop-rec "$COLLAB" recommend --model "$WORK/pop-all.collab" --user 1 --top 5 --format json
expect_rc pop-rec 0
expected=$(python3 - "$d/ratings.csv" <<'PY'
import csv, sys, collections
rows = list(csv.DictReader(open(sys.argv[1])))
counts = collections.Counter(r["movieId"] for r in rows)
seen = {r["movieId"] for r in rows if r["userId"] == "1"}
print(sorted((c for m, c in counts.items() if m not in seen), reverse=True)[:5])
PY
)
got=$(json_get "$WORK/pop-rec.out" "[int(r['score']) for r in j['recommendations']]")
[[ "$got" == "$expected" ]] && pass || fail "popularity scores $got, expected the counts $expected"

# Its rating metrics are null, with a note; its ranking metrics are numbers.
run pop train --arch popularity --model "$WORK/pop.collab"
expect_rc pop 0
run pop-eval "$COLLAB" eval --model "$WORK/pop.collab" --format json
expect_rc pop-eval 0
expect_in pop-eval err "rating metrics are null"
[[ $(json_get "$WORK/pop-eval.out" "j['rmse'] is None and 0 < j['ndcg'] <= 1") == True ]] && pass || fail "popularity eval: $(out pop-eval)"
run pop-similar "$COLLAB" similar --model "$WORK/pop.collab" "Movie 5"
expect_rc pop-similar 65
expect_in pop-similar err "has none"
run pop-bias "$COLLAB" bias --model "$WORK/pop.collab"
expect_rc pop-bias 65

# BaselineOnly predicts ratings: an RMSE, biases, a prediction of mu + b_u + b_i.
run base train --arch baseline --model "$WORK/base.collab" --format json
expect_rc base 0
[[ $(wc -l <"$WORK/base.out") -eq 10 ]] && pass || fail "baseline: Surprise's 10 passes by default"
run base-eval "$COLLAB" eval --model "$WORK/base.collab" --format json
[[ $(json_get "$WORK/base-eval.out" "0 < j['rmse'] < 2") == True ]] && pass || fail "baseline eval: $(out base-eval)"
run base-bias "$COLLAB" bias --model "$WORK/base.collab" --top 2 --format json
expect_rc base-bias 0
run base-cv "$COLLAB" cv "${data[@]}" --seed 4 --arch baseline --folds 2 --format json
[[ $(json_get "$WORK/base-cv.out" "j['fold'] == 'std' and j['rmse'] is not None and j['ndcg'] >= 0") == True ]] && pass ||
  fail "baseline cv: $(out base-cv)"

# Implicit ALS: deterministic whatever --threads; scores, not ratings.
for t in 1 2; do
  run "als-$t" train --implicit --optimizer als --arch dot --factors 8 --threads "$t" --model "$WORK/als-$t.collab" --format json
  expect_rc "als-$t" 0
  run "als-all-$t" "$COLLAB" recommend --model "$WORK/als-$t.collab" --all-users --top 5 --format tsv
done
cmp -s "$WORK/als-all-1.out" "$WORK/als-all-2.out" && pass || fail "ALS on 1 and 2 threads recommends differently"
[[ $(json_get "$WORK/als-1.out" "j['epoch'] == 14 and j['valid_loss'] is None") == True ]] && pass || fail "ALS: 15 sweeps by default"
# Each sweep lowers the weighted loss (made-up data: which items a user rated is random here, so
# ALS's rankings are not compared with popularity's; docs/experiments.md has MovieLens').
python3 -c "
import json, sys
losses = [json.loads(l)['train_loss'] for l in open('$WORK/als-1.out')]
sys.exit(not all(b <= a * (1 + 1e-6) for a, b in zip(losses, losses[1:])))" && pass || fail "ALS loss rose: $(out als-1)"
run als-eval "$COLLAB" eval --model "$WORK/als-1.collab" --format json
[[ $(json_get "$WORK/als-eval.out" "j['rmse'] is None and j['ndcg'] > 0") == True ]] && pass || fail "ALS eval: $(out als-eval)"
run als-predict "$COLLAB" predict --model "$WORK/als-1.collab" --user 1 --item "Movie 5" --format json
[[ $(json_get "$WORK/als-predict.out" "'score' in j and 'prediction' not in j") == True ]] && pass || fail "ALS predict: $(out als-predict)"
run als-similar "$COLLAB" similar --model "$WORK/als-1.collab" "Movie 5" --top 3 --format json
expect_rc als-similar 0

# BPR, sparse and exact: the same seed gives the same bits on 1 and 2 threads.
for opt in sparse-adam adam; do
  for t in 1 2; do
    run "bpr-$opt-$t" train --implicit --loss bpr --arch dot-bias --optimizer "$opt" --epochs 2 --threads "$t" \
      --model "$WORK/bpr-$opt-$t.collab" --format json
    expect_rc "bpr-$opt-$t" 0
  done
  [[ $(json_get "$WORK/bpr-$opt-1.out" "repr(j['valid_loss'])") == $(json_get "$WORK/bpr-$opt-2.out" "repr(j['valid_loss'])") ]] &&
    pass || fail "BPR ($opt) differs between 1 and 2 threads"
  # The made-up ratings are noise to a ranker (its validation loss need not fall): the training
  # loss must, from log 2, the loss of a model that knows nothing.
  [[ $(json_get "$WORK/bpr-$opt-1.out" "0 < j['train_loss'] < 0.6931 and 0 < j['valid_loss'] and j['rmse'] is None") == True ]] &&
    pass || fail "BPR ($opt)'s training loss should end below log 2: $(out "bpr-$opt-1")"
done
run bpr-eval "$COLLAB" eval --model "$WORK/bpr-adam-1.collab" --format json
[[ $(json_get "$WORK/bpr-eval.out" "j['mse'] is None and j['ndcg'] > 0") == True ]] && pass || fail "BPR eval: $(out bpr-eval)"

# Bad input: usage errors naming the option.
check_usage() {  # check_usage NAME TEXT ARGS...
  local name=$1 text=$2; shift 2
  run "$name" train --model "$WORK/never.collab" "$@"
  expect_rc "$name" 64
  expect_in "$name" err "$text"
  expect_one_line_error "$name"
}
check_usage bpr-explicit "--loss bpr" --loss bpr
check_usage bpr-nn "--loss bpr" --loss bpr --implicit --arch nn
check_usage bpr-range "--loss bpr" --loss bpr --implicit --arch dot-range
check_usage als-bias "--optimizer als" --optimizer als --implicit --arch dot-bias
check_usage als-explicit "--optimizer als" --optimizer als --arch dot
check_usage negatives "--negatives" --loss bpr --implicit --arch dot --negatives 0
check_usage alpha-negative "--alpha" --optimizer als --implicit --arch dot --alpha -1
check_usage alpha-nan "--alpha" --optimizer als --implicit --arch dot --alpha nan
check_usage implicit-mse "--implicit" --implicit --arch dot-bias
check_usage baseline-implicit "--arch baseline" --arch baseline --implicit
expect_no_file "$WORK/never.collab"

finish
