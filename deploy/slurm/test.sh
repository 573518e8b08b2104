#!/usr/bin/env bash
# make slurm-test: run the Slurm recipe of docs/SCALE.md, verbatim, on a real
# single-node Slurm started here, and check what it produces.
#
# As root on a Debian machine: installs slurm-wlm and munge if missing, starts
# munged, slurmctld and slurmd with their own key, config, ports, sockets and
# state in a temporary directory (nothing under /etc or /var is used, nothing
# else on the machine is touched), then
#   1. submits 3 shards of the embedded stories260K calibration and the
#      dependent merge; the merged filters must be bit-identical to one
#      unsharded run;
#   2. submits the recipe again on a longer workload, requeues one shard while
#      it runs (after its first checkpoint), and checks that the requeued task
#      resumed from its checkpoint and the result is still bit-identical.
# Every daemon it started is stopped by pid and its state removed, whatever
# happened. Exit 0 on success, 1 on failure, 77 when the machine cannot run it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TIMEOUT=${SLURM_TEST_TIMEOUT:-300}   # seconds for each batch of jobs

say() { echo "slurm-test: $*"; }
skip() { say "skipped: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root (it starts slurmctld and slurmd)"
command -v apt-get >/dev/null || skip "needs a Debian machine (apt-get)"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge"
  # The packages would start their system services (with /etc's config):
  # forbid that for the install only, as Debian's policy-rc.d allows.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e $policy ]; then
    printf '#!/bin/sh\nexit 101\n' >$policy && chmod 755 $policy && own_policy=1
  fi
  install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null 2>&1; }
  install || { apt-get update -qq >/dev/null && install; } || { [ $own_policy = 0 ] || rm -f $policy; say "could not install slurm-wlm and munge"; exit 1; }
  [ $own_policy = 0 ] || rm -f $policy
fi

