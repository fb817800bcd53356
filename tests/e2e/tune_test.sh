#!/usr/bin/env bash
# collab tune from the shell on made-up data: the rows trials see (never a test row), grid and
# random search, inner cross-validation (--folds), results that do not depend on --jobs, train
# options given lists and ranges directly, the journal that resumes a search, the saved model,
# the picture, and every option's bad value.
source "$(dirname "$0")/lib.sh"

d="$WORK/csv"
python3 "$E2E/make_data.py" csv "$d" 60 80
data=(--ratings "$d/ratings.csv" --movies "$d/movies.csv")
tune() { "$COLLAB" tune "${data[@]}" --seed 1 --optimizer sparse-adam --epochs 2 --format json "$@"; }
space=(--space lr=1e-3..1e-1 --space wd=0.01,0.1 --space factors=4..16)

# Random search: a JSON line per trial with every key, then the best with its test metrics.
run random tune "${space[@]}" --trials 6 --jobs 1
expect_rc random 0
python3 - "$WORK/random.out" <<'PY' && pass || fail "random search's JSON lines: $(out random)"
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
trials, best = rows[:-1], rows[-1]
assert len(trials) == 6 and [t["trial"] for t in trials] == list(range(6))
for t in trials:
    for key in ["lr", "wd", "factors", "rmse", "epochs", "pruned", "seconds", "train_rows", "tune_rows"]:
        assert key in t, key
    assert 1e-3 <= t["lr"] <= 1e-1 and t["wd"] in (0.01, 0.1) and 4 <= t["factors"] <= 16
    assert isinstance(t["factors"], int) and t["epochs"] == 2 and t["pruned"] is False
    assert 0 < t["rmse"] < 5
assert best["best"] is True and best["metric"] == "rmse"
scores = [t["rmse"] for t in trials]
assert best["rmse"] == min(scores) and best["trial"] == scores.index(min(scores))
for key in ["test_rmse", "test_mae", "test_mse", "test_ndcg", "test_precision", "test_recall", "test_map"]:
    assert key in best, key
assert abs(best["test_rmse"] ** 2 - best["test_mse"]) < 1e-9
# No peeking: trials train and score on the training part only, which is all but the test rows.
for t in trials:
    assert t["train_rows"] + t["tune_rows"] == best["train_rows"]
    assert t["tune_rows"] == math.floor(0.2 * best["train_rows"])
PY
total=$(($(wc -l <"$d/ratings.csv") - 1))
[[ "$(json_get "$WORK/random.out" "j['train_rows'] + j['test_rows']")" == "$total" ]] && pass || fail "train + test rows != $total"
[[ "$(json_get "$WORK/random.out" "j['test_rows']")" == "$((total / 5))" ]] && pass || fail "test rows are not --valid-pct 0.2"

# The same search with --jobs 2 gives the same trials, scores and best (seconds aside).
run random2 tune "${space[@]}" --trials 6 --jobs 2
expect_rc random2 0
strip() { python3 -c "import json,sys; [print(json.dumps({k:v for k,v in json.loads(l).items() if k!='seconds'})) for l in open(sys.argv[1])]" "$1"; }
[[ "$(strip "$WORK/random.out")" == "$(strip "$WORK/random2.out")" ]] && pass || fail "--jobs 2 changed the results"

# TPE: 10 random trials then proposals from the trials so far, the same for a seed and for any
# --jobs (proposals come in fixed batches), and its first ten trials are random search's.
run tpe1 tune "${space[@]}" --search tpe --trials 16 --jobs 1
expect_rc tpe1 0
run tpe2 tune "${space[@]}" --search tpe --trials 16 --jobs 2
expect_rc tpe2 0
run tpe3 tune "${space[@]}" --search tpe --trials 16 --jobs 1
expect_rc tpe3 0
[[ $(wc -l <"$WORK/tpe1.out") -eq 17 ]] && pass || fail "--search tpe: $(out tpe1)"
[[ "$(strip "$WORK/tpe1.out")" == "$(strip "$WORK/tpe3.out")" ]] && pass || fail "--search tpe is not deterministic for a seed"
[[ "$(strip "$WORK/tpe1.out")" == "$(strip "$WORK/tpe2.out")" ]] && pass || fail "--search tpe: --jobs 2 changed the results"
python3 - "$WORK/tpe1.out" "$WORK/random.out" <<'PY' && pass || fail "tpe's first trials are not random search's"
import json, sys
tpe = [json.loads(l) for l in open(sys.argv[1])][:6]
rnd = [json.loads(l) for l in open(sys.argv[2])][:6]
assert [(t["lr"], t["wd"], t["factors"]) for t in tpe] == [(t["lr"], t["wd"], t["factors"]) for t in rnd]
PY

