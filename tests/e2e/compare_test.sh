#!/usr/bin/env bash
# collab compare from the shell on made-up data: cv runs and eval --per-user rows compared, runs
# that are not paired refused with what differs, and every option's bad value and result.
source "$(dirname "$0")/lib.sh"

d="$WORK/csv"
python3 "$E2E/make_data.py" csv "$d" 60 80
data=(--ratings "$d/ratings.csv" --movies "$d/movies.csv")
cv() { "$COLLAB" cv "${data[@]}" --folds 4 --epochs 2 --lr 1e-2 --optimizer sparse-adam --format json "$@"; }
compare() { "$COLLAB" compare "$@"; }

# cv's fingerprint: the same for the same data, folds and seed; another for another seed.
run cv-wd1 cv --seed 1 --wd 0.1; expect_rc cv-wd1 0
run cv-wd01 cv --seed 1 --wd 0.01; expect_rc cv-wd01 0
run cv-again cv --seed 1 --wd 0.1; expect_rc cv-again 0
run cv-seed2 cv --seed 2 --wd 0.1; expect_rc cv-seed2 0
fp() { json_get "$WORK/$1.out" "j['folds_fingerprint']"; }
[[ "$(fp cv-wd1)" == "$(fp cv-wd01)" && "$(fp cv-wd1)" != "$(fp cv-seed2)" ]] && pass || fail "folds fingerprints"
run cv-table "$COLLAB" cv "${data[@]}" --folds 4 --epochs 1 --seed 1 --optimizer sparse-adam
expect_in cv-table out "folds fingerprint $(fp cv-wd1)"

# Two settings on the same folds: every key, the mean difference of rmse (b - a), p-values in [0, 1].
run wd compare "$WORK/cv-wd1.out" "$WORK/cv-wd01.out" --format json
expect_rc wd 0
python3 - "$WORK/wd.out" "$WORK/cv-wd1.out" "$WORK/cv-wd01.out" <<'PY' && pass || fail "compare's JSON of two cv runs"
import json, sys
j = json.loads(open(sys.argv[1]).read())
folds = lambda f: [r["rmse"] for r in map(json.loads, open(f)) if isinstance(r["fold"], int)]
a, b = folds(sys.argv[2]), folds(sys.argv[3])
for key in ["a", "b", "metric", "n", "mean_a", "mean_b", "mean_difference", "ci_low", "ci_high", "t", "p_ttest",
            "wilcoxon_statistic", "wilcoxon_exact", "p_wilcoxon", "p_ttest_holm", "p_wilcoxon_holm"]:
    assert key in j, key
assert j["metric"] == "rmse" and j["n"] == 4
assert abs(j["mean_difference"] - (sum(b) - sum(a)) / 4) < 1e-12
assert j["ci_low"] <= j["mean_difference"] <= j["ci_high"]
assert all(0 <= j[k] <= 1 for k in ["p_ttest", "p_wilcoxon", "p_ttest_holm", "p_wilcoxon_holm"])
assert j["wilcoxon_exact"] and j["p_wilcoxon"] >= 0.125  # 4 folds: the smallest exact two-sided p is 2/16
PY

# Identical runs: nothing differs, every p is 1.
run same compare "$WORK/cv-wd1.out" "$WORK/cv-again.out" --format json
expect_rc same 0
[[ "$(json_get "$WORK/same.out" "(j['mean_difference'], j['p_ttest'], j['p_wilcoxon'], j['ci_low'], j['ci_high'])")" \
   == "(0.0, 1.0, 1.0, 0.0, 0.0)" ]] && pass || fail "identical runs: $(out same)"

# Three runs: three pairs, Holm across them (each adjusted p at least its own).
run three compare "$WORK/cv-wd1.out" "$WORK/cv-wd01.out" "$WORK/cv-again.out" --format json --metric mae
expect_rc three 0
python3 - "$WORK/three.out" <<'PY' && pass || fail "three runs, Holm"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 3 and all(r["metric"] == "mae" for r in rows)
ps = sorted(r["p_ttest"] for r in rows)
holm, running = [], 0
for i, p in enumerate(ps):
    running = max(running, min(1, (3 - i) * p)); holm.append(running)
assert sorted(r["p_ttest_holm"] for r in rows) == holm, (rows, holm)
PY
run table compare "$WORK/cv-wd1.out" "$WORK/cv-wd01.out"
expect_rc table 0
expect_in table out "p_wilcoxon"
expect_in table out "10000 resamples, seed 0"

# --bootstrap and --seed: one resample gives a single point; the seed repeats the interval.
ci() { json_get "$WORK/$1.out" "(j['ci_low'], j['ci_high'])"; }
run boot1 compare "$WORK/cv-wd1.out" "$WORK/cv-wd01.out" --format json --bootstrap 1
json_get "$WORK/boot1.out" "j['ci_low'] == j['ci_high']" | grep -q True && pass || fail "--bootstrap 1: $(out boot1)"
run seed5 compare "$WORK/cv-wd1.out" "$WORK/cv-wd01.out" --format json --seed 5 --bootstrap 200
run seed5b compare "$WORK/cv-wd1.out" "$WORK/cv-wd01.out" --format json --seed 5 --bootstrap 200
run seed6 compare "$WORK/cv-wd1.out" "$WORK/cv-wd01.out" --format json --seed 6 --bootstrap 200
[[ "$(ci seed5)" == "$(ci seed5b)" && "$(ci seed5)" != "$(ci seed6)" ]] && pass || fail "--seed: $(ci seed5) $(ci seed6)"

# Runs that are not paired: 65, saying what differs.
run other-folds compare "$WORK/cv-wd1.out" "$WORK/cv-seed2.out"
expect_rc other-folds 65
expect_in other-folds err "are not paired: their folds differ"
expect_one_line_error other-folds

