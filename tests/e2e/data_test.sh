#!/usr/bin/env bash
# `collab data` on made-up CSV files: counts, formats, and bad input explained with file and line.
source "$(dirname "$0")/lib.sh"

d="$WORK/csv"
python3 "$E2E/make_data.py" csv "$d"
rows=$(($(wc -l <"$d/ratings.csv") - 1))
users=$(tail -n +2 "$d/ratings.csv" | cut -d, -f1 | sort -u | wc -l)
items=$(tail -n +2 "$d/ratings.csv" | cut -d, -f2 | sort -u | wc -l)

run json "$COLLAB" data --ratings "$d/ratings.csv" --movies "$d/movies.csv" --format json
expect_rc json 0
counts=$(json_get "$WORK/json.out" "j['ratings'], j['users'], j['items']")
[[ "$counts" == "$rows $users $items" ]] && pass || fail "counts $counts != $rows $users $items"
[[ "$(wc -l <"$WORK/json.out")" -eq 1 ]] && pass || fail "json output is not one line"
[[ ! -s "$WORK/json.err" ]] && pass || fail "data wrote to stderr: $(err json)"

run table "$COLLAB" data --ratings "$d/ratings.csv" --movies "$d/movies.csv" --seed 3 --sample 5
expect_rc table 0
expect_in table out "ratings"
expect_in table out "userId  title"
[[ $(grep -c "([0-9]\{4\})" "$WORK/table.out") -eq 5 ]] && pass || fail "expected 5 sample rows: $(out table)"

# Ratings whose movie is missing are dropped and counted in a warning.
cp "$d/ratings.csv" "$WORK/extra.csv"
echo "1,9999,4.0,0" >>"$WORK/extra.csv"
run dropped "$COLLAB" data --ratings "$WORK/extra.csv" --movies "$d/movies.csv" --format json
expect_rc dropped 0
expect_in dropped err "1 ratings in"
[[ "$(json_get "$WORK/dropped.out" "j['ratings']")" == "$rows" ]] && pass || fail "dropped row was counted"

# Bad input: one line naming file, line and field; exit 65.
bad() {  # bad NAME LINE_TO_APPEND EXPECTED_MESSAGE
  cp "$d/ratings.csv" "$WORK/$1.csv"
  printf '%s\n' "$2" >>"$WORK/$1.csv"
  run "$1" "$COLLAB" data --ratings "$WORK/$1.csv" --movies "$d/movies.csv"
  expect_rc "$1" 65
  expect_in "$1" err "$WORK/$1.csv line $((rows + 2)): $3"
  expect_one_line_error "$1"
  [[ ! -s "$WORK/$1.out" ]] && pass || fail "$1 printed a result"
}
bad text "1,2,good,0" "field 'rating': 'good' is not a number"
bad nan "1,2,NaN,0" "field 'rating': 'NaN' is not a number (NaN)"
bad negative "1,2,-3,0" "field 'rating': '-3' is outside this data set's range 0.5..5"
bad high "1,2,7,0" "field 'rating': '7' is outside this data set's range 0.5..5"
bad bigid "99999999999,2,4,0" "field 'userId': '99999999999' does not fit"
bad extra "1,2,4,0,9" "too many fields"
bad short "1,2" "too few fields"

# Whole files that are wrong: exit 65 and the file and line in the message.
bad_file() {  # bad_file NAME ratings|movies CONTENT EXPECTED_MESSAGE
  printf '%b' "$3" >"$WORK/$1.csv"
  local ratings="$d/ratings.csv" movies="$d/movies.csv"
  if [[ $2 == ratings ]]; then ratings="$WORK/$1.csv"; else movies="$WORK/$1.csv"; fi
  run "$1" "$COLLAB" data --ratings "$ratings" --movies "$movies"
  expect_rc "$1" 65
  expect_in "$1" err "$WORK/$1.csv line $4"
}
bad_file quote movies 'movieId,title,genres\n1,"Broken (1999),Drama\n' "2: a quoted field is not closed"
bad_file header ratings 'user,movie,rating,timestamp\n1,2,3,4\n' "1: header"
bad_file empty ratings '' "1: the file is empty"
bad_file headeronly ratings 'userId,movieId,rating,timestamp\n' "2: no ratings after the header"

# A missing file: exit 66, naming it.
run missing "$COLLAB" data --ratings "$WORK/nope.csv" --movies "$d/movies.csv"
expect_rc missing 66
expect_in missing err "$WORK/nope.csv: no such file"

# --item-key movieId keeps movies with the same title apart.
run bymovie "$COLLAB" data --ratings "$d/ratings.csv" --movies "$d/movies.csv" --item-key movieId --format json
expect_rc bymovie 0
finish