# A poisoned test row changes the test metrics and no trial's score.
run split "$COLLAB" split "${data[@]}" --seed 1 --out "$WORK/split"
expect_rc split 0
p="$WORK/poisoned"; mkdir -p "$p"; cp "$d/movies.csv" "$p/"
python3 - "$d/ratings.csv" "$WORK/split/valid.csv" "$p/ratings.csv" <<'PY'
import csv, sys
test = next(csv.DictReader(open(sys.argv[2])))
rows = list(csv.reader(open(sys.argv[1])))
for r in rows[1:]:
    if r[0] == test["userId"] and r[1] == test["movieId"]:
        r[2] = "0.5" if float(r[2]) > 2.5 else "5.0"
csv.writer(open(sys.argv[3], "w", newline=""), lineterminator="\n").writerows(rows)
PY
run poisoned "$COLLAB" tune --ratings "$p/ratings.csv" --movies "$p/movies.csv" --seed 1 --optimizer sparse-adam \
  --epochs 2 --format json "${space[@]}" --trials 6 --jobs 1
expect_rc poisoned 0
python3 - "$WORK/random.out" "$WORK/poisoned.out" <<'PY' && pass || fail "a poisoned test row reached a trial"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert [t["rmse"] for t in a[:-1]] == [t["rmse"] for t in b[:-1]]
assert a[-1]["test_rmse"] != b[-1]["test_rmse"]
PY

# --folds K: each trial's score is the mean over K folds of the training part (never a test row),
# with the folds and their scores' std; the same for any --jobs, and unmoved by a poisoned test row.
run folds tune "${space[@]}" --trials 3 --folds 3 --jobs 1
expect_rc folds 0
run folds2 tune "${space[@]}" --trials 3 --folds 3 --jobs 2
expect_rc folds2 0
[[ "$(strip "$WORK/folds.out")" == "$(strip "$WORK/folds2.out")" ]] && pass || fail "--folds: --jobs 2 changed the results"
run folds-poisoned "$COLLAB" tune --ratings "$p/ratings.csv" --movies "$p/movies.csv" --seed 1 --optimizer sparse-adam \
  --epochs 2 --format json "${space[@]}" --trials 3 --folds 3 --jobs 1
expect_rc folds-poisoned 0
python3 - "$WORK/folds.out" "$WORK/folds-poisoned.out" "$WORK/random.out" <<'PY' && pass || fail "--folds: $(out folds)"
import json, sys
a, b, holdout = ([json.loads(l) for l in open(f)] for f in sys.argv[1:])
trials, best = a[:-1], a[-1]
assert len(trials) == 3
for t in trials:
    assert t["folds"] == 3 and 0 < t["rmse_std"] < 0.5 and 0 < t["rmse"] < 5
    assert t["train_rows"] + t["tune_rows"] == best["train_rows"]
    assert abs(t["tune_rows"] - best["train_rows"] / 3) < 1
assert best["folds"] == 3 and best["rmse"] == min(t["rmse"] for t in trials)
# the same configurations as --tune-pct's first three, scored otherwise
assert [(t["lr"], t["factors"]) for t in trials] == [(t["lr"], t["factors"]) for t in holdout[:3]]
assert [t["rmse"] for t in trials] != [t["rmse"] for t in holdout[:3]]
# no peeking: a poisoned test row moves no fold's score
assert [(t["rmse"], t["rmse_std"]) for t in trials] == [(t["rmse"], t["rmse_std"]) for t in b[:-1]]
PY
run folds-table "$COLLAB" tune "${data[@]}" --seed 1 --optimizer sparse-adam --epochs 1 --search grid --wd 0.01,0.1 --folds 2
expect_rc folds-table 0
expect_in folds-table out "trial  wd  rmse  std  epochs  pruned  seconds"

