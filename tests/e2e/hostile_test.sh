#!/usr/bin/env bash
# `collab` against hostile input, as an adversarial user tries it: crafted model files, special
# files, data set names that are paths, signals, outputs that cannot be written, two downloads at
# once, bad option values and titles with terminal control codes. Each case: a clear one-line
# error with its exit code, and nothing outside collab's own files touched or left half-made.
source "$(dirname "$0")/lib.sh"

d="$WORK/csv"
python3 "$E2E/make_data.py" csv "$d" 60 80
data=(--ratings "$d/ratings.csv" --movies "$d/movies.csv")
model="$WORK/m.collab"
"$COLLAB" train "${data[@]}" --epochs 2 --seed 1 --model "$model" >/dev/null 2>&1 || fail "training the test model"
sum() { md5sum "$1" | cut -d' ' -f1; }
model_sum=$(sum "$model")
# No temporary of any kind in FOLDER.
expect_no_debris() {
  local left; left=$(find "$1" -name '*.tmp.*' -o -name '*.unpacking.*' -o -name '*.old.*' -o -name '*.part' | head -3)
  [[ -z "$left" ]] && pass || fail "$2: left behind: $left"
}

# 1. Crafted model files with a right checksum: 65 naming the file and what is wrong, never a crash.
for kind in offsets-past-end offsets-negative short-factors long-bias negative-dim overflow-dim; do
  python3 "$E2E/craft_model.py" "$model" "$WORK/$kind.collab" "$kind"
  for verb in recommend bias factors similar predict; do
    case $verb in
      recommend) args=(recommend --user 1) ;;
      bias) args=(bias) ;;
      factors) args=(factors --pca 2) ;;
      similar) args=(similar "Movie 5") ;;
      predict) args=(predict --user 1 --item "Movie 5") ;;
    esac
    run "crafted-$kind-$verb" "$COLLAB" "${args[@]}" --model "$WORK/$kind.collab"
    expect_rc "crafted-$kind-$verb" 65
    expect_in "crafted-$kind-$verb" err "$WORK/$kind.collab: "
    expect_one_line_error "crafted-$kind-$verb"
  done
done

# 2. Special files: a directory, a FIFO, a character device as input: 66 saying what it is, at
# once (a FIFO opened for reading would block forever). As output: 73, and the file stays.
mkfifo "$WORK/fifo"
for path in "$WORK" "$WORK/fifo" /dev/zero; do
  run special-model timeout 10 "$COLLAB" bias --model "$path"
  expect_rc special-model 66
  expect_in special-model err "$path: the model file is"
done
expect_in special-model err "character device"
# Data files are read as `cat` reads them, so pipes and devices are input (streams_test.sh); a
# directory is not.
run special-ratings timeout 10 "$COLLAB" data --ratings "$WORK" --movies "$d/movies.csv"
expect_rc special-ratings 66
expect_in special-ratings err "$WORK: the ratings file is a directory"
run special-movies timeout 10 "$COLLAB" data --ratings "$d/ratings.csv" --movies "$WORK"
expect_rc special-movies 66
for path in /dev/null "$WORK/fifo" "$WORK"; do
  run special-out timeout 10 "$COLLAB" train "${data[@]}" --epochs 1 --seed 1 --model "$path"
  expect_rc special-out 73
  expect_not_in special-out out "epoch"  # refused before training
done
[[ -c /dev/null && -p "$WORK/fifo" ]] && pass || fail "/dev/null or the FIFO was replaced"

# 3. Data set names are folder names, never paths.
mkdir -p "$WORK/outside/x" "$WORK/dd"
echo keep >"$WORK/outside/x/file"
zipdir="$WORK/zips"
mkdir -p "$zipdir/ml-latest-small"
cp "$d/ratings.csv" "$d/movies.csv" "$zipdir/ml-latest-small/"
(cd "$zipdir" && python3 -c "import shutil; shutil.make_archive('good', 'zip', '.', 'ml-latest-small')")
for name in ../outside/x .. . "a/b" ""; do
  run name "$COLLAB" download --dataset "$name" --url "file://$zipdir/good.zip" --data-dir "$WORK/dd" --force
  expect_rc name 64
done
expect_in name err "not a data set name"
[[ "$(cat "$WORK/outside/x/file")" == keep ]] && pass || fail "a folder outside --data-dir was touched"
run url-dots "$COLLAB" download --url "file://$zipdir/..zip" --data-dir "$WORK/dd"
expect_rc url-dots 64
# A known set must hold the files its format needs; a bad archive leaves the good copy.
run good "$COLLAB" download --dataset ml-latest-small --url "file://$zipdir/good.zip" --data-dir "$WORK/dd"
expect_rc good 0
mkdir -p "$zipdir/bad/ml-latest-small" && cp "$d/movies.csv" "$zipdir/bad/ml-latest-small/"
(cd "$zipdir/bad" && python3 -c "import shutil; shutil.make_archive('../bad', 'zip', '.', 'ml-latest-small')")
run no-ratings "$COLLAB" download --dataset ml-latest-small --url "file://$zipdir/bad.zip" --data-dir "$WORK/dd" --force
expect_rc no-ratings 65
expect_in no-ratings err "has no ratings.csv"
expect_file "$WORK/dd/ml-latest-small/ratings.csv"
expect_no_debris "$WORK/dd" no-ratings

