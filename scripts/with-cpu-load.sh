#!/usr/bin/env bash
# Runs a command with a CPU hog beside it, as on a busy shared CI machine:
# `npm run test:loaded` is `with-cpu-load.sh npm test`. The hog (Debian's
# stress-ng keeping two workers 50% busy, in its own process group) is
# stopped however the command ends: success, failure, Ctrl-C or SIGTERM.
# Should this script itself be killed outright, the hog stops after an hour.
set -uo pipefail

bash "$(dirname "$0")/provision-test.sh" stress-ng || exit 1

setsid stress-ng --cpu 2 --cpu-load 50 --timeout 3600s >/dev/null 2>&1 &
hog=$!
stop_hog() {
  kill -TERM -- "-$hog" 2>/dev/null
  wait "$hog" 2>/dev/null
  echo "with-cpu-load: stress-ng stopped (process group $hog)" >&2
}
trap stop_hog EXIT
echo "with-cpu-load: stress-ng --cpu 2 --cpu-load 50 running beside \`$*\` (process group $hog)" >&2

"$@" &
command=$!
# A background command does not get the terminal's Ctrl-C: pass signals on.
trap 'kill -TERM "$command" 2>/dev/null' INT TERM
status=0
wait "$command" || status=$?
# A signal ends the first wait early: wait for the command itself to stop.
while kill -0 "$command" 2>/dev/null; do
  status=0
  wait "$command" || status=$?
done
exit "$status"