# eval --per-user: a row per user; its averages are eval's own.
train() { "$COLLAB" train "${data[@]}" --epochs 3 --lr 1e-2 --seed 3 --format json "$@"; }
run train-a train --wd 0.1 --model "$WORK/a.collab"; expect_rc train-a 0
run train-b train --wd 0.01 --model "$WORK/b.collab"; expect_rc train-b 0
run eval-a "$COLLAB" eval --model "$WORK/a.collab" --k 5 --format json --per-user "$WORK/a.jsonl"
expect_rc eval-a 0
run eval-b "$COLLAB" eval --model "$WORK/b.collab" --k 5 --per-user "$WORK/b.jsonl"
expect_rc eval-b 0
python3 - "$WORK/a.jsonl" "$WORK/eval-a.out" <<'PY' && pass || fail "eval --per-user rows"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
e = json.loads(open(sys.argv[2]).read())
ids = [r["userId"] for r in rows]
assert ids == sorted(set(ids)), "one row per user, by userId"
assert sum(r["rows"] for r in rows) == e["rows"]
assert len({r["rows_fingerprint"] for r in rows}) == 1 and all(r["k"] == 5 for r in rows)
ranked = [r for r in rows if r["ndcg"] is not None]
assert len(ranked) == e["users"] > 0
for key in ["precision", "recall", "ndcg", "map", "hit_rate"]:
    assert abs(sum(r[key] for r in ranked) / len(ranked) - e[key]) < 1e-9, key
sse = sum(r["mse"] * r["rows"] for r in rows)
assert abs(sse / e["rows"] - e["mse"]) < 1e-9
PY
run users compare "$WORK/a.jsonl" "$WORK/b.jsonl" --format json
expect_rc users 0
[[ "$(json_get "$WORK/users.out" "j['metric']")" == ndcg ]] && pass || fail "per-user default metric: $(out users)"
run users-rmse compare "$WORK/a.jsonl" "$WORK/b.jsonl" --format json --metric rmse
python3 - "$WORK/users-rmse.out" "$WORK/a.jsonl" <<'PY' && pass || fail "--metric rmse on per-user rows"
import json, sys
j = json.loads(open(sys.argv[1]).read())
rows = [json.loads(l) for l in open(sys.argv[2])]
assert j["metric"] == "rmse" and j["n"] == len(rows)
assert abs(j["mean_a"] - sum(r["rmse"] for r in rows) / len(rows)) < 1e-12
PY
run eval-k3 "$COLLAB" eval --model "$WORK/b.collab" --k 3 --per-user "$WORK/k3.jsonl"
run other-k compare "$WORK/a.jsonl" "$WORK/k3.jsonl"
expect_rc other-k 65
expect_in other-k err "they rank at other settings: k 5"
printf 'userId,movieId,rating,timestamp\n1,1,4,0\n2,2,3,0\n' >"$WORK/two.csv"
run eval-file "$COLLAB" eval --model "$WORK/b.collab" --k 5 --ratings "$WORK/two.csv" --per-user "$WORK/two.jsonl"
expect_rc eval-file 0
run other-rows compare "$WORK/a.jsonl" "$WORK/two.jsonl"
expect_rc other-rows 65
expect_in other-rows err "they were evaluated on other rows"
run kinds compare "$WORK/a.jsonl" "$WORK/cv-wd1.out"
expect_rc kinds 65
expect_in kinds err "is eval --per-user rows"
# A user dropped from one file: the user sets differ.
head -n -1 "$WORK/b.jsonl" >"$WORK/b-short.jsonl"
run short compare "$WORK/a.jsonl" "$WORK/b-short.jsonl" --metric rmse
expect_rc short 65
expect_in short err "user $(tail -1 "$WORK/b.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["userId"])') has rmse in $WORK/a.jsonl only"
# A cv run whose metrics differ (an edited row).
sed 's/"mae":/"mae_old":/' "$WORK/cv-wd01.out" >"$WORK/cv-renamed.out"
run metrics compare "$WORK/cv-wd1.out" "$WORK/cv-renamed.out"
expect_rc metrics 65
expect_in metrics err "their metrics differ"
printf '{"fold": 0, "rmse": 1}\n' >"$WORK/old-cv.out"
run no-fingerprint compare "$WORK/cv-wd1.out" "$WORK/old-cv.out"
expect_rc no-fingerprint 65
expect_in no-fingerprint err "old-cv.out line 1: neither a row of collab cv"

# Missing input 66; bad option values 64 naming the option.
run missing compare "$WORK/cv-wd1.out" "$WORK/nope.out"
expect_rc missing 66
expect_in missing err "nope.out"
run one-run compare "$WORK/cv-wd1.out"
expect_rc one-run 64
run bad-metric compare "$WORK/cv-wd1.out" "$WORK/cv-wd01.out" --metric r2
expect_rc bad-metric 64
expect_in bad-metric err "--metric: 'r2' is not a metric of"
run bad-boot compare "$WORK/cv-wd1.out" "$WORK/cv-wd01.out" --bootstrap 0
expect_rc bad-boot 64
expect_in bad-boot err "--bootstrap"
run bad-seed compare "$WORK/cv-wd1.out" "$WORK/cv-wd01.out" --seed -1
expect_rc bad-seed 64
expect_in bad-seed err "--seed"
run bad-format compare "$WORK/cv-wd1.out" "$WORK/cv-wd01.out" --format xml
expect_rc bad-format 64
run bad-per-user "$COLLAB" eval --model "$WORK/a.collab" --per-user "$WORK/no/such/dir/u.jsonl"
expect_rc bad-per-user 73
expect_in bad-per-user err "no/such/dir"

finish