# 4. Signals: SIGTERM and SIGHUP stop training like Ctrl-C (143, 129); the earlier model stays,
# and no temporary is left. A temporary that a SIGKILLed run left is removed by the next run.
big="$WORK/big"
python3 "$E2E/make_data.py" csv "$big" 400 500
for sig in TERM HUP INT; do
  "$COLLAB" train --ratings "$big/ratings.csv" --movies "$big/movies.csv" --epochs 1000 --seed 1 \
    --model "$model" >"$WORK/sig.out" 2>"$WORK/sig.err" &
  pid=$!
  for _ in $(seq 100); do grep -q '^0 ' "$WORK/sig.out" && break; sleep 0.1; done
  kill -s "$sig" "$pid"
  wait "$pid"
  rc=$?
  case $sig in TERM) want=143 ;; HUP) want=129 ;; INT) want=130 ;; esac
  expect_rc "sig$sig" "$want"
  [[ "$(sum "$model")" == "$model_sum" ]] && pass || fail "SIG$sig replaced the earlier model"
done
expect_no_debris "$WORK" signals
sh -c 'exit 0' & dead=$!; wait "$dead"  # a pid that no process has now
echo half >"$model.tmp.$dead"
"$COLLAB" train "${data[@]}" --epochs 1 --seed 1 --model "$WORK/m2.collab" >/dev/null 2>&1
expect_file "$model.tmp.$dead"  # another file's temporaries are left to its writer
"$COLLAB" train "${data[@]}" --epochs 1 --seed 2 --model "$model" >/dev/null 2>&1
expect_no_file "$model.tmp.$dead"
model_sum=$(sum "$model")

# 5. Nothing half-made: a plot that cannot be written fails before training; a failed run
# replaces nothing; a disk that fills while downloading is 73; two downloads at once both end
# well; a model trained without validation rows reads.
run bad-plot "$COLLAB" train "${data[@]}" --epochs 1 --seed 5 --model "$model" --plot "$WORK/no/such/dir/p.png"
expect_rc bad-plot 73
expect_not_in bad-plot out "epoch"
[[ "$(sum "$model")" == "$model_sum" ]] && pass || fail "a failed run replaced the model"
mkdir -p "$WORK/full"
ln -s /dev/full "$WORK/full/ml-latest-small.zip.part"
run disk-full "$COLLAB" download --dataset ml-latest-small --url "file://$zipdir/good.zip" --data-dir "$WORK/full"
expect_rc disk-full 73
expect_in disk-full err "No space left on device"
rm -rf "$WORK/both"
"$COLLAB" download --dataset ml-latest-small --url "file://$zipdir/good.zip" --data-dir "$WORK/both" >/dev/null 2>"$WORK/a.err" & a=$!
"$COLLAB" download --dataset ml-latest-small --url "file://$zipdir/good.zip" --data-dir "$WORK/both" >/dev/null 2>"$WORK/b.err" & b=$!
wait "$a"; rc_a=$?; wait "$b"; rc_b=$?
[[ $rc_a -eq 0 && $rc_b -eq 0 ]] && pass || fail "two downloads at once: exit $rc_a and $rc_b: $(cat "$WORK/a.err" "$WORK/b.err")"
expect_file "$WORK/both/ml-latest-small/ratings.csv"
expect_no_debris "$WORK/both" "two downloads"
run no-valid "$COLLAB" train "${data[@]}" --epochs 1 --seed 1 --valid-pct 0 --model "$WORK/nv.collab" --format json
expect_rc no-valid 0
[[ "$(json_get "$WORK/no-valid.out" "j['valid_loss']")" == None ]] && pass || fail "valid_loss without validation rows"
run no-valid-bias "$COLLAB" bias --model "$WORK/nv.collab"
expect_rc no-valid-bias 0
for arch in dot dot-range dot-bias; do  # one factor: the smallest tables a model can have
  "$COLLAB" train "${data[@]}" --epochs 1 --seed 1 --factors 1 --arch "$arch" --model "$WORK/f1.collab" >/dev/null 2>&1
  run "one-factor-$arch" "$COLLAB" recommend --user 1 --model "$WORK/f1.collab"
  expect_rc "one-factor-$arch" 0
done

# 6. Option values: NaN, infinities, negatives and overflows are usage errors naming the option.
for args in "--wd nan" "--lr inf" "--lr -1" "--valid-pct nan" "--seed -1" "--seed 18446744073709551616" \
            "--y-range 0,inf" "--factors 100000000"; do
  opt=${args%% *}
  # shellcheck disable=SC2086
  run "opt$opt" "$COLLAB" train "${data[@]}" --epochs 1 $args
  expect_rc "opt$opt" 64
  expect_in "opt$opt" err "$opt"
