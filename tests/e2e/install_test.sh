#!/usr/bin/env bash
# collab as a Debian tool: --version for bug reports, bash completion that covers every verb and
# option (it is generated from them), the man page, and the .deb: its files, its computed
# dependencies, and collab run from the package's layout, LibTorch plugin included; libcollab-dev
# beside it, and the example program built against it.
source "$(dirname "$0")/lib.sh"
build=$(dirname "$COLLAB")

run version "$COLLAB" --version
expect_rc version 0
expect_in version out "collab "
expect_in version out "LibTorch"
expect_in version out "CUDA:"
expect_in version out "AVX2 and FMA:"

# Completion: every verb of `collab --help` and every option of `collab VERB --help` is offered.
run completion "$COLLAB" completion bash
expect_rc completion 0
comp="$WORK/completion.out"
verbs=$("$COLLAB" --help | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
[[ $(wc -w <<<"$verbs") -ge 12 ]] && pass || fail "too few verbs in collab --help: $verbs"
complete_words() {  # complete_words WORD...: what completing the last word offers
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _collab; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$comp" collab "$@"
}
offered=$(complete_words "")
for verb in $verbs; do
  grep -qx -- "$verb" <<<"$offered" && pass || fail "completion does not offer the verb $verb"
  options=$("$COLLAB" "$verb" --help | grep -oE -- '^ +(-[a-z],)?--[a-z][a-z0-9-]*' | grep -o -- '--.*' | sort -u)
  verb_offers=$(complete_words "$verb" "--")
  for option in $options; do
    grep -qx -- "$option" <<<"$verb_offers" && pass || fail "completion of $verb does not offer $option"
  done
done
[[ "$(complete_words train --arch "" | tr '\n' ' ')" == "dot dot-range dot-bias nn popularity baseline " ]] && pass || fail "--arch words"
grep -qx ml-25m <<<"$(complete_words data --dataset ml-2)" && pass || fail "--dataset names from the registry"
touch "$WORK/model-for-completion.collab"
grep -q model-for-completion <<<"$(complete_words bias --model "$WORK/model-for")" && pass || fail "--model completes files"

# The man page, made from --help at build time (where help2man is installed, as scripts/setup does).
if [[ -f "$build/collab.1.gz" ]]; then
  page=$(zcat "$build/collab.1.gz")
  for section in "EXIT STATUS" "ENVIRONMENT" "COLLAB_DATA_DIR" "recommend"; do
    grep -q "$section" <<<"$page" && pass || fail "the man page lacks $section"
  done
else
  echo "no man page in $build: help2man is not installed" >&2
fi

# The package: built with its computed dependencies, unpacked, and run from its layout.
if command -v cpack >/dev/null && command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null; then
  if (cd "$build" && cpack -G DEB -B "$WORK/pkg" >"$WORK/cpack.log" 2>&1); then
    pass
    deb=$(ls "$WORK"/pkg/collab_*.deb)
    files=$(dpkg-deb -c "$deb")
    for f in ./usr/bin/collab ./usr/share/bash-completion/completions/collab; do
      grep -q " $f\$" <<<"$files" && pass || fail "the package lacks $f"
    done
    depends=$(dpkg-deb -f "$deb" Depends)
    grep -q "libc6" <<<"$depends" && pass || fail "no computed dependencies: $depends"
    if [[ -f "$build/libcollab_torch.so" ]]; then
      grep -q " ./usr/lib/collab/libcollab_torch.so\$" <<<"$files" && pass || fail "the package lacks the plugin"
      grep -q "libtorch" <<<"$depends" && pass || fail "the plugin's LibTorch is not a dependency: $depends"
    fi
    grep -q " ./usr/include/" <<<"$files" && fail "the collab package carries headers" || pass
    # The library's package: headers, the library, its CMake package and pkg-config file; a
    # program built against it as a user would (find_package with /usr's layout, unpacked here).
    dev=$(ls "$WORK"/pkg/libcollab-dev_*.deb)
    dev_files=$(dpkg-deb -c "$dev")
    for f in ./usr/include/collab/collab.h ./usr/include/collab/error.h ./usr/lib/libcollab.so ./usr/lib/libcollab.so.0 \
             ./usr/lib/cmake/collab/collabConfig.cmake ./usr/lib/pkgconfig/collab.pc; do
      grep -q " $f\( ->.*\)\?\$" <<<"$dev_files" && pass || fail "libcollab-dev lacks $f"
    done
    grep -q " ./usr/bin/" <<<"$dev_files" && fail "libcollab-dev carries the command" || pass
    [[ "$(dpkg-deb -f "$dev" Section)" == libdevel ]] && pass || fail "libcollab-dev's section"
    grep -q "libtorch" <<<"$(dpkg-deb -f "$dev" Depends)" && fail "libcollab-dev depends on LibTorch" || pass
    dpkg-deb -x "$dev" "$WORK/devroot"
    python3 "$E2E/make_data.py" csv "$WORK/devcsv" 20 30
    "$COLLAB" train --ratings "$WORK/devcsv/ratings.csv" --movies "$WORK/devcsv/movies.csv" --epochs 1 --seed 1 \
      --model "$WORK/dev.collab" >/dev/null 2>&1
    if (cmake -S "$TESTS_DIR/../examples" -B "$WORK/devexample" -DCMAKE_PREFIX_PATH="$WORK/devroot/usr" &&
        cmake --build "$WORK/devexample") >"$WORK/devexample.log" 2>&1; then
      pass
      run dev_top_ten "$WORK/devexample/top_ten" "$WORK/dev.collab" 1
      expect_rc dev_top_ten 0
      [[ $(wc -l <"$WORK/dev_top_ten.out") -eq 10 ]] && pass || fail "top_ten from the package: $(out dev_top_ten)"
    else
      fail "the example does not build against libcollab-dev: $(tail -5 "$WORK/devexample.log")"
    fi
    dpkg-deb -x "$deb" "$WORK/root"
    run unpacked "$WORK/root/usr/bin/collab" --version
    expect_rc unpacked 0
    if [[ -f "$build/libcollab_torch.so" ]]; then
      python3 "$E2E/make_data.py" csv "$WORK/csv" 20 30
      # The plugin is found in ../lib/collab beside the installed binary, not in the build tree.
      run unpacked-torch env -u COLLAB_TORCH_PLUGIN "$WORK/root/usr/bin/collab" train --ratings "$WORK/csv/ratings.csv" \
        --movies "$WORK/csv/movies.csv" --epochs 1 --seed 1 --engine torch --model "$WORK/t.collab"
      expect_rc unpacked-torch 0
      expect_in unpacked-torch err "LibTorch"
    fi
  else
    fail "cpack failed: $(tail -5 "$WORK/cpack.log")"
  fi
else
  echo "skipping the package checks: cpack, dpkg-deb or dpkg-shlibdeps is missing" >&2
fi

finish
