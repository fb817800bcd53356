#!/usr/bin/env bash
# `collab download` over file:// and a loopback HTTP server: success, resume, and every bad case
# failing with a clear message and nothing half-made left behind.
source "$(dirname "$0")/lib.sh"

serve="$WORK/serve"
mkdir -p "$serve"
python3 "$E2E/make_data.py" zip "$serve/ml-tiny.zip" good
for kind in slip bomb link; do python3 "$E2E/make_data.py" zip "$serve/ml-$kind.zip" "$kind"; done
head -c 300 "$serve/ml-tiny.zip" >"$serve/ml-truncated.zip"
cp "$serve/ml-tiny.zip" "$serve/ml-checked.zip"
echo "MD5 (ml-checked.zip) = $(md5sum "$serve/ml-checked.zip" | cut -d' ' -f1)" >"$serve/ml-checked.zip.md5"
cp "$serve/ml-tiny.zip" "$serve/ml-wrongsum.zip"
echo "MD5 (ml-wrongsum.zip) = 0123456789abcdef0123456789abcdef" >"$serve/ml-wrongsum.zip.md5"
# A bigger archive for cut transfers, so that half of it is a real partial body.
mkdir -p "$WORK/big/ml-big"
python3 "$E2E/make_data.py" csv "$WORK/big/ml-big" 300 400
(cd "$WORK/big" && python3 -c "import shutil; shutil.make_archive('$serve/ml-big', 'zip', '.', 'ml-big')")
start_server "$serve"
url="http://127.0.0.1:$PORT"
data="$WORK/data"

# file:// into DIR/NAME, the name taken from the archive.
run file "$COLLAB" download --url "file://$serve/ml-tiny.zip" --data-dir "$data"
expect_rc file 0
expect_file "$data/ml-tiny/ratings.csv"
expect_file "$data/ml-tiny/movies.csv"
[[ "$(out file)" == "$data/ml-tiny" ]] && pass || fail "stdout should be the folder, was: $(out file)"
expect_no_file "$data/ml-tiny.zip"
expect_in file err "not verified"

# Again: nothing to do. --force fetches again.
run again "$COLLAB" download --url "file://$serve/ml-tiny.zip" --data-dir "$data"
expect_rc again 0
expect_in again err "already"
run force "$COLLAB" download --url "$url/files/ml-tiny.zip" --data-dir "$data" --force
expect_rc force 0
expect_in force err "fetching"

# $COLLAB_DATA_DIR when there is no --data-dir; a published checksum is verified.
run env_dir env COLLAB_DATA_DIR="$WORK/envdata" "$COLLAB" download --url "$url/files/ml-checked.zip"
expect_rc env_dir 0
expect_file "$WORK/envdata/ml-checked/ratings.csv"
expect_not_in env_dir err "not verified"

# HTTP errors name the status and the URL, exit 69, and leave nothing.
run notfound "$COLLAB" download --url "$url/files/ml-none.zip" --data-dir "$data" --retries 0
expect_rc notfound 69
expect_in notfound err "HTTP 404 for $url/files/ml-none.zip"
expect_one_line_error notfound
expect_no_file "$data/ml-none"
expect_no_file "$data/ml-none.zip.part"

# Nothing listening: a network error, exit 69.
run refused "$COLLAB" download --url "http://127.0.0.1:9/ml-x.zip" --data-dir "$data" --retries 0
expect_rc refused 69
expect_one_line_error refused

# A 503 is transient: retried with backoff.
run flaky "$COLLAB" download --url "$url/flaky/ml-tiny.zip" --data-dir "$data" --dataset flaky
expect_rc flaky 0
expect_in flaky err "retrying"
expect_file "$data/flaky/ratings.csv"

# A transfer cut off midway is resumed with a Range request.
run cut "$COLLAB" download --url "$url/cut/ml-big.zip" --data-dir "$data"
expect_rc cut 0
grep -q "^/cut/ml-big.zip range=bytes=" "$SERVER_LOG" && pass || fail "no Range request after the cut: $(cat "$SERVER_LOG")"
expect_file "$data/ml-big/ratings.csv"
cmp -s "$data/ml-big/ratings.csv" "$WORK/big/ml-big/ratings.csv" && pass || fail "resumed archive unpacked differently"

# A .part left by an interrupted run is resumed by the next run.
size=$(stat -c %s "$serve/ml-big.zip")
head -c $((size / 3)) "$serve/ml-big.zip" >"$data/resumed.zip.part"
run resume "$COLLAB" download --url "$url/files/ml-big.zip" --data-dir "$data" --dataset resumed
expect_rc resume 0
grep -q "range=bytes=$((size / 3))-" "$SERVER_LOG" && pass || fail "the .part was not resumed"
expect_file "$data/resumed/ratings.csv"
expect_no_file "$data/resumed.zip.part"
# A server that ignores Range: the transfer starts over instead of appending.
head -c $((size / 3)) "$serve/ml-big.zip" >"$data/norange.zip.part"
run norange "$COLLAB" download --url "$url/norange/ml-big.zip" --data-dir "$data" --dataset norange
expect_rc norange 0
expect_file "$data/norange/ratings.csv"

# Bad archives: exit 65, a clear message, no folder, no cached zip, nothing outside the target.
check_bad() {  # check_bad NAME MESSAGE
  run "$1" "$COLLAB" download --url "$url/files/ml-$1.zip" --data-dir "$data" --dataset "bad-$1"
  expect_rc "$1" 65
  expect_in "$1" err "$2"
  expect_one_line_error "$1"
  expect_no_file "$data/bad-$1"
  expect_no_file "$data/bad-$1.zip"
  expect_no_file "$data/bad-$1.zip.part"
  [[ -z "$(ls "$data" | grep -E 'unpacking|\.old\.')" ]] && pass || fail "$1 left a temporary folder: $(ls "$data")"
}
check_bad wrongsum "checksum mismatch"
check_bad truncated "corrupt or truncated"
check_bad slip "leaves the target folder"
check_bad bomb "zip bomb"
check_bad link "symbolic link"
expect_no_file "$WORK/escaped.txt"
expect_no_file "$data/../escaped.txt"

# The real GroupLens archive, where the shared folder has it.
if [[ -f "${COLLAB_ML_SMALL_ZIP:-}" ]]; then
  cp "$COLLAB_ML_SMALL_ZIP" "$serve/ml-latest-small.zip"
  run real_file "$COLLAB" download --url "file://$COLLAB_ML_SMALL_ZIP" --data-dir "$WORK/real1"
  expect_rc real_file 0
  expect_file "$WORK/real1/ml-latest-small/ratings.csv"
  expect_file "$WORK/real1/ml-latest-small/movies.csv"
  run real_http "$COLLAB" download --url "$url/files/ml-latest-small.zip" --data-dir "$WORK/real2"
  expect_rc real_http 0
  cmp -s "$WORK/real1/ml-latest-small/ratings.csv" "$WORK/real2/ml-latest-small/ratings.csv" && pass || fail "http and file differ"
else
  echo "skipping the real-archive checks: ${COLLAB_ML_SMALL_ZIP:-<unset>} is absent"
fi
finish
