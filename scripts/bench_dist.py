#!/usr/bin/python3
"""Sharded training's benchmark (issue #27), run by `scripts/bench --dist`: one process on one
thread against `--nproc 2` sharded (and replicate on the small set), side by side in one
invocation, runs interleaved (this VM's speed drifts over minutes), medians printed.

  ml-latest-small, the seed's sparse-adam run (bs 64, 5 epochs): where sharding does not pay.
  ml-25m's shape (scripts/make_synthetic_ratings.py; 20M training ratings), sparse-adam, bs 4096:
  seconds an epoch, the whole process, peak RSS of the largest process (a rank), and each seed's
  final validation loss, one process against two ranks.
  --loss bpr: the same for BPR (--implicit, sparse-adam; on ml-latest-small its own defaults, bs
  256 and 40 epochs, and each run's nDCG@10 from `collab eval`).

Usage: scripts/bench --dist [--runs 3] [--epochs 3] [--loss mse|bpr] [--scale-dir DIR] [--zip PATH]
                            [--collab PATH] [--skip-small]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import epochs_of, log, med, run_with_rss  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
p = argparse.ArgumentParser()
p.add_argument("--runs", type=int, default=3, help="runs of each configuration (seeds 1..runs)")
p.add_argument("--epochs", type=int, default=3, help="epochs of the ml-25m-shaped runs")
p.add_argument("--zip", default=os.path.join(ROOT, "..", "shared", "data", "ml-latest-small.zip"))
p.add_argument("--collab", default=os.path.join(ROOT, "build", "collab"))
p.add_argument("--scale-dir", default=os.path.join(tempfile.gettempdir(), "collab-synthetic-25m"))
p.add_argument("--skip-small", action="store_true")
p.add_argument("--loss", choices=["mse", "bpr"], default="mse")
a = p.parse_args()


def bench(files, common, configs, ranking=False):
    """Each (name, options) once per seed 1..runs, round-robin. Returns name -> per-run records;
    ranking: with each model's nDCG@10 on its validation rows."""
    out = {name: [] for name, _ in configs}
    with tempfile.TemporaryDirectory(prefix="collab-bench-dist-") as work:
        for seed in range(1, a.runs + 1):
            for name, extra in configs:
                cmd = [a.collab, "train"] + files + common + ["--seed", str(seed), "--format", "json",
                                                               "--model", os.path.join(work, "m.collab")] + extra
                text, wall, rss = run_with_rss(cmd)
                e = epochs_of(text)
                out[name].append({"epochs": [x["seconds"] for x in e], "loss": e[-1]["valid_loss"], "wall": wall,
                                  "rss": rss, "seed": seed})
                if ranking:
                    text = subprocess.run([a.collab, "eval", "--model", os.path.join(work, "m.collab"), "--format",
                                           "json"], capture_output=True, text=True, check=True).stdout
                    out[name][-1]["ndcg"] = json.loads(text)["ndcg"]
                    log(f"  {name} seed {seed}: nDCG@10 {out[name][-1]['ndcg']:.4f}")
                log(f"  {name} seed {seed}: {med([x['seconds'] for x in e]):.3f} s/epoch, "
                    f"valid {e[-1]['valid_loss']:.6f}, {wall:.1f} s, {rss:.0f} MiB")
    return out


def table(title, results, reference):
    ref = med([med(r["epochs"]) for r in results[reference]])
    print(f"\n{title}\n")
    print("| run | s/epoch (median) | speed-up | whole process s | peak RSS MiB | valid loss by seed |")
    print("|---|---:|---:|---:|---:|---|")
    for name, runs in results.items():
        epoch = med([med(r["epochs"]) for r in runs])
        losses = ", ".join(f"{r['loss']:.4f}" for r in runs)
        if "ndcg" in runs[0]:
            losses += "; nDCG@10 " + ", ".join(f"{r['ndcg']:.4f}" for r in runs)
        print(f"| {name} | {epoch:.3f} | {ref / epoch:.2f}x | {med([r['wall'] for r in runs]):.1f} | "
              f"{max(r['rss'] for r in runs):.0f} | {losses} |")
    for name, runs in results.items():
        if name != reference:
            gaps = [abs(r["loss"] - q["loss"]) for r, q in zip(runs, results[reference])]
            print(f"\n{name}: largest |valid loss - one process's| over seeds: {max(gaps):.4f}")


if not os.path.exists(a.collab):
    sys.exit(f"bench: build collab first ({a.collab} is missing): scripts/build")
if not a.skip_small:
    with tempfile.TemporaryDirectory(prefix="collab-bench-small-") as data:
        env = dict(os.environ, COLLAB_DATA_DIR=data)
        subprocess.run([a.collab, "download", "--url", "file://" + os.path.abspath(a.zip)], env=env, check=True,
                       capture_output=True)
        folder = os.path.join(data, "ml-latest-small")
        files = ["--ratings", os.path.join(folder, "ratings.csv"), "--movies", os.path.join(folder, "movies.csv")]
        if a.loss == "bpr":
            title = "ml-latest-small, BPR (--implicit, sparse-adam, bs 256), 40 epochs"
            common = ["--implicit", "--loss", "bpr", "--optimizer", "sparse-adam"]
            configs = [("one process, 1 thread", ["--threads", "1"]), ("2 ranks, shard", ["--nproc", "2"])]
        else:
            title = "ml-latest-small, sparse-adam, bs 64, 5 epochs"
            common = ["--optimizer", "sparse-adam", "--epochs", "5", "--lr", "5e-3", "--wd", "0.1"]
            configs = [("one process, 1 thread", ["--threads", "1"]), ("2 ranks, shard", ["--nproc", "2"]),
                       ("2 ranks, replicate", ["--nproc", "2", "--dist", "replicate"])]
        log(title)
        small = bench(files, common, configs, ranking=a.loss == "bpr")
        table(title, small, "one process, 1 thread")

ratings = os.path.join(a.scale_dir, "ratings.csv")
if not os.path.exists(ratings):
    sys.exit(f"bench: no ml-25m-shaped data in {a.scale_dir}: scripts/make_synthetic_ratings.py {a.scale_dir}")
files = ["--ratings", ratings, "--movies", os.path.join(a.scale_dir, "movies.csv")]
kind = "BPR (--implicit, sparse-adam)" if a.loss == "bpr" else "sparse-adam"
log(f"ml-25m shape, {kind}, bs 4096, {a.epochs} epochs")
model = ["--implicit", "--loss", "bpr"] if a.loss == "bpr" else []
scale = bench(files, model + ["--optimizer", "sparse-adam", "--bs", "4096", "--epochs", str(a.epochs)],
              [("one process, 1 thread", ["--threads", "1"]), ("2 ranks, shard", ["--nproc", "2"])])
table(f"ml-25m shape (20M training ratings), {kind}, bs 4096, {a.epochs} epochs", scale, "one process, 1 thread")
