# A private single-node Slurm cluster for the tests (sourced by bash scripts): munged,
# slurmctld and slurmd with their own key, socket, ports, state, logs and slurm.conf in one
# temporary folder. Each daemon runs in the foreground as a background job of the calling
# shell, so its pid is ours and cluster_stop ends exactly what cluster_start started.
#
#   cluster_missing        prints the Slurm and munge programs that are not installed
#   cluster_start DIR      starts the cluster in DIR and exports SLURM_CONF; returns 1 with
#                          the daemons' logs on stderr when it does not come up
#   cluster_stop           stops it (safe to call twice)

cluster_pids=""

cluster_missing() {
  local p missing=""
  for p in munged munge slurmctld slurmd sbatch squeue sacct scancel sinfo; do
    PATH="$PATH:/usr/sbin:/sbin" command -v "$p" >/dev/null 2>&1 || missing="$missing $p"
  done
  echo "$missing"
}

# A TCP port nothing listens on.
cluster_port() {
  local p
  while :; do
    p=$((30000 + RANDOM % 25000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

cluster_start() {
  local dir=$1 host user cpus
  export PATH="$PATH:/usr/sbin:/sbin"
  host=$(hostname -s)
  user=$(id -un)
  cpus=$(nproc)
  mkdir -p "$dir/state" "$dir/spool"
  # munge: a key of our own and a socket in DIR
  dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 2>/dev/null
  chmod 400 "$dir/munge.key"
  munged -F --force --socket="$dir/munge.sock" --key-file="$dir/munge.key" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge.seed" \
    2>>"$dir/munged.log" &
  cluster_pids="$cluster_pids $!"
  cat >"$dir/slurm.conf" <<EOF
ClusterName=tracebot-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(cluster_port)
SlurmdPort=$(cluster_port)
AuthType=auth/munge
AuthInfo=socket=$dir/munge.sock
CredType=cred/munge
SlurmUser=$user
SlurmdUser=$user
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"
  # the socket first, then the controller, then the node
  local i
  for i in $(seq 50); do [ -S "$dir/munge.sock" ] && break; sleep 0.1; done
  slurmctld -D -i 2>>"$dir/slurmctld.log" &
  cluster_pids="$cluster_pids $!"
  slurmd -D 2>>"$dir/slurmd.log" &
  cluster_pids="$cluster_pids $!"
  for i in $(seq 100); do
    if sinfo -h -o %T 2>/dev/null | grep -q idle; then
      return 0
    fi
    sleep 0.2
  done
  echo "the private Slurm cluster in $dir did not come up:" >&2
  tail -n 5 "$dir/munged.log" "$dir/slurmctld.log" "$dir/slurmd.log" >&2
  return 1
}

cluster_stop() {
  local p
  for p in $cluster_pids; do kill "$p" 2>/dev/null; done
  for p in $cluster_pids; do wait "$p" 2>/dev/null; done
  cluster_pids=""
}