# The contract's form: each train option takes its SPEC directly, --space being an alias; one
# value fixes the option; arch and optimizer take lists of names.
run direct tune --lr 1e-3..1e-1 --wd 0.01,0.1 --factors 4..16 --trials 6 --jobs 1
expect_rc direct 0
[[ "$(strip "$WORK/random.out")" == "$(strip "$WORK/direct.out")" ]] && pass || fail "--lr SPEC differs from --space lr=SPEC"
run fixed tune --search grid --factors 4,8 --lr 0.02
expect_rc fixed 0
run fixed-space tune --search grid --space factors=4,8 --lr 0.02
expect_rc fixed-space 0
run fixed-other tune --search grid --factors 4,8 --lr 0.005
expect_rc fixed-other 0
[[ "$(strip "$WORK/fixed.out")" == "$(strip "$WORK/fixed-space.out")" && "$(strip "$WORK/fixed.out")" != "$(strip "$WORK/fixed-other.out")" ]] \
  && pass || fail "--lr 0.02 does not fix lr: $(out fixed)"
run categories "$COLLAB" tune "${data[@]}" --seed 1 --epochs 1 --format json --search grid \
  --arch dot-bias,dot --optimizer adam,sparse-adam --negatives 2,3 --lr 1e-2
expect_rc categories 0
[[ "$(python3 -c "import json,sys; print([(j['arch'], j['optimizer'], j['negatives']) for j in map(json.loads, open(sys.argv[1])) if 'best' not in j][::3])" "$WORK/categories.out")" \
   == "[('dot-bias', 'adam', 2), ('dot-bias', 'sparse-adam', 3), ('dot', 'sparse-adam', 2)]" ]] && pass || fail "--arch/--optimizer lists: $(out categories)"
python3 - "$WORK/categories.out" <<'PY' && pass || fail "categorical trials score alike: $(out categories)"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 9 and rows[-1]["arch"] in ("dot-bias", "dot")
assert len({r["rmse"] for r in rows[:-1:2]}) == 4  # arch and optimizer change the score; negatives (BPR only) do not
PY
run nn-sparse "$COLLAB" tune "${data[@]}" --seed 1 --epochs 1 --format json --search grid --arch dot-bias,nn \
  --optimizer sparse-adam
expect_rc nn-sparse 0
expect_in nn-sparse err "this combination scores nothing"
[[ "$(python3 -c "import json,sys; print([j['rmse'] is None for j in map(json.loads, open(sys.argv[1]))])" "$WORK/nn-sparse.out")" \
   == "[False, True, False]" ]] && pass || fail "--arch nn with sparse-adam: $(out nn-sparse)"
jc="$WORK/categories.jsonl"
run jc1 tune --arch dot-bias,nn --lr 1e-2 --search grid --trials 1 --journal "$jc"
expect_rc jc1 0
run jc2 tune --arch dot-bias,nn --lr 1e-2 --search grid --journal "$jc"
expect_rc jc2 0
expect_in jc2 err "1 trials read from"
[[ "$(python3 -c "import json,sys; print([j['arch'] for j in map(json.loads, open(sys.argv[1]))])" "$jc")" == "['dot-bias', 'nn']" ]] \
  && pass || fail "the journal's arch: $(cat "$jc")"

# Grid search: every combination in order, the first option slowest; the table names the columns.
run grid tune --search grid --space wd=0.01,0.1 --space factors=4,8,16 --lr 1e-2
expect_rc grid 0
[[ "$(python3 -c "import json,sys; print([(j['wd'], j['factors']) for j in map(json.loads, open(sys.argv[1])) if 'best' not in j])" "$WORK/grid.out")" \
   == "[(0.01, 4), (0.01, 8), (0.01, 16), (0.1, 4), (0.1, 8), (0.1, 16)]" ]] && pass || fail "grid order: $(out grid)"
run grid-table "$COLLAB" tune "${data[@]}" --seed 1 --optimizer sparse-adam --search grid --space epochs=1,2 --metric ndcg --k 5
expect_rc grid-table 0
expect_in grid-table out "trial  epochs  ndcg@5  pruned  seconds"
expect_in grid-table out "best: trial "
expect_in grid-table out "test, retrained on "

# --model saves the best configuration; eval scores it on the test rows, as tune did.
run model tune --space lr=1e-3,1e-2 --trials 2 --model "$WORK/best.model"
expect_rc model 0
expect_file "$WORK/best.model"
run eval "$COLLAB" eval --model "$WORK/best.model" --format json
expect_rc eval 0
[[ "$(json_get "$WORK/eval.out" "round(j['rmse'], 9)")" == "$(json_get "$WORK/model.out" "round(j['test_rmse'], 9)")" ]] \
  && pass || fail "eval of the saved model: $(out eval) vs $(tail -1 "$WORK/model.out")"

