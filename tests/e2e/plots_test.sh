#!/usr/bin/env bash
# Pictures from the command line: lr-find, train and factors draw valid PNG and SVG files.
source "$(dirname "$0")/lib.sh"

d="$WORK/csv"
python3 "$E2E/make_data.py" csv "$d"
data=(--ratings "$d/ratings.csv" --movies "$d/movies.csv" --seed 4)
check_image() {  # check_image FILE: a PNG or SVG of 800x600
  python3 - "$1" <<'PY'
import struct, sys
path = sys.argv[1]
b = open(path, "rb").read()
if path.endswith(".png"):
    assert b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR", "not a PNG"
    assert struct.unpack(">II", b[16:24]) == (800, 600), struct.unpack(">II", b[16:24])
    assert len(b) > 5000, "an empty picture"
else:
    t = b.decode()
    assert t.lstrip().startswith("<?xml") and 'width="800pt"' in t and 'height="600pt"' in t and "</svg>" in t
    assert t.count("<path") > 10, "an empty picture"
PY
}

run lr "$COLLAB" lr-find "${data[@]}" --plot "$WORK/lr.png" --format json
expect_rc lr 0
check_image "$WORK/lr.png" && pass || fail "lr-find plot"
python3 -c "import json,sys; j=json.load(open(sys.argv[1])); assert 1e-7 <= j['suggested_lr'] <= 10 and len(j['lrs'])==len(j['losses'])" "$WORK/lr.out" \
  && pass || fail "lr-find JSON: $(out lr)"
expect_no_file model.collab
run lr_svg "$COLLAB" lr-find "${data[@]}" --plot "$WORK/lr.svg"
expect_rc lr_svg 0
check_image "$WORK/lr.svg" && pass || fail "lr-find svg"
expect_in lr_svg out "valley"

run train "$COLLAB" train "${data[@]}" --epochs 3 --model "$WORK/m.collab" --plot "$WORK/train.svg"
expect_rc train 0
check_image "$WORK/train.svg" && pass || fail "train plot"
run train_png "$COLLAB" train "${data[@]}" --epochs 2 --model "$WORK/m2.collab" --plot "$WORK/train.png"
check_image "$WORK/train.png" && pass || fail "train png"

run factors "$COLLAB" factors --model "$WORK/m.collab" --plot "$WORK/pca.png"
expect_rc factors 0
check_image "$WORK/pca.png" && pass || fail "factors plot"

run badname "$COLLAB" train "${data[@]}" --plot "$WORK/x.gif" --model "$WORK/m3.collab"
expect_rc badname 64
expect_no_file "$WORK/m3.collab"
finish
