#!/usr/bin/env bash
# `collab train` on made-up data: the table and JSON, the saved model, repeatability, every
# architecture, and the NaN, Ctrl-C and no-CUDA paths leaving the earlier model untouched.
source "$(dirname "$0")/lib.sh"

d="$WORK/csv"
python3 "$E2E/make_data.py" csv "$d"
data=(--ratings "$d/ratings.csv" --movies "$d/movies.csv")
model="$WORK/m.collab"

run table "$COLLAB" train "${data[@]}" --epochs 3 --seed 1 --model "$model"
expect_rc table 0
[[ "$(head -1 "$WORK/table.out")" == "epoch  train_loss  valid_loss  time" ]] && pass || fail "table header: $(out table)"
[[ $(wc -l <"$WORK/table.out") -eq 4 ]] && pass || fail "expected 3 epoch rows: $(out table)"
expect_file "$model"
expect_in table err "saved the model"

run json "$COLLAB" train "${data[@]}" --epochs 3 --seed 1 --model "$WORK/j.collab" --format json
expect_rc json 0
[[ $(wc -l <"$WORK/json.out") -eq 3 ]] && pass || fail "expected one JSON object per epoch"
keys=$(json_get "$WORK/json.out" "sorted(j)")
for k in epoch train_loss valid_loss seconds; do [[ "$keys" == *"'$k'"* ]] && pass || fail "JSON lacks $k: $keys"; done
strip() { python3 -c "import json,sys; [print(json.dumps({k:v for k,v in json.loads(l).items() if k!='seconds'})) for l in open(sys.argv[1])]" "$1"; }

# The same seed repeats exactly; without one, a fresh seed is printed.
run again "$COLLAB" train "${data[@]}" --epochs 3 --seed 1 --model "$WORK/k.collab" --format json
[[ "$(strip "$WORK/json.out")" == "$(strip "$WORK/again.out")" ]] && pass || fail "same seed, different numbers"
run fresh "$COLLAB" train "${data[@]}" --epochs 1 --model "$WORK/f.collab" --format json
expect_in fresh err "repeat this run with --seed"
seed=$(grep -o -- '--seed [0-9]*' "$WORK/fresh.err" | head -1 | cut -d' ' -f2)
run replay "$COLLAB" train "${data[@]}" --epochs 1 --seed "$seed" --model "$WORK/f2.collab" --format json
[[ "$(strip "$WORK/fresh.out")" == "$(strip "$WORK/replay.out")" ]] && pass || fail "the printed seed did not repeat the run"

# Every architecture trains, prints its epoch table and saves a model that records its arch and
# tables, loads in the reading verbs, and scores its own validation rows as training last did.
# Popularity has no validation loss (nan); only dot-bias and baseline have biases.
tables_of() {  # the tables a model of arch $1 stores
  case $1 in
    dot | dot-range) echo "user_factors item_factors" ;;
    dot-bias) echo "user_factors item_factors user_bias item_bias" ;;
    nn) echo "user_factors item_factors layers.0.linear.weight layers.0.bn.weight layers.0.bn.bias" \
      "layers.0.bn.running_mean layers.0.bn.running_var out.weight out.bias" ;;
    popularity) echo "item_count" ;;
    baseline) echo "global_mean user_bias item_bias" ;;
  esac
}
for arch in dot dot-range dot-bias nn popularity baseline; do
  m="$WORK/$arch.collab"
  run "arch_$arch" "$COLLAB" train "${data[@]}" --arch "$arch" --epochs 3 --seed 2 --model "$m"
  expect_rc "arch_$arch" 0
  python3 - "$WORK/arch_$arch.out" "$arch" <<'PY' && pass || fail "$arch: the epoch table: $(out "arch_$arch")"
import math, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines[0] == "epoch  train_loss  valid_loss  time", lines[0]
rows = [l.split() for l in lines[1:]]
assert [r[0] for r in rows] == ["0", "1", "2"], rows  # one row per epoch
for epoch, train, valid, seconds in rows:
    assert math.isfinite(float(train)), train
    assert (valid == "nan") if sys.argv[2] == "popularity" else math.isfinite(float(valid)), valid
    assert seconds.endswith("s") and float(seconds[:-1]) >= 0, seconds
PY
  python3 - "$m" "$arch" "$(tables_of "$arch")" <<PY && pass || fail "$arch: the model file's arch or tables"
import sys
sys.path.insert(0, "$E2E")
from craft_model import read
header, _ = read(sys.argv[1])
assert header["arch"] == sys.argv[2], header["arch"]
assert [t["name"] for t in header["tensors"]] == sys.argv[3].split(), header["tensors"]
PY
  run "eval_$arch" "$COLLAB" eval --model "$m" --format json
  expect_rc "eval_$arch" 0
  python3 - "$WORK/eval_$arch.out" "$WORK/arch_$arch.out" "$arch" <<'PY' && pass || fail "$arch: eval of the saved model: $(out "eval_$arch")"
