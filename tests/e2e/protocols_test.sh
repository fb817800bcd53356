#!/usr/bin/env bash
# The literature's protocols from the shell: per-user splits (each user's share at random or by
# time), test rows held out of both training and validation, and the filters before the split
# (minimum rating, k-core), checked row by row against rules computed here independently.
source "$(dirname "$0")/lib.sh"

# 40 users with 1 to 13 ratings each, at distinct times, so that per-user shares and time order
# are both visible; movies 1-30.
d="$WORK/csv"
mkdir -p "$d"
python3 - "$d" <<'PY'
import random, sys
rng = random.Random(11)
folder = sys.argv[1]
with open(f"{folder}/movies.csv", "w") as f:
    f.write("movieId,title,genres\n")
    for i in range(1, 31):
        f.write(f"{i},Movie {i} ({1950 + i}),Drama\n")
times = rng.sample(range(900000000, 999999999), 400)
with open(f"{folder}/ratings.csv", "w") as f:
    f.write("userId,movieId,rating,timestamp\n")
    k = 0
    for u in range(1, 41):
        for i in rng.sample(range(1, 31), 1 + u % 13):
            f.write(f"{u},{i},{rng.choice([1, 2, 2.5, 3, 3.5, 4, 4.5, 5])},{times[k]}\n")
            k += 1
PY
data=(--ratings "$d/ratings.csv" --movies "$d/movies.csv")
rows() { echo $(($(wc -l <"$1") - 1)); }
total=$(rows "$d/ratings.csv")

# check_shares DIR VALID TEST ORDER: every user's rows in DIR/{train,valid,test}.csv follow the
# rank rule: rank k of n trains when k/n <= 1 - VALID - TEST (at least one trains), validates
# when k/n <= 1 - TEST; with ORDER=time the held-out rows are each user's latest.
check_shares() {
  python3 - "$@" "$d/ratings.csv" <<'PY'
import csv, os, sys
folder, valid_pct, test_pct, order, source = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
def read(name):
    path = os.path.join(folder, name)
    return list(csv.DictReader(open(path))) if os.path.exists(path) else []
parts = {name: read(name + ".csv") for name in ("train", "valid", "test")}
every = list(csv.DictReader(open(source)))
key = lambda r: (r["userId"], r["movieId"])
seen = [key(r) for rows in parts.values() for r in rows]
assert sorted(seen) == sorted(key(r) for r in every), "the parts are not the ratings, each once"
n = {}
for r in every:
    n[r["userId"]] = n.get(r["userId"], 0) + 1
def ranks_within(n, share):
    return sum(1 for k in range(1, n + 1) if k / n <= share)
train_share = 1.0 - valid_pct - test_pct
for user, count in n.items():
    train = max(1, ranks_within(count, train_share))
    upto = max(ranks_within(count, train_share + valid_pct), train) if test_pct > 0 else count
    got = {p: [r for r in rows if r["userId"] == user] for p, rows in parts.items()}
    assert (len(got["train"]), len(got["valid"]), len(got["test"])) == (train, upto - train, count - upto), \
        (user, count, {p: len(v) for p, v in got.items()})
    if order == "time" and got["valid"]:
        assert max(int(r["timestamp"]) for r in got["train"]) < min(int(r["timestamp"]) for r in got["valid"]), user
    if order == "time" and got["test"]:
        assert max(int(r["timestamp"]) for r in got["train"] + got["valid"]) < min(int(r["timestamp"]) for r in got["test"]), user
print("whole", sum(1 for c in n.values() if max(1, ranks_within(c, train_share)) == c))
PY
}

# user-random: each user's share at random by the seed; users with one rating stay whole (a note).
run ur "$COLLAB" split "${data[@]}" --split user-random --valid-pct 0.25 --seed 3 --out "$WORK/ur" --format json
expect_rc ur 0
whole=$(check_shares "$WORK/ur" 0.25 0 random) && pass || fail "user-random shares: $whole"
[[ "$(json_get "$WORK/ur.out" "j['users_kept_whole']")" == "${whole#whole }" ]] && pass \
  || fail "users kept whole: $(out ur) vs $whole"
