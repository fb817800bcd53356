#!/usr/bin/env python3
"""Checks that `collab VERB --help` documents every option the verb accepts.

  check_help.py COMPLETION VERB HELP

COMPLETION is `collab completion bash`, which lists each verb's options and the words an option
takes from CLI11's definitions (App::get_options, the option's type), not from the help text;
HELP is `collab VERB --help`. For each option of VERB in the completion:
  - the help has one entry for it, and that entry has a description (words, not just a type);
  - each word the option takes (--arch's architectures, --format's formats) appears in its entry;
  - an option that takes a value shows its default (CLI11's "=VALUE"), is REQUIRED, or says in its
    description what happens without it ("default"), unless NO_DEFAULT names it: the options
    whose absence is itself the meaning (no such mode, no such file).
And the help lists no option the completion lacks. Prints each problem, exits 1 if any.
"""
import re
import sys

# Options whose absence means "not asked for": there is no default value to show.
NO_DEFAULT = {
    "--user": "one of the ways to name a user; absent: another is given",
    "--ratings-of": "a new user's ratings file; absent: a trained user is asked for",
    "--ratings": "a ratings file instead of the data set (or the model's own rows)",
    "--movies": "a movies file beside --ratings",
    "--valid-ratings": "a file of validation ratings; absent: --split decides",
    "--plot": "an image to draw; absent: none is drawn",
    "--predictions": "a file to write predictions to; absent: none is written",
    "--out": "factors: a file to write the coordinates to; absent: none is written",
    "--journal": "a file to append finished trials to; absent: none is kept",
}


def completion_options(text, verb):
    """The options and each option's words for `verb` in the completion script."""
    block = re.search(r"^    " + re.escape(verb) + r"\)\n(.*?)^      ;;$", text, re.S | re.M)
    if not block:
        return None, None
    body = block.group(1)
    options = re.findall(r'^      COMPREPLY=\(\$\(compgen -W "([^"]*)"', body, re.M)
    words = {m[0]: m[1].split() for m in re.findall(r'^        (--[\w-]+)\) COMPREPLY=\(\$\(compgen -W "([^"]*)"', body, re.M)}
    names = options[-1].split() if options else []
    return [n for n in names if n != "--help"], words


def help_entries(text):
    """Each option entry of a CLI11 help text: {--name: [(type column, description)]}. CLI11
    pads an entry's name and type to 30 columns and starts the description there, or on the next
    line, 30 columns in, when they are 30 or longer."""
    entries = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^  (-\w,)?(--[\w-]+)", line)
        if not m:
            continue
        j = i + 1
        if j < len(lines) and re.match(r"^ {30}\S", lines[j]):
            left, description = line[m.end():], ""
        else:
            left, description = line[m.end():30], line[30:]
        while j < len(lines) and re.match(r"^ {30}\S", lines[j]):  # the description's lines
            description += " " + lines[j].strip()
            j += 1
        entries.setdefault(m.group(2), []).append((left.rstrip(), description.strip()))
    return entries


def main():
    completion = open(sys.argv[1]).read()
    verb = sys.argv[2]
    text = open(sys.argv[3]).read()
    problems = []
    options, words = completion_options(completion, verb)
    if options is None:
        print(f"{verb}: not in the completion script", file=sys.stderr)
        return 1
    entries = help_entries(text)
    for name in options:
        found = entries.get(name, [])
        if len(found) != 1:
            problems.append(f"{name}: {len(found)} entries in the help, expected 1")
            continue
        left, description = found[0]
        if not re.search(r"[A-Za-z]{2,}", description):
            problems.append(f"{name}: no description ('{description}')")
        for word in words.get(name, []):
            if word not in left and word not in description:
                problems.append(f"{name}: its value '{word}' is not in the help")
        # The type column (TEXT, INT:INT in [1 - 1000]=5, dot|nn=dot-bias) before Excludes, Needs
        # and REQUIRED; a flag has none.
        column = re.split(r" (?:Excludes|Needs|REQUIRED)\b", left)[0].strip()
        takes_value = column != ""
        has_default = re.search(r"=\S", column) or "REQUIRED" in left or "default" in description.lower()
        if takes_value and not has_default and name not in NO_DEFAULT:
            problems.append(f"{name}: takes a value but the help shows no default ('{left.strip()}')")
    for name in entries:
        if name not in options and name != "--help":
            problems.append(f"{name}: in the help but not among the verb's options")
    for p in problems:
        print(f"{verb} {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
