#!/usr/bin/env bash
# Two hosts, really: two network namespaces joined by a veth pair, each with its own address, and
# torchrun --nnodes 2 in each, as on two machines. The job ends where one process ends, bit for bit
# (--dist shard: close to it, and the same bits twice); node 0 alone prints and writes the model;
# nothing listens beyond the namespaces' own addresses, and nothing of the job runs in the host's
# namespace. Skipped (77) without root, ip netns or veth pairs.
source "$(dirname "$0")/lib.sh"
DIST_ARGS=(--dist-timeout 30)  # every two-host run's options, besides its case's
[[ -f "$(dirname "$COLLAB")/libcollab_torch.so" ]] || { echo "skipped: built without the LibTorch plugin (c10d)"; exit 77; }
command -v torchrun >/dev/null || { echo "skipped: no torchrun (Debian's python3-torch)"; exit 77; }
[[ $EUID -eq 0 ]] && command -v ip >/dev/null || { echo "skipped: network namespaces need root and ip (iproute2)"; exit 77; }

ns=("collab$$-0" "collab$$-1")
addr=(10.231.27.1 10.231.27.2)  # a /30 seen only inside the two namespaces
teardown() {  # whatever happens: end what runs in the namespaces (ours alone), then remove them
  local n p
  for n in "${ns[@]}"; do for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done; done
  for n in "${ns[@]}"; do ip netns del "$n" 2>/dev/null; done
  cleanup
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
{ ip netns add "${ns[0]}" && ip netns add "${ns[1]}"; } 2>/dev/null \
  || { echo "skipped: cannot create network namespaces"; exit 77; }
ip link add v0 netns "${ns[0]}" type veth peer name v1 netns "${ns[1]}" 2>/dev/null \
  || { echo "skipped: cannot create a veth pair"; exit 77; }
for k in 0 1; do
  # Without IPv6 the namespace's addresses are 127.0.0.1 and its own, and so are those of "*".
  ip netns exec "${ns[k]}" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
  { ip -n "${ns[k]}" addr add "${addr[k]}/30" dev "v$k" && ip -n "${ns[k]}" link set lo up \
    && ip -n "${ns[k]}" link set "v$k" up; } || { fail "could not set up ${ns[k]}"; finish; }
  [[ "$(ip -n "${ns[k]}" -o addr show | awk '{print $4}' | tr '\n' ' ')" == "127.0.0.1/8 ${addr[k]}/30 " ]] && pass \
    || fail "${ns[k]} has other addresses: $(ip -n "${ns[k]}" -o addr show)"
  netns[k]=$(ip netns exec "${ns[k]}" readlink /proc/self/ns/net)
  ip netns exec "${ns[k]}" python3 "$E2E/watch_listening.py" >"$WORK/listening.$k" & watcher[k]=$!
done

d="$WORK/csv"
python3 "$E2E/make_data.py" csv "$d" 60 90
data=(--ratings "$d/ratings.csv" --movies "$d/movies.csv" --epochs 2 --seed 3 --format json)
loss() { json_get "$1" "repr(j['valid_loss'])"; }
weights() { "$COLLAB" factors --model "$1" --format json --top 5 | md5sum; }
for opt in adam sparse-adam; do
  run "one-$opt" "$COLLAB" train "${data[@]}" --optimizer "$opt" --model "$WORK/one-$opt.collab"
  expect_rc "one-$opt" 0
done

# two_hosts NAME OPTIONS...: node K in namespace K, its stdout in $WORK/NAME.K.out (node 0's JSON
# lines in NAME.json), its model $WORK/NAME.K.collab; checks that both end with 0 (else returns 1)
# and that node 0 alone printed the table and wrote. The job's processes' namespaces go to netns.seen.
port=29500
two_hosts() {
  local name=$1 k p pid=(); shift
  port=$((port + 1))
  for k in 0 1; do
    timeout -k 5 120 ip netns exec "${ns[k]}" torchrun --nnodes 2 --nproc_per_node 1 --node_rank "$k" \
      --master_addr "${addr[0]}" --master_port "$port" --redirects 1 --tee 1 --log_dir "$WORK/$name.$k.logs" \
      --no_python "$COLLAB" train "${data[@]}" "${DIST_ARGS[@]}" "$@" --model "$WORK/$name.$k.collab" \
      >"$WORK/$name.$k.out" 2>"$WORK/$name.$k.err" & pid[k]=$!
  done
  while kill -0 "${pid[0]}" 2>/dev/null || kill -0 "${pid[1]}" 2>/dev/null; do
    for p in $(pgrep -f -- "--model $WORK/$name\."); do  # torchrun's agents and the ranks, not timeout
      [[ "$(cat "/proc/$p/comm" 2>/dev/null)" == timeout ]] || readlink "/proc/$p/ns/net"
    done >>"$WORK/netns.seen"
    sleep 0.1
  done
  wait "${pid[0]}"; local rc0=$?; wait "${pid[1]}"; local rc1=$?
  [[ $rc0 -eq 0 && $rc1 -eq 0 ]] && pass \
    || { fail "$name: nodes ended with $rc0 and $rc1: $(grep -h '^collab: error' "$WORK/$name".?.err | tr '\n' ' ')"; return 1; }
  expect_file "$WORK/$name.0.collab"
  expect_no_file "$WORK/$name.1.collab"
  sed 's/^\[default0\]://' "$WORK/$name.0.out" >"$WORK/$name.json"  # torchrun's --tee prefix
  [[ $(grep -c '"epoch"' "$WORK/$name.json") -eq 2 ]] && pass || fail "$name: node 0's table: $(cat "$WORK/$name.0.out")"
  grep -q '"epoch"' "$WORK/$name.1.out" && fail "$name: node 1 printed epochs: $(cat "$WORK/$name.1.out")" || pass
}
same_as_one() {  # same_as_one NAME OPTIMIZER: the two-host run ended where one process ended, bit for bit
  [[ "$(loss "$WORK/$1.json")" == "$(loss "$WORK/one-$2.out")" ]] && pass \
    || fail "$1: valid loss $(loss "$WORK/$1.json") on two hosts vs $(loss "$WORK/one-$2.out") in one process"
  [[ "$(weights "$WORK/$1.0.collab")" == "$(weights "$WORK/one-$2.collab")" ]] && pass || fail "$1: not one process's weights"
}

# Once `--dist shard|replicate` exists, replicate is the mode that must end bit for bit.
replicate=()
"$COLLAB" train --help | grep -qE -- '--dist([^-]|$)' && replicate=(--dist replicate)
two_hosts adam --optimizer adam "${replicate[@]}" && same_as_one adam adam
two_hosts sparse --optimizer sparse-adam "${replicate[@]}" && same_as_one sparse sparse-adam
if ((${#replicate[@]})); then
  # Sharded: within 0.05 of one process's valid loss on this tiny data, and the same bits twice.
  if two_hosts shard --optimizer sparse-adam --dist shard && two_hosts shard-again --optimizer sparse-adam --dist shard; then
    python3 -c 'import sys; sys.exit(abs(float(sys.argv[1]) - float(sys.argv[2])) > 0.05)' \
      "$(loss "$WORK/shard.json")" "$(loss "$WORK/one-sparse-adam.out")" && pass \
      || fail "shard: valid loss $(loss "$WORK/shard.json") on two hosts vs $(loss "$WORK/one-sparse-adam.out") in one process"
    [[ "$(loss "$WORK/shard.json")" == "$(loss "$WORK/shard-again.json")" ]] && pass \
      || fail "shard: another valid loss the second time"
    [[ "$(weights "$WORK/shard.0.collab")" == "$(weights "$WORK/shard-again.0.collab")" ]] && pass \
      || fail "shard: other weights the second time"
  fi
else
  echo "no --dist option yet: the --dist shard case is skipped" >&2
fi

# In each namespace the job listened on its own address, 127.0.0.1 or "*" (here: those two) only,
# and none of its processes ran in the host's namespace.
kill "${watcher[@]}"; wait "${watcher[@]}" 2>/dev/null
[[ -s "$WORK/listening.0" ]] && pass || fail "${ns[0]}: no listener seen (the watcher failed?)"
for k in 0 1; do
  other=$(grep -vE "^(${addr[k]//./\\.}|127\.0\.0\.1|0\.0\.0\.0|::) " "$WORK/listening.$k")
  [[ -z "$other" ]] && pass || fail "${ns[k]}: listened beyond its addresses: $(tr '\n' ';' <<<"$other")"
done
[[ -s "$WORK/netns.seen" ]] && pass || fail "no process of the job was seen"
other=$(sort -u "$WORK/netns.seen" | grep -vxF -e "${netns[0]}" -e "${netns[1]}")
[[ -z "$other" ]] && pass || fail "processes of the job ran outside the two namespaces: $other"
finish