expect_in ur err "too few ratings to give one to validation and keep one for training"
run ur2 "$COLLAB" split "${data[@]}" --split user-random --valid-pct 0.25 --seed 4 --out "$WORK/ur2"
cmp -s "$WORK/ur/valid.csv" "$WORK/ur2/valid.csv" && fail "user-random ignores the seed" || pass

# user-time: each user's latest share.
run ut "$COLLAB" split "${data[@]}" --split user-time --valid-pct 0.3 --out "$WORK/ut"
expect_rc ut 0
check_shares "$WORK/ut" 0.3 0 time >/dev/null && pass || fail "user-time: not each user's latest share"

# Three ways: test.csv holds each user's last ranks; train then trains on exactly train.csv's rows.
run three "$COLLAB" split "${data[@]}" --split user-time --valid-pct 0.2 --test-pct 0.2 --seed 4 --out "$WORK/three"
expect_rc three 0
check_shares "$WORK/three" 0.2 0.2 time >/dev/null && pass || fail "user-time with test rows"
expect_in three out "test.csv"
run three-train "$COLLAB" train "${data[@]}" --split user-time --valid-pct 0.2 --test-pct 0.2 --seed 4 --epochs 2 \
  --model "$WORK/three.collab" --format json
expect_rc three-train 0
expect_in three-train err "($(rows "$WORK/three/train.csv") train, $(rows "$WORK/three/valid.csv") valid, $(rows "$WORK/three/test.csv") test)"
run three-eval "$COLLAB" eval --model "$WORK/three.collab" --format json
expect_rc three-eval 0
python3 - "$WORK/three-eval.out" "$WORK/three-train.out" <<'PY' && pass || fail "eval rebuilds the validation rows of a three-way split"
import json, sys
e = json.loads(open(sys.argv[1]).read())
t = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
assert abs(e["mse"] - t["valid_loss"]) < 1e-6, (e["mse"], t["valid_loss"])
PY
run three-test "$COLLAB" eval --model "$WORK/three.collab" --ratings "$WORK/three/test.csv" --format json
expect_rc three-test 0
[[ "$(json_get "$WORK/three-test.out" "j['rows']")" == "$(rows "$WORK/three/test.csv")" ]] && pass \
  || fail "eval --ratings test.csv: $(out three-test)"
# The random split's test rows come after fastai's validation rows: those stay as they were.
run rt "$COLLAB" split "${data[@]}" --test-pct 0.1 --seed 2 --out "$WORK/rt"
run r2 "$COLLAB" split "${data[@]}" --seed 2 --out "$WORK/r2"
cmp -s "$WORK/rt/valid.csv" "$WORK/r2/valid.csv" && pass || fail "--test-pct moved the random split's validation rows"
[[ $(rows "$WORK/rt/test.csv") -eq $((total / 10)) ]] && pass || fail "test rows: $(rows "$WORK/rt/test.csv") of $total"
# A split from `collab split` trains the same model through --valid-ratings, per-user splits too.
run ur-direct "$COLLAB" train "${data[@]}" --split user-random --valid-pct 0.25 --seed 3 --epochs 2 --format json --model "$WORK/ur-direct.collab"
run ur-given "$COLLAB" train "${data[@]}" --valid-ratings "$WORK/ur/valid.csv" --seed 3 --epochs 2 --format json --model "$WORK/ur-given.collab"
[[ "$(json_get "$WORK/ur-direct.out" "repr(j['valid_loss'])")" == "$(json_get "$WORK/ur-given.out" "repr(j['valid_loss'])")" ]] \
  && pass || fail "user-random split then --valid-ratings trains another model"

