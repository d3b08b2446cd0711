#!/usr/bin/env bash
# Install the Debian packages the tests use when they are missing: sshd (openssh-server) for a
# real SFTP server, chromium for screenshots, and redis-server when no Redis answers on
# 127.0.0.1:6379 (the CeleryExecutor test's broker). Needs root; without it, say what to install.
set -euo pipefail
need=()
command -v /usr/sbin/sshd >/dev/null 2>&1 || need+=(openssh-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# the CeleryExecutor test's broker: the local Redis when one answers, else Debian's redis-server
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${need[*]} — ask an administrator to run: apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
