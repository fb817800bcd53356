#!/usr/bin/python3
"""Writes synthetic ratings with the shape of ml-25m, in the small set's CSV format.

Defaults: 25,000,000 ratings, 162,541 users, 59,047 movies. Item popularity is long-tailed
(Zipf-like, as in MovieLens: a few thousand movies hold most ratings), users rate at least 20
movies with a heavy-tailed activity, and ratings come from a low-rank model plus noise, rounded
to half stars in 0.5..5. No user rates a movie twice.

Usage: make_synthetic_ratings.py OUT_DIR [--ratings N] [--users U] [--movies M] [--seed S]
"""
import argparse
import os

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--ratings", type=int, default=25_000_000)
p.add_argument("--users", type=int, default=162_541)
p.add_argument("--movies", type=int, default=59_047)
p.add_argument("--seed", type=int, default=0)
a = p.parse_args()
rng = np.random.default_rng(a.seed)
os.makedirs(a.out, exist_ok=True)

with open(os.path.join(a.out, "movies.csv"), "w") as f:
    f.write("movieId,title,genres\n")
    f.writelines(f'{m},"Synthetic Movie {m}, The ({1920 + m % 100})",Drama\n' for m in range(1, a.movies + 1))

# Ratings per user: at least 20, heavy-tailed, summing to the total.
activity = rng.pareto(1.3, a.users) + 1
per_user = 20 + np.floor(activity / activity.sum() * (a.ratings - 20 * a.users)).astype(np.int64)
per_user[: a.ratings - per_user.sum()] += 1
cap = a.movies // 2
per_user = np.minimum(per_user, cap)
while per_user.sum() < a.ratings:  # hand what the cap cut off to users with room left
    room = np.flatnonzero(per_user < cap)
    extra = min(len(room), a.ratings - int(per_user.sum()))
    per_user[rng.choice(room, extra, replace=False)] += 1
popularity = 1.0 / np.arange(1, a.movies + 1) ** 1.1
popularity /= popularity.sum()
movie_ids = rng.permutation(a.movies) + 1  # popular movies are not simply the low ids
k = 8
user_f = rng.normal(0, 0.5, (a.users, k)).astype(np.float32)
item_f = rng.normal(0, 0.5, (a.movies, k)).astype(np.float32)
item_bias = rng.normal(0, 0.5, a.movies).astype(np.float32)

written = 0
with open(os.path.join(a.out, "ratings.csv"), "w") as f:
    f.write("userId,movieId,rating,timestamp\n")
    chunk_users = 4000
    for start in range(0, a.users, chunk_users):
        rows = []
        for u in range(start, min(start + chunk_users, a.users)):
            n = int(per_user[u])
            # Sample without repeats: draw extra, keep the first n distinct.
            draw = rng.choice(a.movies, size=int(n * 1.3) + 10, p=popularity)
            _, first = np.unique(draw, return_index=True)
            picked = draw[np.sort(first)][:n]
            if len(picked) < n:
                rest = np.setdiff1d(np.arange(a.movies), picked)
                picked = np.concatenate([picked, rng.choice(rest, n - len(picked), replace=False)])
            score = 3.5 + item_bias[picked] + item_f[picked] @ user_f[u] + rng.normal(0, 0.6, n)
            stars = np.clip(np.round(score * 2) / 2, 0.5, 5.0)
            rows.append(np.column_stack([np.full(n, u + 1), movie_ids[picked], stars]))
        block = np.concatenate(rows)
        text = "\n".join(f"{int(x)},{int(y)},{z:.1f},1500000000" for x, y, z in block.tolist())
        f.write(text + "\n")
        written += len(block)
print(f"wrote {written} ratings of {a.users} users on {a.movies} movies to {a.out}")
