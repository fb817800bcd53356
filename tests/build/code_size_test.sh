#!/bin/bash
# Sizes that keep src/ readable: no source file over 350 lines and no function over 60. A
# function is found by brace matching: a line that opens a brace at the outermost level of a
# namespace or class after a ")" (a function, a lambda or a constructor's body) starts one; its
# length runs from that line to the line of its closing brace. Lambdas and local classes count
# inside their function and are also measured on their own. Nothing is exempt.
# Usage: code_size_test.sh [SRC_DIR] (default: src/ beside this script's tests/).
set -u
src=${1:-${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/src}
[ -d "$src" ] || { echo "FAIL: no source folder $src"; exit 1; }
max_file=350 max_function=60
report=$(find "$src" -name '*.cpp' -o -name '*.h' | sort | while IFS= read -r file; do
  awk -v file="${file#$src/}" -v max_file=$max_file -v max_function=$max_function '
    # Strip comments, strings and character literals so that their braces do not count.
    function clean(line,    out, i, c, n) {
      out = ""; n = length(line)
      for (i = 1; i <= n; i++) {
        c = substr(line, i, 1)
        if (in_comment) { if (substr(line, i, 2) == "*/") { in_comment = 0; i++ } continue }
        if (substr(line, i, 2) == "//") break
        if (substr(line, i, 2) == "/*") { in_comment = 1; i++; continue }
        if (c == "\"" || c == "\x27") {
          q = c; i++
          while (i <= n && substr(line, i, 1) != q) { if (substr(line, i, 1) == "\\") i++; i++ }
          out = out q q; continue
        }
        out = out c
      }
      return out
    }
    {
      line = clean($0); text = text " " line
      if (length(text) > 400) text = substr(text, length(text) - 399)
      n = length(line)
      for (i = 1; i <= n; i++) {
        c = substr(line, i, 1)
        if (c == "{") {
          # What comes before the brace on this and the previous lines decides what it opens.
          before = substr(text, 1, length(text) - (n - i) - 1)
          sub(/[ \t]+$/, "", before)
          is_function = before ~ /\)[ \t]*(const|override|final|noexcept|mutable|->[^;{}()]*|:[^;{}]*\)|[ \t])*$/ &&
                        before !~ /(^|[^A-Za-z0-9_])(if|while|switch|catch)[ \t]*\([^;{}]*\)[ \t]*$/ &&
                        before !~ /(^|[^A-Za-z0-9_])for[ \t]*\([^{}]*\)[ \t]*$/ ||
                        before ~ /\][ \t]*(mutable)?$/  # a lambda without parameters: [&] {
          depth++; opens[depth] = is_function ? NR : 0
        } else if (c == "}") {
          if (depth > 0 && opens[depth] && NR - opens[depth] + 1 > max_function)
            printf "%s:%d: a function of %d lines (over %d)\n", file, opens[depth], NR - opens[depth] + 1, max_function
          if (depth > 0) depth--
        }
      }
    }
    END { if (NR > max_file) printf "%s: %d lines (over %d)\n", file, NR, max_file }
  ' "$file"
done)
if [ -n "$report" ]; then
  echo "FAIL: over the size limits (files $max_file lines, functions $max_function):"
  echo "$report"
  exit 1
fi
echo "ok: every file in src/ is at most $max_file lines and every function at most $max_function"
