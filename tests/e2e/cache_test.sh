#!/usr/bin/env bash
# The parsed-data cache: written beside the ratings file on first load, used on the next with the
# same results, rebuilt when a source file changes or the cache is damaged, and done without
# where the folder cannot be written.
source "$(dirname "$0")/lib.sh"

d="$WORK/csv"
python3 "$E2E/make_data.py" csv "$d" 40 60
data=(--ratings "$d/ratings.csv" --movies "$d/movies.csv")
cache="$d/.ratings.csv.collab-cache"

run first "$COLLAB" data "${data[@]}" --seed 1 --format json
expect_rc first 0
expect_file "$cache"
run second "$COLLAB" data "${data[@]}" --seed 1 --format json
[[ "$(out first)" == "$(out second)" ]] && pass || fail "the cached load differs from the parsed one"
run train-cached "$COLLAB" train "${data[@]}" --epochs 1 --seed 1 --format json --model "$WORK/m.collab"
rm -f "$cache"
run train-parsed "$COLLAB" train "${data[@]}" --epochs 1 --seed 1 --format json --model "$WORK/m.collab"
[[ "$(json_get "$WORK/train-cached.out" "j['valid_loss']")" == "$(json_get "$WORK/train-parsed.out" "j['valid_loss']")" ]] \
  && pass || fail "training on cached columns differs"

# A changed source file: the cache is stale and rebuilt (one more rating shows).
before=$(json_get "$WORK/second.out" "j['ratings']")
echo "1,1,3.0,1234567890" >>"$d/ratings.csv"
run changed "$COLLAB" data "${data[@]}" --format json --sample 0
[[ "$(json_get "$WORK/changed.out" "j['ratings']")" == $((before + 1)) ]] && pass || fail "a stale cache was used"

# A damaged cache is ignored and rewritten.
head -c 100 "$cache" >"$cache.cut" && mv "$cache.cut" "$cache"
run damaged "$COLLAB" data "${data[@]}" --format json --sample 0
expect_rc damaged 0
[[ "$(json_get "$WORK/damaged.out" "j['ratings']")" == $((before + 1)) ]] && pass || fail "a damaged cache was used"
[[ $(stat -c %s "$cache") -gt 1000 ]] && pass || fail "the damaged cache was not rewritten"

# A folder that cannot be written: no cache, same results, no error (root can write anywhere,
# so this case runs as another user only).
if [[ $(id -u) -ne 0 ]]; then
  ro="$WORK/ro"; mkdir -p "$ro"; cp "$d"/*.csv "$ro/"; chmod a-w "$ro"
  run readonly "$COLLAB" data --ratings "$ro/ratings.csv" --movies "$ro/movies.csv" --format json --sample 0
  expect_rc readonly 0
  expect_no_file "$ro/.ratings.csv.collab-cache"
  chmod u+w "$ro"
fi
if ls "$d" | grep -q '\.tmp\.'; then fail "a temporary cache was left behind"; else pass; fi

finish
