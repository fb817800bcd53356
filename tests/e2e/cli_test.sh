#!/usr/bin/env bash
# The command line itself: help, version, usage errors and their exit codes.
source "$(dirname "$0")/lib.sh"

run help "$COLLAB" --help
expect_rc help 0
for verb in download data train bias similar recommend predict factors lr-find; do
  expect_in help out "$verb"
done
run version "$COLLAB" --version
expect_rc version 0
expect_in version out "collab 0."

# Every verb documents every option with its default.
run train_help "$COLLAB" train --help
expect_rc train_help 0
for text in "--epochs" "--lr" "--wd" "--bs" "--factors" "--arch" "--valid-pct" "--seed" "--device" "--model" \
            "--format" "--optimizer" "--threads" "--data-dir" "--dataset" "--ratings" "--movies" \
            "0.005" "0.1" "64" "50" "dot-bias" "model.collab" "auto" "ml-latest-small"; do
  expect_in train_help out "$text"
done
# Every verb in `collab --help` documents every option it accepts: the options and the words each
# takes come from `collab completion bash`, generated from CLI11's option definitions rather than
# from the help text; check_help.py says what it requires (an entry, a description, each word, a
# default or what its absence means).
run completion "$COLLAB" completion bash
expect_rc completion 0
verbs=$(awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1}' "$WORK/help.out")
completed=$(grep -o 'compgen -W "[^"]*--help --version"' "$WORK/completion.out" | sed 's/compgen -W "//; s/ --help --version"//')
[[ $(echo $verbs) == "$completed" && -n "$completed" ]] && pass \
  || fail "the verbs of collab --help ($(echo $verbs)) are not the completion's ($completed)"
for verb in $verbs; do
  run "help_$verb" "$COLLAB" "$verb" --help
  expect_rc "help_$verb" 0
  python3 "$E2E/check_help.py" "$WORK/completion.out" "$verb" "$WORK/help_$verb.out" 2>"$WORK/help_$verb.check" \
    && pass || fail "collab $verb --help does not document every option: $(head -5 "$WORK/help_$verb.check")"
done
run bias_help "$COLLAB" bias --help
expect_in bias_help out "never trained"

run unknown "$COLLAB" train --no-such-option
expect_rc unknown 64
expect_in unknown err "collab: error:"
expect_in unknown err "--help"
run badvalue "$COLLAB" train --epochs many
expect_rc badvalue 64
run badchoice "$COLLAB" train --device tpu
expect_rc badchoice 64
run noverb "$COLLAB"
expect_rc noverb 64
run badrange "$COLLAB" train --y-range 5,1 --ratings /dev/null --movies /dev/null
expect_rc badrange 64
finish
