#!/usr/bin/env python3
"""Writes small made-up MovieLens-format data for the end-to-end tests.

  make_data.py csv DIR [USERS ITEMS]  ratings.csv and movies.csv from a known low-rank model
  make_data.py zip ZIP KIND           archives: good, slip, bomb, link
  make_data.py times DIR              the csv data set with its timestamps spread over 400 seconds
                                      (many ties), and users 9001 (one rating) and 9002 (two)
"""
import math
import os
import random
import sys
import zipfile


def write_csv(folder, users=120, items=150):
    rng = random.Random(7)
    k = 3
    uf = [[rng.gauss(0, 0.8) for _ in range(k)] for _ in range(users)]
    itf = [[rng.gauss(0, 0.8) for _ in range(k)] for _ in range(items)]
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "movies.csv"), "w", encoding="utf-8") as f:
        f.write("movieId,title,genres\n")
        for i in range(items):
            title = f"Movie {i} ({1950 + i % 70})"
            if i == 0:
                title = '"Usual Suspects, The (1995)"'
            elif i == 1:
                title = "Amélie (2001)"
            elif i == 2:
                title = '"Shawshank Redemption, The (1994)"'
            f.write(f"{i + 1},{title},Drama\n")
    with open(os.path.join(folder, "ratings.csv"), "w") as f:
        f.write("userId,movieId,rating,timestamp\n")
        for u in range(users):
            for i in range(items):
                if rng.random() > 0.3:
                    continue
                r = 3.0 + sum(a * b for a, b in zip(uf[u], itf[i])) + rng.gauss(0, 0.3)
                if i == 2:
                    r = 5.0  # everyone loves it: the highest item bias
                r = min(5.0, max(0.5, round(r * 2) / 2))
                f.write(f"{u + 1},{i + 1},{r},964982703\n")


def spread_timestamps(folder):
    """Gives every rating of DIR/ratings.csv a timestamp from a range small enough that many tie,
    so that the time splits' order and tie rule matter, and adds a user with one rating and one
    with two, the per-user splits' edge cases."""
    rng = random.Random(11)
    path = os.path.join(folder, "ratings.csv")
    with open(path) as f:
        header, *rows = f.read().splitlines()
    out = [header]
    for row in rows:
        user, movie, rating, _ = row.split(",")
        out.append(f"{user},{movie},{rating},{1_000_000_000 + rng.randrange(400)}")
    out += ["9001,5,4.0,1000000100", "9002,5,3.0,1000000300", "9002,6,2.5,1000000200"]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def write_zip(path, kind):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        if kind == "good":
            z.writestr("ml-tiny/ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,0\n2,1,3.0,0\n")
            z.writestr("ml-tiny/movies.csv", "movieId,title,genres\n1,Toy Story (1995),Comedy\n")
        elif kind == "slip":
            z.writestr("ml-tiny/ratings.csv", "x\n")
            z.writestr("../../escaped.txt", "gotcha\n")
        elif kind == "bomb":
            z.writestr("ml-tiny/ratings.csv", "\0" * (30 << 20))
        elif kind == "link":
            info = zipfile.ZipInfo("ml-tiny/passwd")
            info.create_system = 3
            info.external_attr = (0o120777 << 16)
            z.writestr(info, "/etc/passwd")


if __name__ == "__main__":
    if sys.argv[1] == "csv":
        extra = [int(x) for x in sys.argv[3:5]]
        write_csv(sys.argv[2], *extra)
    elif sys.argv[1] == "times":
        write_csv(sys.argv[2], 80, 120)
        spread_timestamps(sys.argv[2])
    else:
        write_zip(sys.argv[2], sys.argv[3])
