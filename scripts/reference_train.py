#!/usr/bin/python3
"""The benchmark's reference: the seed's DotProductBias trained by a plain PyTorch loop in Python,
with the same math as `collab train` (fastai's one-cycle schedule, Adam with decoupled weight
decay on every parameter = torch.optim.AdamW with eps 1e-5, batch 64, last batch dropped).

Prints one JSON line per epoch: epoch, train_loss (smoothed as fastai), valid_loss, seconds;
and first a line with load_seconds. Usage: reference_train.py RATINGS MOVIES [--epochs N] [--seed S]
"""
import argparse
import csv
import json
import math
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("ratings")
p.add_argument("movies")
p.add_argument("--epochs", type=int, default=5)
p.add_argument("--total-epochs", type=int, default=None, help="schedule length (default: --epochs)")
p.add_argument("--lr", type=float, default=5e-3)
p.add_argument("--wd", type=float, default=0.1)
p.add_argument("--bs", type=int, default=64)
p.add_argument("--seed", type=int, default=42)
p.add_argument("--threads", type=int, default=0)
a = p.parse_args()
if a.threads:
    torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)

started = time.perf_counter()
titles = {row["movieId"]: row["title"] for row in csv.DictReader(open(a.movies, encoding="utf-8"))}
users, items, ratings = [], [], []
for row in csv.DictReader(open(a.ratings)):
    t = titles.get(row["movieId"])
    if t is not None:
        users.append(int(row["userId"]))
        items.append(t)
        ratings.append(float(row["rating"]))
user_vocab = {u: i + 1 for i, u in enumerate(sorted(set(users)))}
item_vocab = {t: i + 1 for i, t in enumerate(sorted(set(items)))}
u = torch.tensor([user_vocab[x] for x in users])
i = torch.tensor([item_vocab[x] for x in items])
r = torch.tensor(ratings)
print(json.dumps({"load_seconds": time.perf_counter() - started}), flush=True)

perm = torch.randperm(len(r))
cut = int(0.2 * len(r))
valid, train = perm[:cut], perm[cut:]


class DotProductBias(torch.nn.Module):
    def __init__(self, n_users, n_items, k=50, y_range=(0, 5.5)):
        super().__init__()
        p = lambda *s: torch.nn.Parameter(torch.zeros(*s).normal_(0, 0.01))
        self.user_factors, self.user_bias = p(n_users, k), p(n_users)
        self.item_factors, self.item_bias = p(n_items, k), p(n_items)
        self.y_range = y_range

    def forward(self, u, i):
        x = (self.user_factors[u] * self.item_factors[i]).sum(1) + self.user_bias[u] + self.item_bias[i]
        lo, hi = self.y_range
        return torch.sigmoid(x) * (hi - lo) + lo


model = DotProductBias(len(user_vocab) + 1, len(item_vocab) + 1)
opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.95, 0.99), eps=1e-5, weight_decay=a.wd)
batches = len(train) // a.bs
total = batches * (a.total_epochs or a.epochs)


def cos(start, end, pos):
    return start + (1 + math.cos(math.pi * (1 - pos))) * (end - start) / 2


def one_cycle(pos):
    if pos < 0.25:
        q = pos / 0.25
        return cos(a.lr / 25, a.lr, q), cos(0.95, 0.85, q)
    q = (pos - 0.25) / 0.75
    return cos(a.lr, a.lr / 1e5, q), cos(0.85, 0.95, q)


smooth, count, step = 0.0, 0, 0
for epoch in range(a.epochs):
    t0 = time.perf_counter()
    order = train[torch.randperm(len(train))]
    for b in range(batches):
        lr, mom = one_cycle(step / total)
        for g in opt.param_groups:
            g["lr"], g["betas"] = lr, (mom, 0.99)
        idx = order[b * a.bs:(b + 1) * a.bs]
        loss = torch.nn.functional.mse_loss(model(u[idx], i[idx]), r[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        count += 1
        smooth = 0.98 * smooth + 0.02 * loss.item()
        step += 1
    with torch.no_grad():
        valid_loss = torch.nn.functional.mse_loss(model(u[valid], i[valid]), r[valid]).item()
    print(json.dumps({"epoch": epoch, "train_loss": smooth / (1 - 0.98 ** count), "valid_loss": valid_loss,
                      "seconds": time.perf_counter() - t0}), flush=True)
