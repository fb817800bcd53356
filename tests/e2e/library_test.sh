#!/usr/bin/env bash
# libcollab as a C++ program meets it: installed with `cmake --install`, found by find_package and
# by pkg-config, the example program built as a separate project against it and giving the top
# ten `collab recommend` gives; only the API exported; the headers self-contained and short.
source "$(dirname "$0")/lib.sh"
build=$(dirname "$COLLAB")
examples="$TESTS_DIR/../examples"
prefix="$WORK/prefix"

if ! command -v cmake >/dev/null || ! command -v c++ >/dev/null; then
  echo "skipping: cmake or a C++ compiler is missing" >&2
  exit 77
fi

run install cmake --install "$build" --prefix "$prefix" --component dev
expect_rc install 0
for f in include/collab/collab.h include/collab/error.h lib/libcollab.so lib/cmake/collab/collabConfig.cmake \
         lib/cmake/collab/collabConfigVersion.cmake lib/cmake/collab/collabTargets.cmake lib/pkgconfig/collab.pc; do
  expect_file "$prefix/$f"
done
[[ ! -e "$prefix/bin/collab" ]] && pass || fail "the dev component installed the command"

# A versioned soname, and nothing exported but the API: no internal function of the core.
soname=$(objdump -p "$prefix/lib/libcollab.so" | awk '/SONAME/ {print $2}')
[[ "$soname" == libcollab.so.0 ]] && pass || fail "soname: '$soname'"
exported=$(nm -DC --defined-only "$prefix/lib/libcollab.so" | awk '$2 ~ /^[TDB]$/' | cut -d' ' -f3-)
grep -q '^collab::train(' <<<"$exported" && pass || fail "collab::train is not exported"
grep -q '^collab::Model::recommend(' <<<"$exported" && pass || fail "Model::recommend is not exported"
internal=$(grep -vE '^collab::(version|read_ratings|load_dataset|split|options_for|train|evaluate|cross_validate|Model::)' \
  <<<"$exported" | grep -v '^_' || true)
[[ -z "$internal" ]] && pass || fail "libcollab exports more than the API: $(head -5 <<<"$internal")"

# The public headers: only standard headers and each other, documented, under 400 lines in all.
included=$(grep -h '^#include' "$prefix"/include/collab/*.h | grep -vE '^#include <[a-z_]+>$|^#include "collab/[a-z_]+\.h"$' || true)
[[ -z "$included" ]] && pass || fail "a public header includes something private: $included"
lines=$(cat "$prefix"/include/collab/*.h | wc -l)
[[ $lines -lt 400 ]] && pass || fail "the public headers have $lines lines (400 at most)"
example_lines=$(wc -l <"$examples/top_ten.cpp")
[[ $example_lines -lt 40 ]] && pass || fail "the example has $example_lines lines (under 40)"

# A model to ask, from the command line.
python3 "$E2E/make_data.py" csv "$WORK/csv" 30 40
run train "$COLLAB" train --ratings "$WORK/csv/ratings.csv" --movies "$WORK/csv/movies.csv" --epochs 3 --seed 2 \
  --model "$WORK/m.collab"
expect_rc train 0
user=$("$COLLAB" recommend --all-users --model "$WORK/m.collab" --format tsv | awk 'NR == 2 {print $1}')
"$COLLAB" recommend --model "$WORK/m.collab" --user "$user" --top 10 --format tsv | tail -n +2 | cut -f2 >"$WORK/cli.titles"

# The example as its own CMake project, found through the installed package.
run configure cmake -S "$examples" -B "$WORK/example" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
expect_rc configure 0
run compile cmake --build "$WORK/example"
expect_rc compile 0
run top_ten "$WORK/example/top_ten" "$WORK/m.collab" "$user"
expect_rc top_ten 0
cut -f2 "$WORK/top_ten.out" >"$WORK/api.titles"
[[ $(wc -l <"$WORK/api.titles") -eq 10 ]] && pass || fail "top_ten printed $(wc -l <"$WORK/api.titles") lines"
cmp -s "$WORK/cli.titles" "$WORK/api.titles" && pass || fail "top_ten's list differs from collab recommend's: $(diff "$WORK/cli.titles" "$WORK/api.titles" | head -5)"
# Errors reach the program as collab::Error with collab's exit codes.
run missing "$WORK/example/top_ten" "$WORK/none.collab" "$user"
expect_rc missing 66
expect_in missing err "none.collab"
run stranger "$WORK/example/top_ten" "$WORK/m.collab" 999999
expect_rc stranger 65

# The same program through pkg-config.
if command -v pkg-config >/dev/null; then
  flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs collab)
  run pkgconfig c++ -std=c++17 "$examples/top_ten.cpp" -o "$WORK/top_ten_pc" $flags -Wl,-rpath,"$prefix/lib"
  expect_rc pkgconfig 0
  run top_ten_pc "$WORK/top_ten_pc" "$WORK/m.collab" "$user"
  cmp -s "$WORK/top_ten.out" "$WORK/top_ten_pc.out" && pass || fail "the pkg-config build answers otherwise"
  [[ "$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --modversion collab)" == "$("$COLLAB" --version | awk '{print $2; exit}')" ]] \
    && pass || fail "collab.pc's version is not collab's"
fi

finish
