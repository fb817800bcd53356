#!/usr/bin/env bash
# The seed notebook's run on the real ml-latest-small archive, where ../shared has it:
# pandas' counts, fastai's validation loss within noise, Shawshank among the highest biases.
source "$(dirname "$0")/lib.sh"
if [[ ! -f "${COLLAB_ML_SMALL_ZIP:-}" ]]; then
  echo "skipped: the MovieLens archive ${COLLAB_ML_SMALL_ZIP:-<unset>} is absent"
  exit 77
fi
export COLLAB_DATA_DIR="$WORK/data"
run download "$COLLAB" download --url "file://$COLLAB_ML_SMALL_ZIP"
expect_rc download 0

run data "$COLLAB" data --format json
expect_rc data 0
[[ "$(json_get "$WORK/data.out" "j['ratings'], j['users'], j['items']")" == "100836 610 9719" ]] && pass \
  || fail "counts: $(out data)"

# Three seeds: each ends at valid_loss <= 0.735, their mean within [0.700, 0.726]
# (fastai 2.7.12: 0.7134 +- 0.0086 over random splits).
for seed in 1 2 3; do
  run "train$seed" "$COLLAB" train --epochs 5 --lr 5e-3 --wd 0.1 --seed $seed --model "$WORK/s$seed.collab" --format json
  expect_rc "train$seed" 0
done
python3 - "$WORK"/train{1,2,3}.out <<'PY' && pass || fail "validation losses out of fastai's range"
import json, sys
final = [json.loads(open(p).read().splitlines()[-1])["valid_loss"] for p in sys.argv[1:]]
mean = sum(final) / len(final)
print("final valid_loss per seed:", final, "mean", round(mean, 4))
assert all(v <= 0.735 for v in final) and 0.700 <= mean <= 0.726, final
PY

run bias "$COLLAB" bias --top 5 --model "$WORK/s1.collab" --format json
expect_rc bias 0
python3 - "$WORK/bias.out" <<'PY' && pass || fail "bias tails: $(out bias)"
import json, sys
j = json.load(open(sys.argv[1]))
highest = [x["title"] for x in j["highest"]]
lowest = [x["title"] for x in j["lowest"]]
print("highest:", highest)
print("lowest:", lowest)
assert "Shawshank Redemption, The (1994)" in highest
assert "Catwoman (2004)" in lowest or "Battlefield Earth (2000)" in lowest
PY
run similar "$COLLAB" similar "Toy Story" --model "$WORK/s1.collab" --format json
expect_rc similar 0

# fastai's lr_find on this data suggests a rate within a factor of 10 of the seed's 5e-3.
run lrfind "$COLLAB" lr-find --seed 1 --format json
expect_rc lrfind 0
python3 -c "import json,sys; v=json.load(open(sys.argv[1]))['suggested_lr']; print('suggested lr', v); assert 5e-4 <= v <= 5e-2" "$WORK/lrfind.out" \
  && pass || fail "lr-find suggestion: $(out lrfind | head -c 200)"
finish
