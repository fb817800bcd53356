#!/usr/bin/env bash
# collab compare against scipy on fixed runs: ttest_rel and wilcoxon (its default zero_method
# "wilcox"; method "approx" where there are zeros or ties, the normal approximation collab takes
# there) for every pair, and Holm's adjustment worked again in Python. Skips (77) without scipy
# (Debian: apt-get install python3-scipy).
source "$(dirname "$0")/lib.sh"

py=""
for candidate in python3 /usr/bin/python3; do
  if "$candidate" -c "import scipy.stats" 2>/dev/null; then py=$candidate; break; fi
done
[[ -n "$py" ]] || { echo "skipped: scipy is not installed (apt-get install python3-scipy)"; exit 77; }

# Three cv-shaped runs of 12 folds, one with ties and zeros against the first, and three per-user
# runs of 80 users, written by a seeded generator.
"$py" - "$WORK" <<'PY'
import json, random, sys
work = sys.argv[1]
rng = random.Random(11)
base = [0.85 + rng.gauss(0, 0.01) for _ in range(12)]
runs = {"a": base,
        "b": [x + rng.gauss(-0.004, 0.005) for x in base],
        "c": [x + [0, 0.002, -0.001, 0.002][i % 4] for i, x in enumerate(base)]}
for name, vals in runs.items():
    with open(f"{work}/{name}.cv", "w") as f:
        for i, v in enumerate(vals):
            f.write(json.dumps({"fold": i, "mse": v * v, "rmse": v, "mae": v * 0.77,
                                "fit_seconds": 1, "eval_seconds": 0, "folds_fingerprint": "00000000000000aa"}) + "\n")
users = list(range(1, 81))
base = [rng.random() for _ in users]
shift = {"x": 0.0, "y": 0.03, "z": -0.01}
for name, s in shift.items():
    with open(f"{work}/{name}.users", "w") as f:
        for u, v in zip(users, base):
            nd = min(1.0, max(0.0, v + s + rng.gauss(0, 0.05))) if name != "x" else v
            f.write(json.dumps({"userId": u, "rows": 3, "mse": 1.0, "rmse": 1.0, "mae": 1.0, "k": 10,
                                "relevant_rating": 0, "precision": None if u == 7 else 0.1, "recall": 0.1,
                                "ndcg": None if u == 7 else nd, "map": 0.1, "hit_rate": 1,
                                "rows_fingerprint": "00000000000000bb"}) + "\n")
PY
run cv "$COLLAB" compare "$WORK/a.cv" "$WORK/b.cv" "$WORK/c.cv" --format json
expect_rc cv 0
run users "$COLLAB" compare "$WORK/x.users" "$WORK/y.users" "$WORK/z.users" --format json
expect_rc users 0

check() {  # check OUT METRIC FILES...: every pair of OUT against scipy
  "$py" - "$@" <<'PY'
import json, sys
import numpy as np
from scipy import stats
out, metric, files = sys.argv[1], sys.argv[2], sys.argv[3:]
def values(path):
    rows = [json.loads(l) for l in open(path)]
    key = "fold" if "fold" in rows[0] else "userId"
    return {r[key]: r[metric] for r in rows if isinstance(r[key], int) and r[metric] is not None}
got = [json.loads(l) for l in open(out)]
pairs = [(a, b) for i, a in enumerate(files) for b in files[i + 1:]]
assert [(g["a"], g["b"]) for g in got] == pairs, got
for g, (fa, fb) in zip(got, pairs):
    va, vb = values(fa), values(fb)
    units = sorted(va)
    a = np.array([va[u] for u in units]); b = np.array([vb[u] for u in units]); d = b - a
    assert g["n"] == len(units)
    assert abs(g["mean_difference"] - d.mean()) < 1e-12
    t = stats.ttest_rel(b, a)
    assert abs(g["p_ttest"] - t.pvalue) < 1e-10, (fa, fb, g["p_ttest"], t.pvalue)
    assert abs(g["t"] - t.statistic) < 1e-8, (g["t"], t.statistic)
    nz = np.abs(d[d != 0])
    approx = len(d) > 50 or len(nz) < len(d) or len(np.unique(nz)) < len(nz)
    w = stats.wilcoxon(d, method="approx" if approx else "auto")
    assert g["wilcoxon_exact"] == (not approx), g
    assert g["wilcoxon_statistic"] == w.statistic, (g["wilcoxon_statistic"], w.statistic)
    assert abs(g["p_wilcoxon"] - w.pvalue) < 1e-10, (fa, fb, g["p_wilcoxon"], w.pvalue)
    assert g["ci_low"] <= d.mean() <= g["ci_high"]
for key, holm_key in [("p_ttest", "p_ttest_holm"), ("p_wilcoxon", "p_wilcoxon_holm")]:
    order = sorted(range(len(got)), key=lambda i: got[i][key])
    running = 0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(got) - rank) * got[i][key]))
        assert abs(got[i][holm_key] - running) < 1e-15, (key, got[i])
print("ok", [(g["p_ttest"], g["p_wilcoxon"], g["wilcoxon_exact"]) for g in got])
PY
}
check "$WORK/cv.out" rmse "$WORK/a.cv" "$WORK/b.cv" "$WORK/c.cv" >"$WORK/check-cv.log" 2>&1 && pass \
  || fail "cv runs against scipy: $(cat "$WORK/check-cv.log")"
check "$WORK/users.out" ndcg "$WORK/x.users" "$WORK/y.users" "$WORK/z.users" >"$WORK/check-users.log" 2>&1 && pass \
  || fail "per-user runs against scipy: $(cat "$WORK/check-users.log")"
cat "$WORK/check-cv.log" "$WORK/check-users.log"

finish
