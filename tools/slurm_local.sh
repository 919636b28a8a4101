#!/usr/bin/env bash
# Proof that the workflow runs through SLURM: a one-node SLURM on this host, then the example
# workflow with `--profile workflow/profiles/slurm-local`, in a copy of the repository.
#
#     sudo tools/slurm_local.sh [extra snakemake arguments or targets]
#     e.g. tools/slurm_local.sh results/clean/responses.parquet
#
# Steps: install slurm-wlm and munge if missing; munge key and daemon; a minimal
# /etc/slurm/slurm.conf for this host; slurmctld and slurmd; wait for the node to be idle; copy
# the repository to $BORGING_SLURM_WORKDIR (default /tmp/borging-slurm-proof/repo, fresh every run);
# run Snakemake there; print a summary; stop the daemons this run started (running ones are
# reused and left running). Safe to rerun; a lock keeps two runs apart.
#
# Environment: BORGING_SECRET_FILE (a 0600 key file on the shared filesystem; default: a key made
# for the proof in $BORGING_SLURM_WORKDIR, fine for the bundled example data only; BORGING_SECRET
# itself is refused, the scheduler would store it), BORGING_SLURM_WORKDIR,
# BORGING_SLURM_KEEP_DAEMONS=1 to leave the daemons running.
# Docs: docs/cluster.md.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
WORKDIR="${BORGING_SLURM_WORKDIR:-/tmp/borging-slurm-proof}"
MARKER="$WORKDIR/.borging-slurm-proof"
HOST="$(hostname -s)"
CONF=/etc/slurm/slurm.conf
CONF_TAG="# written by borgingsmonitor tools/slurm_local.sh"
LOCK=/run/lock/borging-slurm-local.lock
STARTED=()

say() { printf '[slurm_local] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (installs packages, starts munged, slurmctld and slurmd)"
[ -x "$VENV/bin/snakemake" ] || die "no $VENV/bin/snakemake: run 'make setup' first"

exec 9>"$LOCK"
flock -n 9 || die "another slurm_local.sh run holds $LOCK"

install_packages() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null; then
        return
    fi
    local tries=0 log=/var/log/borging-slurm-apt.log
    say "installing slurm-wlm and munge (Debian packages; output in $log)"
    # another engineer may hold the dpkg lock: wait for it rather than fail
    until { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge; } >>"$log" 2>&1; do
        tries=$((tries + 1))
        [ "$tries" -lt 20 ] || die "apt-get failed 20 times (see $log)"
        say "apt-get failed (dpkg locked?); retry $tries in 15 s"
        sleep 15
    done
}

check_plugin() {
    "$VENV/bin/python" -c "import snakemake_executor_plugin_slurm" 2>/dev/null \
        || die "snakemake-executor-plugin-slurm is not installed in $VENV"
}

# The local profile may differ from the real one only in what a cluster without accounting needs.
check_profiles() {
    "$VENV/bin/python" - "$REPO/workflow/profiles/slurm/config.yaml" "$REPO/workflow/profiles/slurm-local/config.yaml" <<'EOF'
import sys
import yaml

allowed = {"slurm-status-command", "slurm-no-account", "slurm-init-seconds-before-status-checks"}
real, local = (yaml.safe_load(open(p)) for p in sys.argv[1:3])
differing = {k for k in real.keys() | local.keys() if real.get(k) != local.get(k)}
if not differing <= allowed:
    sys.exit(f"profiles slurm and slurm-local differ in {sorted(differing - allowed)}; allowed: {sorted(allowed)}")
EOF
}

start_munge() {
    if [ ! -s /etc/munge/munge.key ]; then
        say "creating /etc/munge/munge.key"
        install -d -o munge -g munge -m 700 /etc/munge
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
        chown munge:munge /etc/munge/munge.key
        chmod 400 /etc/munge/munge.key
    fi
    install -d -o munge -g munge -m 755 /run/munge
    install -d -o munge -g munge -m 700 /var/lib/munge /var/log/munge
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        say "munged already running"
        return
    fi
    say "starting munged"
    runuser -u munge -- /usr/sbin/munged 9>&-
    STARTED+=("munged:/run/munge/munged.pid")
    for _ in $(seq 1 20); do
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return
        sleep 0.5
    done
    die "munge -n | unmunge does not answer Success"
}

write_conf() {
    local cpus mem_mb tmp
    cpus="$(nproc)"
    mem_mb=$(( $(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo) - 1024 ))
    tmp="$(mktemp)"
    cat >"$tmp" <<EOF
$CONF_TAG
# A one-node cluster without accounting for the workflow's SLURM proof (docs/cluster.md).
ClusterName=borging-local
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# squeue (the status command without accounting) sees finished jobs this long
MinJobAge=300
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$HOST CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=main Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
    install -d -m 755 /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
    if [ -f "$CONF" ] && cmp -s "$tmp" "$CONF"; then
        rm -f "$tmp"
        return
    fi
    if [ -f "$CONF" ] && ! grep -qF "$CONF_TAG" "$CONF"; then
        local backup
        backup="$CONF.before-borging.$(date +%Y%m%d%H%M%S)"
        say "keeping the existing $CONF as $backup"
        cp -p "$CONF" "$backup"
    fi
    say "writing $CONF (node $HOST: $cpus CPUs, $mem_mb MB)"
    install -m 644 "$tmp" "$CONF"
    rm -f "$tmp"
}

