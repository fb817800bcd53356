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
echo "999999,1,3.0,1234567890" >>"$d/ratings.csv"
run changed "$COLLAB" data "${data[@]}" --format json --sample 0
[[ "$(json_get "$WORK/changed.out" "j['ratings']")" == $((before + 1)) ]] && pass || fail "a stale cache was used"

# A damaged cache is ignored and rewritten.
head -c 100 "$cache" >"$cache.cut" && mv "$cache.cut" "$cache"
run damaged "$COLLAB" data "${data[@]}" --format json --sample 0
expect_rc damaged 0
[[ "$(json_get "$WORK/damaged.out" "j['ratings']")" == $((before + 1)) ]] && pass || fail "a damaged cache was used"
[[ $(stat -c %s "$cache") -gt 1000 ]] && pass || fail "the damaged cache was not rewritten"

# The key is every byte: an edit of the same size in the middle of a file, with its time put
# back as tar, rsync -t or touch -r do, makes the cache stale (ratings and titles alike). The
# files are padded past 128 KiB so that the edit is far from both ends.
big="$WORK/big"
python3 "$E2E/make_data.py" csv "$big" 400 60
python3 - "$big/movies.csv" <<'PY'
import sys
path = sys.argv[1]
lines = open(path, encoding="utf-8").read().splitlines()
pad = [f"{900000 + i},Padding movie number {i:06d} (1999),Drama" for i in range(3000)]
open(path, "w", encoding="utf-8").write("\n".join([lines[0]] + pad[:1500] + lines[1:] + pad[1500:]) + "\n")
PY
bigdata=(--ratings "$big/ratings.csv" --movies "$big/movies.csv")
run big-first "$COLLAB" data "${bigdata[@]}" --format json --sample 0
expect_rc big-first 0
cp -p "$big/ratings.csv" "$WORK/ratings.orig"
middle=$(($(wc -l <"$big/ratings.csv") / 2))
sed -i "${middle}s/^\([0-9]*\),[0-9][0-9],/\1,99,/" "$big/ratings.csv"  # a two-digit movieId that no movie has
touch -r "$WORK/ratings.orig" "$big/ratings.csv"
[[ $(stat -c %s "$big/ratings.csv") == $(stat -c %s "$WORK/ratings.orig") ]] && pass || fail "the edit changed the size"
run big-edited "$COLLAB" data "${bigdata[@]}" --format json --sample 0
[[ "$(json_get "$WORK/big-edited.out" "j['dropped_ratings']")" == 1 ]] && pass \
  || fail "a same-size, same-time edit in the middle of ratings.csv was served stale: $(out big-edited)"
run big-model "$COLLAB" train "${bigdata[@]}" --epochs 1 --seed 1 --model "$WORK/big.collab"
cp -p "$big/movies.csv" "$WORK/movies.orig"
sed -i 's/^30,Movie 29 (1979),/30,Mavie 29 (1979),/' "$big/movies.csv"
touch -r "$WORK/movies.orig" "$big/movies.csv"
run big-titles "$COLLAB" train "${bigdata[@]}" --epochs 1 --seed 1 --model "$WORK/big2.collab"
run big-similar "$COLLAB" similar "Mavie 29 (1979)" --model "$WORK/big2.collab" --top 1
expect_rc big-similar 0
run big-similar-old "$COLLAB" similar "Movie 29 (1979)" --model "$WORK/big2.collab" --top 1
expect_rc big-similar-old 65

# The body carries its checksum: one byte changed anywhere is a cache ignored and rewritten.
run body-first "$COLLAB" data "${data[@]}" --format json --sample 0
printf '\x7f' | dd of="$cache" bs=1 seek=$(($(stat -c %s "$cache") / 2)) conv=notrunc status=none
before_sum=$(md5sum <"$cache")
run body "$COLLAB" data "${data[@]}" --format json --sample 0
[[ "$(out body)" == "$(out body-first)" ]] && pass || fail "an altered cache body changed the results"
[[ "$(md5sum <"$cache")" != "$before_sum" ]] && pass || fail "an altered cache body was not rewritten"

# Trusted only when the user running collab (or root, in a folder no one else can write) owns
# it and no one else can write it: a planted or shared-writable cache is ignored and replaced.
chmod 666 "$cache"
run writable "$COLLAB" data "${data[@]}" --format json --sample 0
[[ "$(stat -c %a "$cache")" == 644 ]] && pass || fail "a cache others can write was used (mode $(stat -c %a "$cache"))"
if [[ $(id -u) -eq 0 ]] && id nobody >/dev/null 2>&1; then
  chown nobody "$cache"
  run planted "$COLLAB" data "${data[@]}" --format json --sample 0
  expect_rc planted 0
  [[ "$(stat -c %U "$cache")" == root ]] && pass || fail "a cache owned by another user was used"
fi
# A link planted where the cache goes is replaced, never followed.
ln -sf "$WORK/elsewhere" "$cache"
: >"$WORK/elsewhere"
run link "$COLLAB" data "${data[@]}" --format json --sample 0
expect_rc link 0
[[ ! -s "$WORK/elsewhere" && ! -L "$cache" ]] && pass || fail "the cache followed a planted link"

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
