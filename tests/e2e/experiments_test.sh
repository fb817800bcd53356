#!/usr/bin/env bash
# Experiments from the shell on made-up data: splits, collab split and --valid-ratings, eval with
# every metric, cv, recommend --all-users, and a new user from a ratings file.
source "$(dirname "$0")/lib.sh"

d="$WORK/csv"
python3 "$E2E/make_data.py" csv "$d" 80 120
data=(--ratings "$d/ratings.csv" --movies "$d/movies.csv")
train() { "$COLLAB" train "${data[@]}" --epochs 3 --lr 1e-2 "$@"; }
valid_loss() { json_get "$1" "repr(j['valid_loss'])"; }

# Splits on every verb that trains; the model records its split.
for split in random time user-last; do
  run "split-$split" train --seed 2 --split "$split" --model "$WORK/$split.collab" --format json
  expect_rc "split-$split" 0
done
run bad-split train --split sideways
expect_rc bad-split 64
run too-many-last train --split user-last --valid-last 100000
expect_rc too-many-last 65
expect_in too-many-last err "leaves user"
run lr-find-time "$COLLAB" lr-find "${data[@]}" --split time --num-it 30 --seed 1 --format json
expect_rc lr-find-time 0

# Each split holds out the rows its definition names (docs/experiments.md#splits), checked by
# check_split.py against the data's own timestamps: the time splits' validation rows are the
# latest (per user for user-*; ties to the later row), random's sizes follow --valid-pct, and the
# per-user splits hold out within each user. The data's timestamps tie often; users 9001 and 9002
# have one and two ratings.
td="$WORK/times"
python3 "$E2E/make_data.py" times "$td"
split_holds_out_what_its_definition_names() {  # NAME SPLIT OPTIONS...: collab split, then check
  local name=$1 kind=$2; shift 2
  run "def-$name" "$COLLAB" split --ratings "$td/ratings.csv" --movies "$td/movies.csv" --seed 3 --split "$kind" "$@" \
    --out "$WORK/def-$name" --format json
  expect_rc "def-$name" 0
  python3 "$E2E/check_split.py" "$td/ratings.csv" "$WORK/def-$name" "$kind" "$@" 2>"$WORK/def-$name.check" \
    && pass || fail "$name: collab split's files differ from the split's definition: $(head -5 "$WORK/def-$name.check")"
}
split_holds_out_what_its_definition_names random random --valid-pct 0.25
split_holds_out_what_its_definition_names random-test random --valid-pct 0.2 --test-pct 0.1
split_holds_out_what_its_definition_names time time --valid-pct 0.2
split_holds_out_what_its_definition_names time-test time --valid-pct 0.15 --test-pct 0.1
split_holds_out_what_its_definition_names user-last user-last --valid-last 2 --min-user-ratings 3
split_holds_out_what_its_definition_names user-time user-time --valid-pct 0.3
split_holds_out_what_its_definition_names user-time-test user-time --valid-pct 0.2 --test-pct 0.2
split_holds_out_what_its_definition_names user-random user-random --valid-pct 0.3 --test-pct 0.1
[[ "$(json_get "$WORK/def-user-time.out" "j['users_kept_whole']")" == 1 ]] && pass \
  || fail "user-time: the user with one rating is not the one user kept whole: $(out def-user-time)"

# collab split, then train --valid-ratings with the same seed: the very same validation loss.
run split "$COLLAB" split "${data[@]}" --seed 5 --split user-last --valid-last 2 --out "$WORK/sp"
expect_rc split 0
[[ $(head -1 "$WORK/sp/valid.csv") == "userId,movieId,rating,timestamp" ]] && pass || fail "valid.csv header"
[[ $(($(wc -l <"$WORK/sp/valid.csv") - 1)) -eq 160 ]] && pass || fail "2 ratings for each of 80 users"
run direct train --seed 5 --split user-last --valid-last 2 --model "$WORK/direct.collab" --format json
run given train --seed 5 --valid-ratings "$WORK/sp/valid.csv" --model "$WORK/given.collab" --format json
expect_rc given 0
[[ "$(valid_loss "$WORK/direct.out")" == "$(valid_loss "$WORK/given.out")" ]] && pass \
  || fail "split then --valid-ratings: $(valid_loss "$WORK/given.out") vs $(valid_loss "$WORK/direct.out")"
printf 'userId,movieId,rating,timestamp\n99999,1,4,0\n' >"$WORK/stranger.csv"
run absent train --seed 5 --valid-ratings "$WORK/stranger.csv"
expect_rc absent 65
expect_in absent err "stranger.csv line 2"