daemon_running() {  # $1 = pid file
    [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

start_slurm() {
    if daemon_running /run/slurmctld.pid; then
        say "slurmctld already running"
    else
        say "starting slurmctld"
        slurmctld 9>&-   # the daemons must not inherit the run lock
        STARTED+=("slurmctld:/run/slurmctld.pid")
    fi
    for _ in $(seq 1 30); do
        scontrol ping 2>/dev/null | grep -q "is UP" && break
        sleep 1
    done
    scontrol ping | grep -q "is UP" || die "slurmctld does not answer (see /var/log/slurm/slurmctld.log)"
    if daemon_running /run/slurmd.pid; then
        say "slurmd already running"
    else
        say "starting slurmd"
        slurmd 9>&-
        STARTED+=("slurmd:/run/slurmd.pid")
    fi
}

wait_for_idle() {
    local state=""
    for i in $(seq 1 60); do
        state="$(sinfo -h -n "$HOST" -o %T 2>/dev/null | head -1)"
        case "$state" in
            idle|mixed|allocated) say "node $HOST is $state"; return ;;
            down*|drain*|fail*)
                # left down by an earlier unclean stop: bring it back
                [ "$i" -gt 3 ] && scontrol update NodeName="$HOST" State=RESUME 2>/dev/null || true ;;
        esac
        sleep 1
    done
    die "node $HOST not idle after 60 s (state '$state'; see /var/log/slurm/slurmd.log)"
}

stop_started() {
    [ "${BORGING_SLURM_KEEP_DAEMONS:-0}" = 1 ] && { say "leaving daemons running"; return; }
    local i entry name pidfile pid
    # reverse order: slurmd, slurmctld, munged
    for (( i=${#STARTED[@]}-1; i>=0; i-- )); do
        entry="${STARTED[$i]}"; name="${entry%%:*}"; pidfile="${entry#*:}"
        [ -s "$pidfile" ] || continue
        pid="$(cat "$pidfile")"
        say "stopping $name (pid $pid)"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    done
}

copy_repo() {
    if [ -e "$WORKDIR" ] && [ ! -e "$MARKER" ]; then
        die "$WORKDIR exists and was not made by this script: choose another BORGING_SLURM_WORKDIR"
    fi
    rm -rf "$WORKDIR/repo"
    mkdir -p "$WORKDIR/repo"
    touch "$MARKER"
    # the working tree as it is (with .git, for provenance), without results, caches or the venv
    tar -C "$REPO" -cf - \
        --exclude=./.venv --exclude=./results --exclude=./logs --exclude=./benchmarks \
        --exclude=./.snakemake --exclude=./.pytest_cache --exclude=./.hypothesis \
        --exclude=__pycache__ --exclude='*.egg-info' . \
        | tar -C "$WORKDIR/repo" -xf -
}

run_workflow() {
    local log="$WORKDIR/snakemake.log" ctld_log=/var/log/slurm/slurmctld.log
    local ctld_before start end rc=0
    ctld_before="$(wc -l <"$ctld_log" 2>/dev/null || echo 0)"
    [[ -z "${BORGING_SECRET+set}" ]] || die "unset BORGING_SECRET: on a cluster the secret travels as a 0600 file (BORGING_SECRET_FILE), never in the jobs' environment (docs/cluster.md)"
    if [[ -z "${BORGING_SECRET_FILE:-}" ]]; then
        export BORGING_SECRET_FILE="$WORKDIR/proof-secret.key"
        [[ -s "$BORGING_SECRET_FILE" ]] || ( umask 077; "$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(32))' >"$BORGING_SECRET_FILE" )
    fi
    # jobs import the package from the copy, not from the (changing) source tree
    export PYTHONPATH="$WORKDIR/repo/src${PYTHONPATH:+:$PYTHONPATH}"
    say "running snakemake in $WORKDIR/repo (log: $log)"
    start="$(date +%s)"
    ( cd "$WORKDIR/repo" && "$VENV/bin/snakemake" --profile workflow/profiles/slurm-local "$@" ) \
        >"$log" 2>&1 || rc=$?
    end="$(date +%s)"
    tail -n 25 "$log" >&2

    local submitted slurm_ids per_rule accepted completed
    submitted="$(grep -c "has been submitted with SLURM jobid" "$log" || true)"
    slurm_ids="$(grep -o "submitted with SLURM jobid [0-9]*" "$log" | awk '{print $NF}' | paste -sd, - || true)"
    per_rule="$(grep -o "slurm_logs/rule_[A-Za-z0-9_]*" "$log" | sed 's|slurm_logs/rule_||' | sort | uniq -c \
        | awk '{printf "%s%s %s", sep, $2, $1; sep=", "}' || true)"
    accepted="$(tail -n +"$((ctld_before + 1))" "$ctld_log" | grep -c "_slurm_rpc_submit_batch_job: JobId=" || true)"
    completed="$(tail -n +"$((ctld_before + 1))" "$ctld_log" | grep -cE "_job_complete: JobId=[0-9]+ done" || true)"
    cat <<EOF

===== SLURM proof summary =====
host / partition:          $HOST / main ($(nproc) CPUs)
snakemake:                 $("$VENV/bin/snakemake" --version), plugin $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("snakemake-executor-plugin-slurm"))')
profile:                   workflow/profiles/slurm-local
arguments:                 ${*:-(default target)}
jobs submitted via sbatch: $submitted (SLURM job ids: ${slurm_ids:-none})
  per rule:                $per_rule
slurmctld accepted / done: $accepted / $completed
steps:                     $(grep -E "^[0-9]+ of [0-9]+ steps" "$log" | tail -1 || true)
wall time:                 $((end - start)) s
snakemake exit code:       $rc
results:                   $(find "$WORKDIR/repo/results" -type f 2>/dev/null | wc -l) files in $WORKDIR/repo/results
EOF
    return "$rc"
}

install_packages
check_plugin
check_profiles
trap stop_started EXIT
start_munge
write_conf
start_slurm
wait_for_idle
sinfo >&2
copy_repo
run_workflow "$@"
