#!/usr/bin/env bash
# Pipes are input: a process substitution (a FIFO), standard input as `-` or /dev/stdin, and a
# compressed file through zcat give what the files give, read once and never cached; a device that
# is not CSV ends with a clear error, never a hang or a runaway allocation.
source "$(dirname "$0")/lib.sh"

d="$WORK/csv"
python3 "$E2E/make_data.py" csv "$d" 40 60
gzip -k "$d/ratings.csv"
files=(--ratings "$d/ratings.csv" --movies "$d/movies.csv")
cache="$d/.ratings.csv.collab-cache"
run file "$COLLAB" data "${files[@]}" --format json --sample 3 --seed 1
expect_rc file 0
rm -f "$cache"
# The same counts and sample (the "dataset" key names the inputs as given).
without_name() { json_get "$WORK/$1.out" "{k: v for k, v in j.items() if k != 'dataset'}"; }
same_as_file() { [[ "$(without_name "$1")" == "$(without_name file)" ]] && pass || fail "$1: other results than from the files: $(out "$1")"; }
losses() { json_get "$WORK/$1.out" "repr(j['valid_loss'])"; }

run fifo "$COLLAB" data --ratings <(zcat "$d/ratings.csv.gz") --movies <(cat "$d/movies.csv") --format json --sample 3 --seed 1
expect_rc fifo 0
same_as_file fifo
run dash "$COLLAB" data --ratings - --movies "$d/movies.csv" --format json --sample 3 --seed 1 <"$d/ratings.csv"
expect_rc dash 0
same_as_file dash
cat "$d/movies.csv" | run devstdin "$COLLAB" data --ratings "$d/ratings.csv" --movies /dev/stdin --format json --sample 3 --seed 1
expect_rc devstdin 0
same_as_file devstdin
expect_no_file "$cache"  # a stream has no cache, and the file beside it got none from these runs
# A named FIFO whose writer comes later is waited for, as cat waits.
mkfifo "$WORK/named"
(sleep 1; cat "$d/ratings.csv" >"$WORK/named") &
run named timeout 20 "$COLLAB" data --ratings "$WORK/named" --movies "$d/movies.csv" --format json --sample 3 --seed 1
expect_rc named 0
same_as_file named

# Training reads a pipe the same way, and a split given on standard input validates the same rows.
run train-file "$COLLAB" train "${files[@]}" --epochs 2 --seed 4 --format json --model "$WORK/a.collab"
run train-pipe "$COLLAB" train --ratings <(cat "$d/ratings.csv") --movies "$d/movies.csv" --epochs 2 --seed 4 \
  --format json --model "$WORK/b.collab"
expect_rc train-pipe 0
[[ "$(losses train-pipe)" == "$(losses train-file)" ]] && pass || fail "training on a pipe differs from the file"
run split "$COLLAB" split "${files[@]}" --seed 4 --out "$WORK/split"
run train-given "$COLLAB" train "${files[@]}" --epochs 2 --seed 4 --valid-ratings - --format json \
  --model "$WORK/c.collab" <"$WORK/split/valid.csv"
expect_rc train-given 0
[[ "$(losses train-given)" == "$(losses train-file)" ]] && pass || fail "--valid-ratings - trained another model"
# eval cannot read a stream again, and says so.
run eval-stream "$COLLAB" eval --model "$WORK/b.collab"
expect_rc eval-stream 66
expect_in eval-stream err "a stream that cannot be read again"
run eval-stream-valid "$COLLAB" eval --model "$WORK/c.collab"
expect_rc eval-stream-valid 66
expect_in eval-stream-valid err "standard input, a stream"
# A person's ratings from a pipe.
printf 'title,rating\n"Usual Suspects, The (1995)",5\nMovie 7 (1957),1\n' >"$WORK/me.csv"
run me-file "$COLLAB" recommend --model "$WORK/a.collab" --ratings-of "$WORK/me.csv" --top 3 --format tsv
run me-pipe "$COLLAB" recommend --model "$WORK/a.collab" --ratings-of - --top 3 --format tsv <"$WORK/me.csv"
expect_rc me-pipe 0
[[ "$(out me-pipe)" == "$(out me-file)" && -n "$(out me-file)" ]] && pass || fail "--ratings-of - differs from the file"

# Standard input is read once: two inputs cannot both be '-'.
run two-dashes "$COLLAB" data --ratings - --movies - </dev/null
expect_rc two-dashes 64
expect_in two-dashes err "only one input can be standard input"
# Several processes each read the data: streams are refused before any rank starts.
run nproc-pipe "$COLLAB" train --ratings <(cat "$d/ratings.csv") --movies "$d/movies.csv" --nproc 2 --epochs 1 \
  --model "$WORK/n.collab"
expect_rc nproc-pipe 64
expect_in nproc-pipe err "--nproc"

# Devices that are not CSV: a clear error at once, no hang, memory bounded by the line limit.
for dev in /dev/zero /dev/urandom; do
  run "dev$(basename $dev)" timeout 20 "$COLLAB" data --ratings "$dev" --movies "$d/movies.csv"
  expect_rc "dev$(basename $dev)" 65
  expect_one_line_error "dev$(basename $dev)"
  expect_in "dev$(basename $dev)" err "$dev line"
done
run devnull "$COLLAB" data --ratings /dev/null --movies "$d/movies.csv"
expect_rc devnull 65
expect_in devnull err "/dev/null line 1: the file is empty"
run zero-limit bash -c "ulimit -v 4000000; timeout 20 '$COLLAB' data --ratings /dev/zero --movies '$d/movies.csv'"
expect_rc zero-limit 65
run zero-person timeout 20 "$COLLAB" recommend --model "$WORK/a.collab" --ratings-of /dev/zero
expect_rc zero-person 65
# A directory or a socket is still no input.
run dir "$COLLAB" data --ratings "$WORK" --movies "$d/movies.csv"
expect_rc dir 66
expect_in dir err "is a directory"

finish