# The k-core worked by hand: movie 4 has one rating; without it user 40 has one; without that
# movie 3 has one (user 30's); without that user 30 has one. Left: users 10, 20 x movies 1, 2.
k="$WORK/chain"
mkdir -p "$k"
printf 'movieId,title,genres\n1,One (2001),Drama\n2,Two (2002),Drama\n3,Three (2003),Drama\n4,Four (2004),Drama\n' >"$k/movies.csv"
printf 'userId,movieId,rating,timestamp\n10,1,4,1\n10,2,4,2\n20,1,3,3\n20,2,5,4\n30,2,2,5\n30,3,4,6\n40,3,3,7\n40,4,1,8\n' >"$k/ratings.csv"
chain=(--ratings "$k/ratings.csv" --movies "$k/movies.csv")
run core "$COLLAB" split "${chain[@]}" --min-user-ratings 2 --min-item-ratings 2 --valid-pct 0.25 --seed 1 \
  --out "$WORK/core" --format json
expect_rc core 0
[[ "$(cat "$WORK/core/train.csv" "$WORK/core/valid.csv" | grep -v userId | cut -d, -f1,2 | sort | tr '\n' ' ')" \
  == "10,1 10,2 20,1 20,2 " ]] && pass || fail "the 2-core: $(cat "$WORK/core/train.csv" "$WORK/core/valid.csv")"
expect_in core err "--min-user-ratings 2 removed 2 ratings; --min-item-ratings 2 removed 2 ratings (k-core, 4 rounds); left 4 of 8 ratings, 2 of 4 users, 2 of 4 items"
[[ "$(json_get "$WORK/core.out" "j['removed']['min_user_ratings'], j['removed']['min_item_ratings'], j['filters']['min_user_ratings'], j['ratings']")" \
  == "2 2 2 4" ]] && pass || fail "split's JSON record of the filters: $(out core)"
# --min-rating first: 2 ratings go (below 3), then the 2-core of users loses users 30 and 40.
run core-rating "$COLLAB" split "${chain[@]}" --min-rating 3 --min-user-ratings 2 --valid-pct 0.25 --out "$WORK/cr"
expect_rc core-rating 0
expect_in core-rating err "--min-rating 3 removed 2 ratings; --min-user-ratings 2 removed 2 ratings (k-core, 1 round)"
expect_in core-rating out "filters	--min-rating 3 --min-user-ratings 2"

# Filters on the made-up set, counted here independently: ratings below 3, then the 4-core.
read -r want_below want_left want_users want_items < <(python3 - "$d/ratings.csv" <<'PY'
import csv, sys
rows = [(r["userId"], r["movieId"]) for r in csv.DictReader(open(sys.argv[1])) if float(r["rating"]) >= 3]
below = sum(1 for _ in csv.DictReader(open(sys.argv[1]))) - len(rows)
while True:
    users, items = {}, {}
    for u, i in rows:
        users[u] = users.get(u, 0) + 1
        items[i] = items.get(i, 0) + 1
    kept = [(u, i) for u, i in rows if users[u] >= 4 and items[i] >= 4]
    if len(kept) == len(rows):
        break
    rows = kept
print(below, len(rows), len({u for u, _ in rows}), len({i for _, i in rows}))
PY
)
filters=(--min-rating 3 --min-user-ratings 4 --min-item-ratings 4)
run filtered "$COLLAB" split "${data[@]}" "${filters[@]}" --split user-random --seed 1 --out "$WORK/filtered"
expect_rc filtered 0
expect_in filtered err "--min-rating 3 removed $want_below ratings"
expect_in filtered err "left $want_left of $total ratings, $want_users of 40 users, $want_items of 30 items"
[[ $(($(rows "$WORK/filtered/train.csv") + $(rows "$WORK/filtered/valid.csv"))) -eq $want_left ]] && pass \
  || fail "the filtered split's rows"
awk -F, 'NR > 1 && $3 < 3 {bad = 1} END {exit bad}' "$WORK/filtered/train.csv" "$WORK/filtered/valid.csv" && pass \
  || fail "a rating below --min-rating was kept"
# train records the filters; eval rebuilds the same filtered validation rows from the model.
run ftrain "$COLLAB" train "${data[@]}" "${filters[@]}" --split user-random --seed 1 --epochs 2 \
  --model "$WORK/f.collab" --format json
