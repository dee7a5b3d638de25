#!/bin/sh
# Usage: sh cgroup_join.sh CGROUP_PROCS COMMAND [ARG]...
# Moves this process into the cgroup whose `cgroup.procs` file is CGROUP_PROCS (writing 0
# names the writing process), then becomes COMMAND. Charter starts jailed commands through
# this instead of a Python preexec hook: a hook forces a full fork() of the (large, threaded)
# build process, which costs tens of milliseconds per command; this keeps the cheap vfork.
# The command never runs outside the cgroup: if joining fails, it does not run at all.
procs="$1"
shift
echo 0 >"$procs" || { echo "[charter: could not join the pids cgroup $procs]" >&2; exit 125; }
exec "$@"
