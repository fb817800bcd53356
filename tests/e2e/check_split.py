#!/usr/bin/env python3
"""Checks what `collab split --out DIR` wrote against the split's definition in
docs/experiments.md#splits, computed here from the data set's own ratings.csv:

  check_split.py RATINGS DIR KIND [--valid-pct P] [--test-pct P] [--valid-last N] [--min-user-ratings M]

Every split: train.csv, valid.csv (and test.csv) hold each rating of the data set exactly once,
unchanged. random: floor(P * n) validate (and the floor(T * n) test rows). time: the latest
floor(P * n) by timestamp validate, ties going to the later row, the latest floor(T * n) are test
rows. user-last: each user's latest N. user-time / user-random: each user's ranks k = 1..n (time
order, ties to the later row / the permutation's) validate when 1 - P - T < k/n <= (1 - P - T) + P,
are test rows above that, and a user left with no training rating keeps rank 1 in training. Prints what differs
and exits 1.
"""
import argparse
import csv
import os
import sys
from collections import defaultdict


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [(int(r["userId"]), int(r["movieId"]), float(r["rating"]), int(r["timestamp"])) for r in rows]


def expected_roles(data, a):
    """The role ("train", "valid", "test") of each row of `data` under the split's definition;
    None for user-random's held-out rows, which the permutation picks: only their count per user
    is defined."""
    n = len(data)
    by_time = sorted(range(n), key=lambda i: data[i][3])  # stable: ties in row order
    role = ["train"] * n
    if a.kind == "time":
        test = int(a.test_pct * n)
        valid = int(a.valid_pct * n)
        for i in by_time[n - test:]:
            role[i] = "test"
        for i in by_time[n - test - valid:n - test]:
            role[i] = "valid"
    elif a.kind in ("user-last", "user-time"):
        per_user = defaultdict(list)
        for i in by_time:
            per_user[data[i][0]].append(i)
        for rows in per_user.values():
            if a.kind == "user-last":
                for i in rows[-a.valid_last:]:
                    role[i] = "valid"
                continue
            for k, i in enumerate(rows, start=1):
                role[i] = share_role(k, len(rows), a)
            if role[rows[0]] != "train":
                role[rows[0]] = "train"  # a user keeps one rating in training
    return role


def share_role(k, n, a):
    # The cumulative shares summed in doubles, as Recommenders' np.cumsum([train, valid, test])
    # sums them: the validation bound is (1 - P - T) + P, which is not always 1 - T (at P 0.3,
    # T 0.1 it is 0.8999999999999999, so rank 36 of 40 is a test row).
    train = 1 - a.valid_pct - a.test_pct
    if k / n <= train:
        return "train"
    return "valid" if a.test_pct == 0 or k / n <= train + a.valid_pct else "test"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("ratings")
    p.add_argument("out")
    p.add_argument("kind")
    p.add_argument("--valid-pct", type=float, default=0.2)
    p.add_argument("--test-pct", type=float, default=0.0)
    p.add_argument("--valid-last", type=int, default=1)
    p.add_argument("--min-user-ratings", type=int, default=0)
    a = p.parse_args()

    data = read(a.ratings)
    count = defaultdict(int)
    for r in data:
        count[r[0]] += 1
    data = [r for r in data if count[r[0]] >= a.min_user_ratings]  # the filter, before the split
    n = len(data)
    written = {"train": read(os.path.join(a.out, "train.csv")), "valid": read(os.path.join(a.out, "valid.csv"))}
    test_path = os.path.join(a.out, "test.csv")
    written["test"] = read(test_path) if a.test_pct > 0 else []
    problems = []

    # Each rating exactly once, unchanged (the made-up data has one rating per pair).
    where = {}
    for role, rows in written.items():
        for r in rows:
            if (r[0], r[1]) in where:
                problems.append(f"({r[0]}, {r[1]}) is written twice: {where[(r[0], r[1])][0]} and {role}")
            where[(r[0], r[1])] = (role, r)
    for r in data:
        if (r[0], r[1]) not in where:
            problems.append(f"the rating {r} is in no file")
        elif where[(r[0], r[1])][1] != r:
            problems.append(f"the rating {r} was written as {where[(r[0], r[1])][1]}")
    if sum(len(rows) for rows in written.values()) != n:
        problems.append(f"{n} ratings, but the files hold {sum(len(v) for v in written.values())}")

    role = expected_roles(data, a)
    if a.kind == "random":
        for name, want in (("valid", int(a.valid_pct * n)), ("test", int(a.test_pct * n))):
            if len(written[name]) != want:
                problems.append(f"{len(written[name])} {name} rows of {n}, expected floor(pct * n) = {want}")
    elif a.kind == "user-random":
        per_user = defaultdict(lambda: defaultdict(int))
        for name, rows in written.items():
            for r in rows:
                per_user[r[0]][name] += 1
        for user, got in per_user.items():
            m = sum(got.values())
            want = defaultdict(int)
            for k in range(1, m + 1):
                want[share_role(k, m, a)] += 1
            if want["train"] == 0:
                want[share_role(1, m, a)] -= 1
                want["train"] = 1
            if {k: v for k, v in got.items() if v} != {k: v for k, v in want.items() if v}:
                problems.append(f"user {user}: {dict(got)}, expected {dict(want)} of {m}")
    else:
        for i, r in enumerate(data):
            got = where.get((r[0], r[1]), ("missing",))[0]
            if got != role[i]:
                problems.append(f"{r} (row {i + 2}) is in {got}, expected {role[i]}")
    if a.kind in ("time", "user-time", "user-last"):
        # The property itself, stated plainly: nothing held out is older than anything trained on.
        scope = (lambda r: 0) if a.kind == "time" else (lambda r: r[0])
        newest_train = defaultdict(lambda: -1)
        for r in written["train"]:
            newest_train[scope(r)] = max(newest_train[scope(r)], r[3])
        for r in written["valid"] + written["test"]:
            if r[3] < newest_train[scope(r)]:
                problems.append(f"held-out {r} is older than a training rating at {newest_train[scope(r)]}")
    if not written["valid"]:
        problems.append("no validation rows")
    for line in problems[:20]:
        print(line, file=sys.stderr)
    if len(problems) > 20:
        print(f"... and {len(problems) - 20} more", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