# eval on the model's own validation rows: its MSE is the training's last validation loss.
run eval "$COLLAB" eval --model "$WORK/direct.collab" --format json --k 5
expect_rc eval 0
python3 - "$WORK/eval.out" "$WORK/direct.out" <<'PY' && pass || fail "eval's JSON or its MSE"
import json, sys
e = json.loads(open(sys.argv[1]).read())
t = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
for key in ["mse", "rmse", "mae", "r2", "rows", "cold_users", "cold_items", "precision", "recall", "ndcg", "map", "hit_rate", "users", "coverage"]:
    assert key in e, key
assert abs(e["mse"] - t["valid_loss"]) < 1e-6, (e["mse"], t["valid_loss"])
assert e["rows"] == 160 and e["users"] > 0 and 0 <= e["precision"] <= 1 and 0 < e["coverage"] <= 1
PY
run eval-file "$COLLAB" eval --model "$WORK/direct.collab" --ratings "$WORK/sp/valid.csv" --predictions "$WORK/p.tsv"
expect_rc eval-file 0
expect_in eval-file out "ndcg@10"
[[ $(($(wc -l <"$WORK/p.tsv") - 1)) -eq 160 ]] && pass || fail "a predictions row per rating"
run eval-stranger "$COLLAB" eval --model "$WORK/direct.collab" --ratings "$WORK/stranger.csv" --format json
expect_rc eval-stranger 0
[[ "$(json_get "$WORK/eval-stranger.out" "j['cold_users']")" == 1 ]] && pass || fail "a stranger is a cold user"
run bad-k "$COLLAB" eval --model "$WORK/direct.collab" --k 0
expect_rc bad-k 64

# cv: a row per fold, then mean and std; JSON on request.
run cv "$COLLAB" cv "${data[@]}" --folds 3 --epochs 2 --seed 1 --format json
expect_rc cv 0
python3 - "$WORK/cv.out" <<'PY' && pass || fail "cv's JSON lines"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["fold"] for r in rows] == [0, 1, 2, "mean", "std"], rows
for r in rows:
    assert set(r) == {"fold", "mse", "rmse", "mae", "fit_seconds", "eval_seconds", "precision", "recall", "ndcg",
                      "map", "hit_rate", "coverage", "folds_fingerprint"}, r
assert len({r["folds_fingerprint"] for r in rows}) == 1 and len(rows[0]["folds_fingerprint"]) == 16
assert abs(rows[3]["rmse"] - sum(r["rmse"] for r in rows[:3]) / 3) < 1e-9
PY

# recommend --all-users: every trained user, in order, the same lists as recommend --user.
run all "$COLLAB" recommend --all-users --model "$WORK/direct.collab" --top 3 --format tsv
expect_rc all 0
[[ $(($(wc -l <"$WORK/all.out") - 1)) -eq 240 ]] && pass || fail "3 rows for each of 80 users"
run one "$COLLAB" recommend --user 7 --model "$WORK/direct.collab" --top 3 --format tsv
diff <(tail -n +2 "$WORK/one.out" | cut -f2,3) <(awk -F'\t' '$1 == 7 {print $3 "\t" $4}' "$WORK/all.out") >/dev/null \
  && pass || fail "all-users list of user 7 differs from recommend --user 7"

# A new user from a ratings file, without retraining.
printf 'title,rating\n"Shawshank Redemption, The (1994)",5\nMovie 10 (1960),2\n' >"$WORK/me.csv"
run me "$COLLAB" recommend --model "$WORK/direct.collab" --ratings-of "$WORK/me.csv" --format json --top 5
expect_rc me 0
python3 - "$WORK/me.out" <<'PY' && pass || fail "a new user's recommendations"
import json, sys
j = json.loads(open(sys.argv[1]).read())
titles = [r["title"] for r in j["recommendations"]]
assert len(titles) == 5 and "Shawshank Redemption, The (1994)" not in titles, titles
PY
run me-predict "$COLLAB" predict --model "$WORK/direct.collab" --ratings-of "$WORK/me.csv" --item "Movie 11 (1961)"
expect_rc me-predict 0
printf 'movieId,rating\n424242,5\n' >"$WORK/unknown.csv"
run me-unknown "$COLLAB" recommend --model "$WORK/direct.collab" --ratings-of "$WORK/unknown.csv"
expect_rc me-unknown 65
expect_in me-unknown err "unknown.csv line 2: field 'movieId'"

finish
