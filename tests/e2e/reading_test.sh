#!/usr/bin/env bash
# The verbs that read a saved model, in every format, on a made-up model whose answers are known:
# every user rated "Shawshank Redemption, The (1994)" 5, so it has the highest item bias.
source "$(dirname "$0")/lib.sh"

d="$WORK/csv"
python3 "$E2E/make_data.py" csv "$d"
model="$WORK/m.collab"
"$COLLAB" train --ratings "$d/ratings.csv" --movies "$d/movies.csv" --epochs 5 --lr 1e-2 --seed 3 \
  --model "$model" >/dev/null 2>&1 || fail "training the test model failed"

run bias "$COLLAB" bias --model "$model" --top 3
expect_rc bias 0
expect_in bias out "highest item biases"
[[ "$(grep -A2 '^highest' "$WORK/bias.out" | tail -1)" == *"Shawshank Redemption, The (1994)"* ]] && pass \
  || fail "Shawshank is not the highest bias: $(out bias)"
run bias_json "$COLLAB" bias --model "$model" --top 3 --format json
expect_rc bias_json 0
[[ "$(json_get "$WORK/bias_json.out" "j['highest'][0]['title']")" == "Shawshank Redemption, The (1994)" ]] && pass || fail "json highest"
python3 - "$WORK/bias_json.out" <<'PY' && pass || fail "bias JSON shape or order"
import json, sys
j = json.load(open(sys.argv[1]))
lo, hi = [x["bias"] for x in j["lowest"]], [x["bias"] for x in j["highest"]]
assert len(lo) == 3 and len(hi) == 3 and lo == sorted(lo) and hi == sorted(hi, reverse=True) and lo[0] < hi[-1]
assert all(set(x) == {"title", "bias"} for x in j["lowest"] + j["highest"])
PY
run bias_tsv "$COLLAB" bias --model "$model" --top 2 --format tsv
[[ "$(head -1 "$WORK/bias_tsv.out")" == $'side\trank\ttitle\tbias' ]] && pass || fail "tsv header"
[[ $(wc -l <"$WORK/bias_tsv.out") -eq 5 ]] && pass || fail "tsv rows"
run users "$COLLAB" bias --model "$model" --users --format json
expect_rc users 0
expect_in users out '"userId"'

run similar "$COLLAB" similar "usual suspects" --model "$model" --top 4 --format json
expect_rc similar 0
[[ "$(json_get "$WORK/similar.out" "j['title'], len(j['similar'])")" == "Usual Suspects, The (1995) 4" ]] && pass || fail "similar: $(out similar)"
run similar_tsv "$COLLAB" similar "Amélie (2001)" --model "$model" --format tsv
expect_rc similar_tsv 0
run unknown "$COLLAB" similar "Usual Suspect" --model "$model"
expect_rc unknown 65
expect_in unknown err "no item titled 'Usual Suspect'"
expect_in unknown err "Usual Suspects, The (1995)"
expect_one_line_error unknown

run recommend "$COLLAB" recommend --user 1 --model "$model" --top 5 --format json
expect_rc recommend 0
python3 - "$WORK/recommend.out" <<'PY' && pass || fail "recommendations are not the top 5 in order"
import json, sys
j = json.load(open(sys.argv[1]))
scores = [x["predicted_rating"] for x in j["recommendations"]]
assert len(scores) == 5 and scores == sorted(scores, reverse=True) and j["userId"] == 1
PY
run nouser "$COLLAB" recommend --user 99999 --model "$model"
expect_rc nouser 65
expect_in nouser err "no user 99999"

run predict "$COLLAB" predict --user 1 --item "Shawshank Redemption, The (1994)" --model "$model"
expect_rc predict 0
python3 -c "import sys; v=float(open(sys.argv[1]).read()); assert 4.0 < v <= 5.5, v" "$WORK/predict.out" && pass || fail "predict: $(out predict)"
run predict_json "$COLLAB" predict --user 1 --item "Movie 10 (1960)" --model "$model" --format json
expect_rc predict_json 0
expect_in predict_json out '"prediction"'

run factors "$COLLAB" factors --model "$model" --pca 3 --top 3 --format json --out "$WORK/coords.tsv"
expect_rc factors 0
[[ "$(json_get "$WORK/factors.out" "len(j['components']), len(j['components'][0]['highest'])")" == "3 3" ]] && pass || fail "factors json"
[[ "$(head -1 "$WORK/coords.tsv")" == $'title\tpc1\tpc2\tpc3' ]] && pass || fail "coords header"
run factors_table "$COLLAB" factors --model "$model" --pca 2
expect_rc factors_table 0
expect_in factors_table out "component 1"

# Model files that are missing, truncated or not models.
run missing "$COLLAB" bias --model "$WORK/none.collab"
expect_rc missing 66
expect_in missing err "no such model file"
head -c 2000 "$model" >"$WORK/trunc.collab"
run trunc "$COLLAB" bias --model "$WORK/trunc.collab"
expect_rc trunc 65
expect_in trunc err "truncated"
run notmodel "$COLLAB" bias --model "$d/ratings.csv"
expect_rc notmodel 65
expect_in notmodel err "not a collab model"

# A model without biases says so.
"$COLLAB" train --ratings "$d/ratings.csv" --movies "$d/movies.csv" --arch dot --epochs 1 --seed 3 \
  --model "$WORK/dot.collab" >/dev/null 2>&1
run nobias "$COLLAB" bias --model "$WORK/dot.collab"
expect_rc nobias 65
expect_in nobias err "no biases"
# An nn model answers predict and recommend with its own forward pass.
"$COLLAB" train --ratings "$d/ratings.csv" --movies "$d/movies.csv" --arch nn --epochs 1 --seed 3 \
  --model "$WORK/nn.collab" >/dev/null 2>&1
run nn_predict "$COLLAB" predict --user 1 --item "Amélie (2001)" --model "$WORK/nn.collab"
expect_rc nn_predict 0
finish