# The journal: a stopped search resumes where it stopped and prints the same results.
j="$WORK/journal.jsonl"
run j1 tune "${space[@]}" --trials 3 --journal "$j"
expect_rc j1 0
[[ $(wc -l <"$j") -eq 3 ]] && pass || fail "journal lines after 3 trials: $(wc -l <"$j")"
run j2 tune "${space[@]}" --trials 6 --journal "$j"
expect_rc j2 0
expect_in j2 err "3 trials read from"
[[ $(wc -l <"$j") -eq 6 ]] && pass || fail "journal lines after 6 trials: $(wc -l <"$j")"
[[ "$(strip "$WORK/random.out" | python3 -c "import sys,json; [print(json.dumps({k:v for k,v in json.loads(l).items() if k!='resumed'})) for l in sys.stdin]")" \
   == "$(strip "$WORK/j2.out" | python3 -c "import sys,json; [print(json.dumps({k:v for k,v in json.loads(l).items() if k!='resumed'})) for l in sys.stdin]")" ]] \
  && pass || fail "a resumed search differs from one run whole"
[[ "$(python3 -c "import json,sys; print(sum(json.loads(l).get('resumed', False) for l in open(sys.argv[1])))" "$WORK/j2.out")" == 3 ]] \
  && pass || fail "resumed trials are not marked"
run j3 tune "${space[@]}" --trials 6 --journal "$j" --wd 0.2 --space wd=0.01,0.1
expect_rc j3 64
run j4 tune --space lr=1e-3..1e-1 --space wd=0.01,0.1 --space factors=4..17 --trials 6 --journal "$j"
expect_rc j4 65
expect_in j4 err "a trial of another search"
expect_one_line_error j4
run j5 tune "${space[@]}" --trials 6 --journal "$WORK/no/such/dir/j.jsonl"
expect_rc j5 73

# --prune (ASHA, eta 3): trials stopped at epoch 1 (the only rung below 2 epochs) say pruned and
# the rung's epochs; the others score as without --prune; the same for --jobs 1 and 2, and for a
# search resumed from its journal (the rung scores come back with it).
run prune1 tune "${space[@]}" --trials 6 --prune --jobs 1
expect_rc prune1 0
run prune2 tune "${space[@]}" --trials 6 --prune --jobs 2
expect_rc prune2 0
[[ "$(strip "$WORK/prune1.out")" == "$(strip "$WORK/prune2.out")" ]] && pass || fail "--prune: --jobs 2 changed the results"
python3 - "$WORK/prune1.out" "$WORK/random.out" <<'PY' && pass || fail "--prune: $(out prune1)"
import json, sys
pruned, whole = ([json.loads(l) for l in open(f)] for f in sys.argv[1:])
kept = [t for t in pruned[:-1] if not t["pruned"]]
stopped = [t for t in pruned[:-1] if t["pruned"]]
assert kept and stopped, "nothing pruned, or everything"
assert all(t["epochs"] == 1 for t in stopped) and all(t["epochs"] == 2 for t in kept)
for t in kept:
    assert t["rmse"] == whole[t["trial"]]["rmse"]
best = pruned[-1]
assert not pruned[best["trial"]]["pruned"] and best["rmse"] == min(t["rmse"] for t in kept)
PY
jp="$WORK/prune.jsonl"
run jp1 tune "${space[@]}" --trials 3 --prune --jobs 1 --journal "$jp"
expect_rc jp1 0
run jp2 tune "${space[@]}" --trials 6 --prune --jobs 2 --journal "$jp"
expect_rc jp2 0
[[ "$(strip "$WORK/prune1.out" | python3 -c "import sys,json; [print(json.dumps({k:v for k,v in json.loads(l).items() if k!='resumed'})) for l in sys.stdin]")" \
   == "$(strip "$WORK/jp2.out" | python3 -c "import sys,json; [print(json.dumps({k:v for k,v in json.loads(l).items() if k!='resumed'})) for l in sys.stdin]")" ]] \
  && pass || fail "--prune: a resumed search differs from one run whole"