done
run user-overflow "$COLLAB" recommend --model "$model" --user 18446744073709551616
expect_rc user-overflow 64
serve_sum=$(md5sum "$zipdir/good.zip" | cut -d' ' -f1 | tr a-f A-F)
run md5-upper "$COLLAB" download --dataset ml-x --url "file://$zipdir/good.zip" --data-dir "$WORK/dd" --md5 "$serve_sum"
expect_rc md5-upper 0
run md5-bad "$COLLAB" download --dataset ml-y --url "file://$zipdir/good.zip" --data-dir "$WORK/dd" --md5 xyz
expect_rc md5-bad 64

# 7. Titles reach a terminal escaped; TSV has no raw CR; bad UTF-8 titles are refused.
esc="$WORK/esc"
mkdir -p "$esc"
python3 - "$esc" <<'PY'
import random, sys
d = sys.argv[1]
with open(f"{d}/movies.csv", "wb") as f:
    f.write(b"movieId,title,genres\n")
    f.write(b'1,"Evil \x1b[31mRed\x1b[0m (1999)",Drama\n2,"Carriage\rReturn (2000)",Drama\n')
    for i in range(3, 30):
        f.write(b"%d,Movie %d (1990),Drama\n" % (i, i))
rng = random.Random(1)
with open(f"{d}/ratings.csv", "w") as f:
    f.write("userId,movieId,rating,timestamp\n")
    for u in range(1, 40):
        for m in range(1, 30):
            if m <= 2 or rng.random() < 0.4:
                f.write(f"{u},{m},{5.0 if m <= 2 else rng.choice([1.0, 2.0])},0\n")
PY
"$COLLAB" train --ratings "$esc/ratings.csv" --movies "$esc/movies.csv" --epochs 3 --lr 0.05 --seed 1 \
  --model "$WORK/esc.collab" >/dev/null 2>&1 || fail "training on titles with control codes"
run esc-table "$COLLAB" bias --model "$WORK/esc.collab" --top 5
expect_in esc-table out 'Evil \x1b[31mRed\x1b[0m (1999)'
expect_in esc-table out 'Carriage\x0dReturn (2000)'
if LC_ALL=C grep -q $'\x1b\|\r' "$WORK/esc-table.out"; then fail "a raw ESC or CR reached the table"; else pass; fi
run esc-tsv "$COLLAB" bias --model "$WORK/esc.collab" --top 5 --format tsv
if LC_ALL=C grep -q $'\r' "$WORK/esc-tsv.out"; then fail "a raw CR in TSV"; else pass; fi
run esc-json "$COLLAB" bias --model "$WORK/esc.collab" --top 5 --format json
python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$WORK/esc-json.out" && pass || fail "JSON with control codes"
run esc-error "$COLLAB" similar $'\x1b]0;pwned\x07' --model "$WORK/esc.collab"
expect_rc esc-error 65
if LC_ALL=C grep -q $'\x1b' "$WORK/esc-error.err"; then fail "a raw ESC reached an error message"; else pass; fi
for bad in '\xc0\xaf' '\xed\xa0\x80' '\xf4\x90\x80\x80'; do
  printf 'movieId,title,genres\n1,"Bad %b title",Drama\n' "$bad" >"$WORK/bad-movies.csv"
  run bad-utf8 "$COLLAB" data --ratings "$d/ratings.csv" --movies "$WORK/bad-movies.csv"
  expect_rc bad-utf8 65
  expect_in bad-utf8 err "line 2: field 'title': is not valid UTF-8"
done


# Split options the chosen split does not read are said (64), never silently ignored.
run valid-last-alone "$COLLAB" split "${data[@]}" --valid-last 3 --out "$WORK/vl"
expect_rc valid-last-alone 64
expect_in valid-last-alone err "--valid-last applies only to --split user-last"
expect_no_file "$WORK/vl"
run valid-pct-user-last "$COLLAB" train "${data[@]}" --split user-last --valid-pct 0.3 --model "$WORK/vp.collab"
expect_rc valid-pct-user-last 64
expect_in valid-pct-user-last err "--valid-pct does not apply to --split user-last"
# A split that fails on its data leaves no folder it made (nested ones neither); one that was
# there stays.
printf 'userId,movieId,rating,timestamp\n1,1,x,0\n' >"$WORK/bad-ratings.csv"
run split-fails "$COLLAB" split --ratings "$WORK/bad-ratings.csv" --movies "$d/movies.csv" --out "$WORK/made/deeper/out"
expect_rc split-fails 65
expect_no_file "$WORK/made"
mkdir -p "$WORK/there"
run split-fails-there "$COLLAB" split --ratings "$WORK/bad-ratings.csv" --movies "$d/movies.csv" --out "$WORK/there"
expect_rc split-fails-there 65
[[ -d "$WORK/there" ]] && pass || fail "split removed a folder it did not make"

finish
