#!/usr/bin/env bash
# Provisions what the test suite needs from Debian's packages: nats-server
# (integration tests), chromium (browser tests), prometheus-alertmanager
# (the Alertmanager test) and prometheus (promtool checks /metrics and the
# alert rules in deploy/), plus any command named as an argument
# (`provision-test.sh stress-ng` for the loaded run). Installs them when
# missing and we are root; otherwise stops with one line saying how.
set -euo pipefail

missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
for tool in "$@"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "provision: installing ${missing[*]} from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "provision: tests need ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}' and retry" >&2
exit 1