expect_rc ftrain 0
expect_in ftrain err "$want_users users, $want_items items"
run feval "$COLLAB" eval --model "$WORK/f.collab" --format json
expect_rc feval 0
python3 - "$WORK/feval.out" "$WORK/ftrain.out" "$(rows "$WORK/filtered/valid.csv")" <<'PY' && pass || fail "eval of a filtered model"
import json, sys
e = json.loads(open(sys.argv[1]).read())
t = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
assert e["rows"] == int(sys.argv[3]) and abs(e["mse"] - t["valid_loss"]) < 1e-6, (e, t)
PY
# The model's vocabulary is the filtered one: no item without a rating, even with --include-untrained.
run fbias "$COLLAB" bias --model "$WORK/f.collab" --top 1000 --include-untrained --format json
expect_rc fbias 0
[[ "$(json_get "$WORK/fbias.out" "len(j['lowest'])")" == "$want_items" ]] && pass || fail "bias lists $(json_get "$WORK/fbias.out" "len(j['lowest'])") items"
run fcv "$COLLAB" cv "${data[@]}" "${filters[@]}" --folds 3 --epochs 1 --seed 1 --format json
expect_rc fcv 0
expect_in fcv err "left $want_left of $total ratings"
run flr "$COLLAB" lr-find "${data[@]}" "${filters[@]}" --split user-time --num-it 20 --seed 1 --format json
expect_rc flr 0
expect_in flr err "$want_users users, $want_items items"

# Bad values: a usage error (64) naming the option, or a data error (65) for a filter that
# leaves nothing.
bad() {  # bad NAME CODE TEXT VERB ARGS...
  local name=$1 code=$2 text=$3; shift 3
  run "$name" "$COLLAB" "$@"
  expect_rc "$name" "$code"
  expect_in "$name" err "$text"
}
bad neg-user 64 "--min-user-ratings" split "${data[@]}" --min-user-ratings -1 --out "$WORK/x"
bad neg-item 64 "--min-item-ratings" cv "${data[@]}" --min-item-ratings -3
bad nan-rating 64 "--min-rating" train "${data[@]}" --min-rating nan
bad big-test 64 "--test-pct" lr-find "${data[@]}" --test-pct 1.5
bad shares 64 "--test-pct" train "${data[@]}" --valid-pct 0.6 --test-pct 0.5
bad test-last 64 "--test-pct needs a split by shares" split "${data[@]}" --split user-last --test-pct 0.1 --out "$WORK/x-last"
expect_no_file "$WORK/x-last"  # a usage error creates no folder
bad test-given 64 "--test-pct" train "${data[@]}" --valid-ratings "$WORK/ur/valid.csv" --test-pct 0.1
bad bad-split 64 "--split" split "${data[@]}" --split per-user --out "$WORK/x"
bad nothing-left 65 "--min-rating 9 leaves no rating" train "${data[@]}" --min-rating 9
bad no-core 65 "--min-user-ratings 1000 leave no rating" split "${data[@]}" --min-user-ratings 1000 --out "$WORK/x"
expect_one_line_error no-core

# Exact mode's bits for the seed's run are unchanged, filters or not, where the archive is here.
if [[ -f "${COLLAB_ML_SMALL_ZIP:-}" ]]; then
  unzip -q -o "$COLLAB_ML_SMALL_ZIP" -d "$WORK/ml"
  small=(--ratings "$WORK/ml/ml-latest-small/ratings.csv" --movies "$WORK/ml/ml-latest-small/movies.csv")
  run seed "$COLLAB" train "${small[@]}" --epochs 5 --lr 5e-3 --wd 0.1 --seed 1 --model "$WORK/seed.collab" --format json
  [[ "$(json_get "$WORK/seed.out" "repr(j['valid_loss'])")" == "0.7095858204686765" ]] && pass \
    || fail "the seed's run ends at $(json_get "$WORK/seed.out" "repr(j['valid_loss'])"), not 0.7095858204686765"
else
  echo "the seed's run not checked: ${COLLAB_ML_SMALL_ZIP:-<unset>} is absent"
fi

finish
