#!/bin/sh
# One Docker engine of the test swarm, in a container the test made (Docker-in-Docker).
#
# Not --privileged: this host's bounding set lacks CAP_SYS_RESOURCE, and runc refuses a
# privileged container it cannot give every capability. The test adds the others, runs the
# node in a private cgroup namespace (cgroup v1 here) and the node mounts its own cgroup
# hierarchies writable, so the inner engine's limits nest under the node's own cgroup.
set -eu
for dir in /sys/fs/cgroup/*/; do
  name=$(basename "$dir")
  [ -L "/sys/fs/cgroup/$name" ] && continue
  options=$(awk -v m="/sys/fs/cgroup/$name" '$2 == m {print $4}' /proc/mounts | tr , '\n' \
            | grep -vE '^(ro|rw|nosuid|nodev|noexec|relatime)$' | paste -sd, -)
  umount "/sys/fs/cgroup/$name"
  mount -t cgroup -o "rw,nosuid,nodev,noexec,$options" cgroup "/sys/fs/cgroup/$name"
done
# --tls=false: unauthenticated TCP is the test network's alone; without the flag the engine
# waits 15 s to warn about it.
exec dockerd --host unix:///var/run/docker.sock --host tcp://0.0.0.0:2375 --tls=false "$@"
