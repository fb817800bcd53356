# Helpers for the end-to-end tests of the `collab` binary. Source it; $COLLAB is the binary.
set -u
: "${COLLAB:?COLLAB must name the collab binary}"
: "${TESTS_DIR:?TESTS_DIR must name the tests folder}"
E2E="$TESTS_DIR/e2e"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/collab-e2e.XXXXXX")
SERVER_PID=""
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
failures=0
checks=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { checks=$((checks + 1)); }

# run NAME CMD...: runs CMD, keeping stdout in $WORK/NAME.out, stderr in $WORK/NAME.err, code in $rc.
run() {
  local name=$1; shift
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  rc=$?
}
out() { cat "$WORK/$1.out"; }
err() { cat "$WORK/$1.err"; }

expect_rc() {  # expect_rc NAME CODE
  if [[ $rc -eq $2 ]]; then pass; else fail "$1: exit $rc, expected $2; stderr: $(head -c 400 "$WORK/$1.err")"; fi
}
expect_in() {  # expect_in NAME out|err TEXT
  if grep -qF -- "$3" "$WORK/$1.$2"; then pass; else fail "$1: $2 lacks '$3'; it was: $(head -c 600 "$WORK/$1.$2")"; fi
}
expect_not_in() {
  if grep -qF -- "$3" "$WORK/$1.$2"; then fail "$1: $2 has '$3'"; else pass; fi
}
expect_file() { if [[ -e "$1" ]]; then pass; else fail "missing $1"; fi; }
expect_no_file() { if [[ -e "$1" ]]; then fail "left behind: $1"; else pass; fi; }
# One line on stderr: "collab: error: ...".
expect_one_line_error() {
  local n; n=$(grep -c '^collab: error: ' "$WORK/$1.err")
  if [[ $n -eq 1 ]]; then pass; else fail "$1: expected one 'collab: error:' line, got $n: $(cat "$WORK/$1.err")"; fi
}
json_get() {  # json_get FILE EXPR: python expression on `j` (the last JSON line)
  python3 -c "import json,sys; j=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); print($2)" "$1"
}

start_server() {  # start_server ROOT: sets $PORT and $SERVER_LOG
  SERVER_LOG="$WORK/server.log"
  : >"$SERVER_LOG"
  python3 "$E2E/http_server.py" --root "$1" --port-file "$WORK/port" --log "$SERVER_LOG" --lifetime 300 &
  SERVER_PID=$!
  for _ in $(seq 100); do [[ -s "$WORK/port" ]] && break; sleep 0.05; done
  PORT=$(cat "$WORK/port")
}

finish() {
  echo "$checks passed, $failures failed"
  [[ $failures -eq 0 ]]
  exit $?
}