# --plot: the metric against each tuned option (arch as categories) and the best so far, a valid
# PNG or SVG; a path that cannot be written is 73 and leaves neither the picture nor the model.
check_image() {  # check_image FILE: a PNG or SVG of 800x600 with something drawn
  python3 - "$1" <<'PY'
import struct, sys
path = sys.argv[1]
b = open(path, "rb").read()
if path.endswith(".png"):
    assert b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR", "not a PNG"
    assert struct.unpack(">II", b[16:24]) == (800, 600) and len(b) > 5000
else:
    t = b.decode()
    assert t.lstrip().startswith("<?xml") and 'width="800pt"' in t and "</svg>" in t and t.count("<path") > 20
PY
}
run plot tune --lr 1e-3..1e-1 --arch dot-bias,dot --trials 4 --plot "$WORK/tune.png"
expect_rc plot 0
check_image "$WORK/tune.png" && pass || fail "tune --plot png"
run plot-svg tune --lr 1e-3..1e-1 --factors 4,8 --folds 2 --trials 3 --plot "$WORK/tune.svg"
expect_rc plot-svg 0
check_image "$WORK/tune.svg" && pass || fail "tune --plot svg"
run plot-bad tune --lr 1e-3,1e-2 --plot "$WORK/no/such/dir/tune.png" --model "$WORK/plot-bad.model"
expect_rc plot-bad 73
expect_no_file "$WORK/plot-bad.model"
[[ -z "$(find "$WORK" -name '*.tmp.*')" ]] && pass || fail "a partial file was left: $(find "$WORK" -name '*.tmp.*')"
run plot-gif tune --lr 1e-3,1e-2 --plot "$WORK/tune.gif"
expect_rc plot-gif 64
expect_in plot-gif err "--plot"
expect_no_file "$WORK/tune.gif"

# Bad values: 64, naming the option.
bad() {  # bad NAME OPTION ARGS...
  local name=$1 option=$2; shift 2
  run "$name" tune "$@"
  expect_rc "$name" 64
  expect_in "$name" err "$option"
}
bad no-space --space --trials 2
bad space-name --space --space momentum=0.9
bad space-range --space --space lr=0..1
bad space-int --space --space factors=8.5,16
bad space-twice --space --space lr=1e-3,1e-2 --space lr=1e-2,1e-1
bad space-and-option --space --space lr=1e-3,1e-2 --lr 1e-2
bad grid-range --search --search grid --space lr=1e-3..1e-2
bad search --search --search annealing --space lr=1e-3,1e-2
bad tpe-range --space --search tpe --space lr=0..1
bad tpe-reversed --space --search tpe --space factors=16..8
bad trials --trials --space lr=1e-3,1e-2 --trials 0
bad budget --time-budget --space lr=1e-3,1e-2 --time-budget -1
bad jobs --jobs --space lr=1e-3,1e-2 --jobs -2
bad metric --metric --space lr=1e-3,1e-2 --metric auc
bad metric-ranking --metric --space lr=1e-3,1e-2 --arch popularity --metric rmse
bad k --k --space lr=1e-3,1e-2 --k 0
bad tune-pct --tune-pct --space lr=1e-3,1e-2 --tune-pct 0
bad tune-pct-high --tune-pct --space lr=1e-3,1e-2 --tune-pct 1
bad test-pct --test-pct --space lr=1e-3,1e-2 --test-pct 0.1
bad folds --folds --lr 1e-3,1e-2 --folds 1
bad folds-and-pct --folds --lr 1e-3,1e-2 --folds 3 --tune-pct 0.1
bad lr-range --lr --lr 0..1
bad lr-word --lr --lr fast
bad factors-int --factors --factors 8.5
bad wd-reversed --wd --wd 0.1..0.01
bad arch-range --arch --arch dot..nn
bad arch-name --arch --arch dot-bias,mlp
bad optimizer-name --optimizer --optimizer adam,sgd --lr 1e-3,1e-2
bad nothing-tuned --lr --lr 0.01
bad prune-metric --prune --lr 1e-3,1e-2 --prune --metric ndcg
bad prune-folds --prune --lr 1e-3,1e-2 --prune --folds 2

# --time-budget: no trial starts after it; the trials that ran are reported, then the best.
run budget-ok tune "${space[@]}" --trials 50 --time-budget 0.000001 --jobs 1
expect_rc budget-ok 0
[[ $(wc -l <"$WORK/budget-ok.out") -eq 2 ]] && pass || fail "--time-budget: $(out budget-ok)"

finish