T=$(mktemp -d /tmp/qfilters-slurm.XXXXXX)
chmod 755 "$T"
PIDS=()
cleanup() {
  local rc=$?
  set +e
  if [ -n "${SLURM_CONF:-}" ] && [ -f "$SLURM_CONF" ]; then
    scancel --full --quiet -u root >/dev/null 2>&1
  fi
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for _ in $(seq 50); do
    alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  # Job steps outlive slurmd only if they were still running: end them too.
  pkill -9 -f "^$T/bin/qfilters" 2>/dev/null
  if [ $rc != 0 ] && [ $rc != 77 ]; then
    say "FAILED; daemon and job logs follow"
    tail -n 20 "$T"/log/*.log "$T"/run*/qfilters-*.log 2>/dev/null
  fi
  rm -rf "$T"
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$T"/{bin,munge,state,spool,log,run1,run2}
say "building qfilters"
(cd "$ROOT" && go build -o "$T/bin/qfilters" ./cmd/qfilters)

# munge: our own key and socket; munged refuses root unless --force.
chmod 755 "$T/munge"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$T/munge/munge.key"
munged --force --foreground --key-file="$T/munge/munge.key" --socket="$T/munge/socket" \
  --pid-file="$T/munge/munged.pid" --seed-file="$T/munge/seed" --log-file="$T/log/munged.log" >>"$T/log/munged.out" 2>&1 &
PIDS+=($!)

# A free pair of ports for slurmctld and slurmd.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
CTLD_PORT=$(port); SLURMD_PORT=$(port)
HOST=$(hostname -s)
# The recipe asks for 8 CPUs a task: declare at least that many (slurmd
# believes the config, not the hardware); tasks then run one at a time.
CPUS=$(( $(nproc) > 8 ? $(nproc) : 8 ))
MEM=$(awk '/MemTotal/ {print int($2/1024) - 512}' /proc/meminfo)
export SLURM_CONF="$T/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=qfilterstest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge/socket,cred_expire=5
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
SlurmdParameters=config_overrides
JobRequeue=1
MinJobAge=600
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
for _ in $(seq 50); do [ -S "$T/munge/socket" ] && break; sleep 0.1; done
slurmctld -D -i -f "$SLURM_CONF" >>"$T/log/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" >>"$T/log/slurmd.out" 2>&1 &
PIDS+=($!)

up=0
for _ in $(seq 100); do
  if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then up=1; break; fi
  sleep 0.2
done
[ $up = 1 ] || { say "the node never came up"; exit 1; }
say "slurm is up (node $HOST, $CPUS CPUs)"

# The recipe of docs/SCALE.md, verbatim: each block after its <!-- slurm:NAME --> marker.
extract() {
  awk -v name="$1" '
    $0 == "<!-- slurm:" name " -->" { want = 1; next }
    want && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' "$ROOT/docs/SCALE.md"
}
for f in shard.sbatch merge.sbatch submit.sh; do
  extract "$f" >"$T/$f"
  [ -s "$T/$f" ] || { say "docs/SCALE.md has no slurm:$f block"; exit 1; }
done
export PATH="$T/bin:$PATH"

# wait_jobs ID...: until none is pending or running; then all must be COMPLETED.
wait_jobs() {
  local deadline=$((SECONDS + TIMEOUT))
  while squeue -h -j "$(IFS=,; echo "$*")" 2>/dev/null | grep -q .; do
    [ $SECONDS -lt $deadline ] || { say "jobs $* still queued after ${TIMEOUT}s"; squeue; return 1; }
    sleep 0.5
  done
  local bad
  bad=$(scontrol -o show job "$(IFS=,; echo "$*")" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | grep -v COMPLETED || true)
  [ -z "$bad" ] || { say "jobs ended as: $(echo $bad)"; return 1; }
}

# submit RUNDIR: the recipe's submit block, run from RUNDIR; sets ARRAY and MERGE.
submit() {
  local out
  out=$(cd "$1" && N=3 QF_WORK="$1/work" bash "$T/submit.sh")
  echo "  $out"
  ARRAY=$(echo "$out" | sed -n 's/^shards: job \([0-9]*\);.*/\1/p')
  MERGE=$(echo "$out" | sed -n 's/.*merge: job \([0-9]*\);.*/\1/p')
  [ -n "$ARRAY" ] && [ -n "$MERGE" ] || { say "could not read the job ids"; return 1; }
  cp "$T/shard.sbatch" "$T/merge.sbatch" "$1/" 2>/dev/null || true
}

same_filters() { # DIR_A DIR_B
  for f in model.safetensors qfilters.safetensors; do
    cmp -s "$1/$f" "$2/$f" || { say "$f differs between $1 and $2"; return 1; }
  done
}

# 1. Three shards of the embedded calibration and the merge.
cp "$T/shard.sbatch" "$T/merge.sbatch" "$T/run1/"
unset QF_MODEL QF_CORPUS QF_ARGS
say "run 1: 3 shards of the embedded stories260K calibration + merge"
submit "$T/run1"
wait_jobs "$ARRAY" "$MERGE"
qfilters calibrate --quiet --out "$T/run1/single" >/dev/null
same_filters "$T/run1/work/filters" "$T/run1/single"
say "run 1: merged filters are bit-identical to one unsharded run"

# 2. A longer workload (a synthetic model, pre-tokenized documents) so that a
# shard can be requeued while it runs, after its first checkpoint.
qfilters synth --preset small --out "$T/run2/model" >/dev/null
awk 'BEGIN { srand(7); for (d = 0; d < 12; d++) { printf "{\"input_ids\": ["; for (i = 0; i < 2048; i++) printf "%s%d", (i ? ", " : ""), int(rand() * 512); print "]}" } }' >"$T/run2/corpus.jsonl"
export QF_MODEL="$T/run2/model" QF_CORPUS="$T/run2/corpus.jsonl" QF_ARGS="--seq-len 2048 --num-seqs 12 --samples 2000 --checkpoint-every 1"
cp "$T/shard.sbatch" "$T/merge.sbatch" "$T/run2/"
say "run 2: 3 shards of a longer workload; shard 1 is requeued after its first checkpoint"
submit "$T/run2"
ckpt="$T/run2/work/stats-1.safetensors.resume"
deadline=$((SECONDS + TIMEOUT))
until [ -n "$(ls -A "$ckpt" 2>/dev/null)" ]; do
  [ $SECONDS -lt $deadline ] || { say "shard 1 never wrote a checkpoint"; exit 1; }
  sleep 0.05
done
scontrol requeue "${ARRAY}_1"
say "run 2: requeued ${ARRAY}_1 while it ran"
wait_jobs "$ARRAY" "$MERGE"
log=$(ls "$T"/run2/qfilters-shard-"${ARRAY}"_1.log)
grep -q "resuming from layer" "$log" || { say "the requeued shard did not resume from its checkpoint"; cat "$log"; exit 1; }
restarts=$(scontrol -o show job "${ARRAY}_1" | grep -o 'Restarts=[0-9]*')
say "run 2: the requeued task $(grep -m1 'resuming from layer' "$log") ($restarts)"
# --resume: QF_ARGS sets a checkpoint cadence, which needs it (and it
# leaves the result unchanged).
qfilters calibrate --quiet --resume --model "$QF_MODEL" --corpus "$QF_CORPUS" $QF_ARGS --out "$T/run2/single" >/dev/null
same_filters "$T/run2/work/filters" "$T/run2/single"
say "run 2: merged filters are bit-identical to one unsharded run"
say "passed"