import json, sys
e = json.loads(open(sys.argv[1]).read())
last_valid = open(sys.argv[2]).read().splitlines()[-1].split()[2]
assert e["rows"] > 0 and e["users"] > 0, e
if sys.argv[3] == "popularity":
    assert e["mse"] is None, e  # it scores items, it predicts no rating
else:
    assert abs(e["mse"] - float(last_valid)) < 1e-5, (e["mse"], last_valid)  # the table rounds to 6 places
PY
  run "recommend_$arch" "$COLLAB" recommend --model "$m" --user 7 --top 3 --format tsv
  expect_rc "recommend_$arch" 0
  [[ $(wc -l <"$WORK/recommend_$arch.out") -eq 4 ]] && pass || fail "$arch: recommend --top 3: $(out "recommend_$arch")"
  run "bias_$arch" "$COLLAB" bias --model "$m" --top 2
  if [[ $arch == dot-bias || $arch == baseline ]]; then
    expect_rc "bias_$arch" 0
  else
    expect_rc "bias_$arch" 65
    expect_in "bias_$arch" err "the model has no biases: it was trained with --arch $arch"
  fi
done
run sparse "$COLLAB" train "${data[@]}" --optimizer sparse-adam --epochs 2 --seed 2 --model "$WORK/sparse.collab" --format json
expect_rc sparse 0
run torch_engine "$COLLAB" train "${data[@]}" --engine torch --epochs 2 --seed 2 --model "$WORK/torch.collab" --format json
expect_rc torch_engine 0
run cpu_engine "$COLLAB" train "${data[@]}" --engine cpu --epochs 2 --seed 2 --model "$WORK/cpu.collab" --format json
python3 - "$WORK/torch_engine.out" "$WORK/cpu_engine.out" <<'PY' && pass || fail "LibTorch and the CPU engine disagree"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert all(abs(x["valid_loss"] - y["valid_loss"]) < 1e-4 for x, y in zip(a, b)), (a, b)
PY

# --threads N uses N threads, with the same numbers; more threads than cores says so on stderr.
for opt in adam sparse-adam; do
  run "threads1_$opt" "$COLLAB" train "${data[@]}" --optimizer $opt --threads 1 --bs 32 --epochs 2 --seed 3 \
    --model "$WORK/t1.collab" --format json
  run "threads3_$opt" taskset -c 0 "$COLLAB" train "${data[@]}" --optimizer $opt --threads 3 --bs 32 --epochs 2 \
    --seed 3 --model "$WORK/t3.collab" --format json
  expect_rc "threads3_$opt" 0
  [[ "$(strip "$WORK/threads1_$opt.out")" == "$(strip "$WORK/threads3_$opt.out")" ]] && pass ||
    fail "$opt: 3 threads and 1 ended differently"
  expect_in "threads3_$opt" err "3 threads"
  expect_in "threads3_$opt" err "more than the 1 core this process may use"
done

# A diverging loss: exit 65 with advice, and the earlier model untouched.
before=$(md5sum "$model")
run nan "$COLLAB" train "${data[@]}" --arch dot --lr 1e6 --epochs 2 --seed 1 --model "$model"
expect_rc nan 65
expect_in nan err "try a lower --lr"
expect_one_line_error nan
[[ "$(md5sum "$model")" == "$before" ]] && pass || fail "a diverged run changed the model"

# Ctrl-C: stops after the current batch, exit 130, the earlier model untouched.
"$COLLAB" train "${data[@]}" --epochs 100000 --seed 1 --model "$model" >"$WORK/int.out" 2>"$WORK/int.err" &
pid=$!
for _ in $(seq 100); do grep -q "epoch" "$WORK/int.out" 2>/dev/null && break; sleep 0.05; done
sleep 0.3
kill -INT $pid
wait $pid
rc=$?
expect_rc int 130
expect_in int err "interrupted"
[[ "$(md5sum "$model")" == "$before" ]] && pass || fail "an interrupted run changed the model"
[[ -z "$(ls "$WORK" | grep '\.tmp\.')" ]] && pass || fail "a temporary file was left"

# Without CUDA (as in CI): a clear error and exit 69; auto picks the CPU and says so.
# On a GPU machine scripts/gpu-check sets COLLAB_EXPECT_CUDA=1 and checks CUDA itself.
if [[ -z "${COLLAB_EXPECT_CUDA:-}" ]]; then
  run cuda "$COLLAB" train "${data[@]}" --device cuda --epochs 1 --model "$WORK/cuda.collab"
  expect_rc cuda 69
  expect_in cuda err "CUDA is not available"
  expect_no_file "$WORK/cuda.collab"
  run auto "$COLLAB" train "${data[@]}" --device auto --epochs 1 --model "$WORK/auto.collab"
  expect_rc auto 0
  expect_in auto err "on cpu"
fi

# An unwritable model path: exit 73.
run unwritable "$COLLAB" train "${data[@]}" --epochs 1 --seed 1 --model /proc/collab/m.collab
expect_rc unwritable 73
finish
