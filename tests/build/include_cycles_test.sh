#!/bin/bash
# The stage folders of src/ depend on each other in one direction only: the folder graph that the
# `#include "folder/..."` lines draw (src/A/x.cpp including "B/y.h" is the edge A -> B) has no
# cycle. On a cycle it fails, naming the folders around it and one include line for each edge.
# Usage: include_cycles_test.sh [SRC_DIR] (default: src/ beside this script's tests/).
set -u
src=${1:-${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/src}
[ -d "$src" ] || { echo "FAIL: no source folder $src"; exit 1; }
folders=$(cd "$src" && find . -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
# One line per edge: FROM TO FILE:LINE: the include line.
edges=$(cd "$src" && grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"/]+/' --include='*.h' --include='*.cpp' . |
  while IFS= read -r hit; do
    file=${hit%%:*}; file=${file#./}; from=${file%%/*}
    to=$(sed -E 's/^[^"]*"([^"/]+)\/.*/\1/' <<<"$hit")
    [ "$from" != "$to" ] && grep -qx "$to" <<<"$folders" && echo "$from $to src/${hit#./}"
  done)
# Depth-first search for a back edge; the stack is the path to it.
declare -A state=()  # unset: unvisited, 1: on the path, 2: done
path=()
found=""
visit() {
  local f=$1 to
  state[$f]=1; path+=("$f")
  for to in $(awk -v f="$f" '$1 == f { print $2 }' <<<"$edges" | sort -u); do
    [ -n "$found" ] && return
    if [ "${state[$to]:-}" = 1 ]; then
      local i cycle=() on=""
      for i in "${path[@]}"; do [ "$i" = "$to" ] && on=1; [ -n "$on" ] && cycle+=("$i"); done
      found="${cycle[*]} $to"
      return
    fi
    [ -z "${state[$to]:-}" ] && visit "$to"
  done
  state[$f]=2; unset 'path[${#path[@]}-1]'
}
for f in $folders; do [ -z "${state[$f]:-}" ] && [ -z "$found" ] && visit "$f"; done
if [ -n "$found" ]; then
  echo "FAIL: the stage folders include each other in a cycle: ${found// / -> }"
  set -- $found
  while [ $# -ge 2 ]; do
    awk -v a="$1" -v b="$2" '$1 == a && $2 == b { $1 = ""; $2 = ""; print "  " substr($0, 3) }' <<<"$edges" | head -3
    shift
  done
  exit 1
fi
echo "ok: no include cycle between the folders of src/ ($(awk '{ print $1 " -> " $2 }' <<<"$edges" | sort -u | tr '\n' ',' | sed 's/,$//; s/,/, /g'))"
