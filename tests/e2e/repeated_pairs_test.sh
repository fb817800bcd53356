#!/usr/bin/env bash
# One rating per user and movie, one rule everywhere: a data set, a --valid-ratings file or a
# person's --ratings-of that repeats a pair is refused (65) naming both lines, so a split written
# out and given back always names the same rows; and --ratings-of answers or refuses quickly at
# any size.
source "$(dirname "$0")/lib.sh"

d="$WORK/csv"
python3 "$E2E/make_data.py" csv "$d" 40 60
data=(--ratings "$d/ratings.csv" --movies "$d/movies.csv")
cp "$d/ratings.csv" "$WORK/ratings.orig"
line5=$(sed -n 5p "$d/ratings.csv")
echo "${line5%,*},1700000000" | awk -F, '{print $1","$2",2.5,"$4}' >>"$d/ratings.csv"
last=$(wc -l <"$d/ratings.csv")
for verb in data train split; do
  extra=(); [[ $verb == split ]] && extra=(--out "$WORK/out-$verb"); [[ $verb == train ]] && extra=(--model "$WORK/r.collab")
  run "repeat-$verb" "$COLLAB" "$verb" "${data[@]}" "${extra[@]}"
  expect_rc "repeat-$verb" 65
  expect_one_line_error "repeat-$verb"
  expect_in "repeat-$verb" err "ratings.csv line $last: userId ${line5%%,*} rated movieId $(cut -d, -f2 <<<"$line5") already on line 5"
done
expect_no_file "$WORK/r.collab"
# The same in the ml-100k format, whose lines have no header and may be blank: the lines named are
# the file's own.
python3 - "$WORK/ratings.orig" "$WORK/u.data" <<'PY'
import sys
rows = [l.split(",") for l in open(sys.argv[1]).read().splitlines()[1:]]
out = [f"{r[0]}\t{r[1]}\t{int(float(r[2]) + 0.5) or 1}\t{r[3]}" for r in rows[:50]]
out.insert(20, "")  # a blank line, skipped
out.append(out[3])  # line 4 again, now on line 52
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
python3 - "$d/movies.csv" "$WORK/u.item" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))[1:]
open(sys.argv[2], "w", encoding="latin-1").write("".join(f"{r[0]}|{r[1].encode('latin-1', 'replace').decode('latin-1')}|01-Jan-1995||x|0\n" for r in rows))
PY
mkdir -p "$WORK/dd/ml-100k" && cp "$WORK/u.data" "$WORK/u.item" "$WORK/dd/ml-100k/"
run repeat-100k "$COLLAB" data --dataset ml-100k --data-dir "$WORK/dd"
expect_rc repeat-100k 65
expect_in repeat-100k err "u.data line 52: userId"
expect_in repeat-100k err "already on line 4"

# A --valid-ratings file that repeats a pair is refused; split then --valid-ratings trains what the
# split itself trains.
cp "$WORK/ratings.orig" "$d/ratings.csv"
run split "$COLLAB" split "${data[@]}" --seed 5 --out "$WORK/s"
expect_rc split 0
run direct "$COLLAB" train "${data[@]}" --epochs 2 --seed 5 --format json --model "$WORK/a.collab"
run given "$COLLAB" train "${data[@]}" --epochs 2 --seed 5 --valid-ratings "$WORK/s/valid.csv" --format json --model "$WORK/b.collab"
[[ "$(json_get "$WORK/direct.out" "repr(j['valid_loss'])")" == "$(json_get "$WORK/given.out" "repr(j['valid_loss'])")" ]] \
  && pass || fail "split then --valid-ratings trained another model"
sed -n 2p "$WORK/s/valid.csv" >>"$WORK/s/valid.csv"
run valid-repeat "$COLLAB" train "${data[@]}" --epochs 1 --seed 5 --valid-ratings "$WORK/s/valid.csv" --model "$WORK/c.collab"
expect_rc valid-repeat 65
expect_in valid-repeat err "valid.csv line $(wc -l <"$WORK/s/valid.csv"): userId"
expect_in valid-repeat err "appears twice"

# --ratings-of: a repeated title, or two spellings of one title, are one rule too.
printf 'title,rating\n"Usual Suspects, The (1995)",5\nMovie 7 (1957),1\nusual suspects,4\n' >"$WORK/me.csv"
run person-repeat "$COLLAB" recommend --model "$WORK/a.collab" --ratings-of "$WORK/me.csv"
expect_rc person-repeat 65
expect_in person-repeat err "me.csv line 4: field 'title': 'usual suspects' names Usual Suspects, The (1995), rated already on line 2"
printf 'movieId,rating\n8,5\n8,1\n' >"$WORK/me-id.csv"
run person-repeat-id "$COLLAB" predict --model "$WORK/a.collab" --ratings-of "$WORK/me-id.csv" --item "Movie 7 (1957)"
expect_rc person-repeat-id 65
expect_in person-repeat-id err "me-id.csv line 3: field 'movieId'"

# At any size: every item of the model rated answers at once; past the documented limit, or a
# 50 MB file, is a quick 65 (each row used to scan every title, each step every row).
python3 - "$d/movies.csv" "$WORK/all.csv" "$WORK/huge.csv" <<'PY'
import csv, sys
titles = [r[1] for r in list(csv.reader(open(sys.argv[1], encoding="utf-8")))[1:]]
q = lambda t: '"' + t.replace('"', '""') + '"'
open(sys.argv[2], "w", encoding="utf-8").write("title,rating\n" + "".join(f"{q(t)},{1 + i % 5}\n" for i, t in enumerate(titles)))
with open(sys.argv[3], "w") as f:
    f.write("title,rating\n")
    for i in range(2_000_000):
        f.write(f"Some title that no model has number {i:08d},3\n")
PY
run person-all timeout 20 "$COLLAB" recommend --model "$WORK/a.collab" --ratings-of "$WORK/all.csv" --format json --include-untrained
expect_rc person-all 0
run person-huge timeout 20 "$COLLAB" recommend --model "$WORK/a.collab" --ratings-of "$WORK/huge.csv"
expect_rc person-huge 65
expect_in person-huge err "more than 100000 ratings for one person"

finish
