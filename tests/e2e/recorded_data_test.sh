#!/usr/bin/env bash
# What a model records about its data is checked when eval uses it: the data set (or the
# --valid-ratings file) changed since training is refused (65), not scored as validation rows,
# and a model whose recorded data is gone makes no folder and starts no download (66).
source "$(dirname "$0")/lib.sh"

d="$WORK/csv"
python3 "$E2E/make_data.py" csv "$d" 40 60
data=(--ratings "$d/ratings.csv" --movies "$d/movies.csv")
cp "$d/ratings.csv" "$WORK/ratings.orig"
run train "$COLLAB" train "${data[@]}" --epochs 2 --seed 3 --model "$WORK/m.collab"
expect_rc train 0
run eval "$COLLAB" eval --model "$WORK/m.collab" --format json
expect_rc eval 0

# One rating changed (same users, items and rows): the split's rows differ from the model's.
python3 - "$d/ratings.csv" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
f = lines[10].split(",")
f[2] = "0.5" if f[2] != "0.5" else "5.0"
lines[10] = ",".join(f)
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
run changed-rating "$COLLAB" eval --model "$WORK/m.collab"
expect_rc changed-rating 65
expect_in changed-rating err "has changed since the model was trained"
expect_one_line_error changed-rating
# Two rows swapped: the same ratings in another order are other rows of the split.
cp "$WORK/ratings.orig" "$d/ratings.csv"
python3 - "$d/ratings.csv" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
lines[5], lines[300] = lines[300], lines[5]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
run swapped "$COLLAB" eval --model "$WORK/m.collab"
expect_rc swapped 65
cp "$WORK/ratings.orig" "$d/ratings.csv"
run restored "$COLLAB" eval --model "$WORK/m.collab" --format json
[[ "$(out restored)" == "$(out eval)" ]] && pass || fail "the restored data set evaluates differently"

# A --valid-ratings file replaced after training by another split of the same data.
run split-a "$COLLAB" split "${data[@]}" --seed 1 --out "$WORK/a"
run split-b "$COLLAB" split "${data[@]}" --seed 2 --out "$WORK/b"
run given "$COLLAB" train "${data[@]}" --epochs 1 --seed 1 --valid-ratings "$WORK/a/valid.csv" --model "$WORK/g.collab"
expect_rc given 0
cp "$WORK/b/valid.csv" "$WORK/a/valid.csv"
run given-changed "$COLLAB" eval --model "$WORK/g.collab"
expect_rc given-changed 65
expect_in given-changed err "the rows of its split"
# A validation row whose rating is not the data's says so, with its line.
printf 'userId,movieId,rating,timestamp\n' >"$WORK/bad-valid.csv"
tail -n +2 "$d/ratings.csv" | head -3 | awk -F, 'NR==2 {$3 = ($3 == "5.0" ? "0.5" : "5.0")} {print $1","$2","$3","$4}' >>"$WORK/bad-valid.csv"
run valid-rating "$COLLAB" train "${data[@]}" --epochs 1 --seed 1 --valid-ratings "$WORK/bad-valid.csv" --model "$WORK/x.collab"
expect_rc valid-rating 65
expect_in valid-rating err "bad-valid.csv line 3: field 'rating'"
expect_no_file "$WORK/x.collab"

# A model that records a data folder that is not there: 66 naming it, no folder made, no download.
python3 "$E2E/craft_model.py" "$WORK/m.collab" "$WORK/moved.collab" "moved-source:$WORK/nowhere/data"
run moved env COLLAB_DATA_DIR="$WORK/elsewhere" "$COLLAB" eval --model "$WORK/moved.collab"
expect_rc moved 66
expect_in moved err "$WORK/nowhere/data/ml-latest-small/ratings.csv is not there"
expect_not_in moved err "downloading"
expect_no_file "$WORK/nowhere"
expect_no_file "$WORK/elsewhere"

finish
