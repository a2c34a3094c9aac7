#!/bin/bash
# Runs inside the booted container as a oneshot unit: exercises the installed kioskd service the
# way systemd runs it and writes one PASS/FAIL line per finding to /probe/report, then powers off.
exec >/probe/report 2>&1
set -u
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
active() { [ "$(systemctl is-active kioskd)" = active ]; }
show() { systemctl show -p "$1" --value kioskd; }
finish() { sync; systemctl poweroff --no-block; exit 0; }

url=$(cat /probe/server-url)
code=$(cat /probe/code)

# The stand-in camera: a FIFO whose writer is open and silent (the door idles, the watchdog is
# still fed from the decode loop while it waits).
mkfifo -m 0644 /srv/camera.fifo
(exec 3<>/srv/camera.fifo; exec sleep infinity) &

verify=$(systemd-analyze verify /usr/lib/systemd/system/kioskd.service 2>&1)
if [ -z "$verify" ]; then pass "systemd-analyze verify kioskd.service is clean"; else fail "systemd-analyze verify kioskd.service: $verify"; fi
check "kioskd config check accepts the installed configuration" kioskd config check /etc/kioskd/kioskd.toml
check "the package made the kioskd system user" getent passwd kioskd

# The admin enrols as root; the service (User=kioskd) must still own its state.
if kioskd enroll --server "$url" --code "$code" --name container >/probe/enroll.out 2>&1; then pass "kioskd enroll as root"; else fail "kioskd enroll as root: $(cat /probe/enroll.out)"; finish; fi
check "files root wrote in /var/lib/kioskd belong to kioskd" bash -c '[ -z "$(find /var/lib/kioskd -not -user kioskd)" ]'

# Type=notify: 'systemctl start' returns once READY=1 came.
if systemctl start kioskd && first=$(show StatusText); then pass "systemctl start kioskd"; else fail "systemctl start kioskd: $(systemctl status kioskd --no-pager 2>&1 | tail -20)"; finish; fi
check "active (running) after start" active
# READY=1 and STATUS= travel in one datagram: a status text the moment 'start' returned means
# systemd called the service active on its READY=1, not before.
first_status=$first
check "active only after READY=1 (its STATUS= is there the moment start returned)" [ -n "$first_status" ]
status=$(show StatusText)
echo "INFO StatusText: $status"
check "STATUS= shows the ticket count" bash -c "[[ '$status' == *\" 1 ticket\"* ]]"

# Many watchdog periods (the test drop-in sets WatchdogSec=2): the same process all along.
pid=$(show MainPID)
sleep 9
check "up across 4 watchdog periods without a restart" bash -c "[ \"\$(systemctl show -p MainPID --value kioskd)\" = $pid ] && [ \"\$(systemctl show -p NRestarts --value kioskd)\" = 0 ]"

# systemctl reload: SIGHUP re-reads the file; the process stays.
sed -i 's/^sync_interval_s = 2/sync_interval_s = 3/' /etc/kioskd/kioskd.toml
systemctl reload kioskd
reloaded=no
for _ in $(seq 40); do
  if journalctl -u kioskd -o cat --no-pager | grep -q "configuration reloaded.*sync interval 2 → 3 s"; then reloaded=yes; break; fi
  sleep 0.25
done
check "systemctl reload applies the new sync interval in the same process" bash -c "[ $reloaded = yes ] && [ \"\$(systemctl show -p MainPID --value kioskd)\" = $pid ]"

# A process that stops pinging (SIGSTOP: frozen like a stuck decoder) is restarted by systemd.
kill -STOP "$pid"
restarted=no
for _ in $(seq 60); do
  sleep 0.5
  if [ "$(show NRestarts)" -ge 1 ] && [ "$(show MainPID)" != "$pid" ] && active; then restarted=yes; break; fi
done
check "a frozen kioskd is restarted by the watchdog" [ $restarted = yes ]
check "the watchdog's restart is in the journal" bash -c 'journalctl -u kioskd --no-pager | grep -q "Watchdog timeout"'

start=$(date +%s%N)
systemctl stop kioskd
took=$(( ($(date +%s%N) - start) / 1000000 ))
echo "INFO systemctl stop took $took ms"
check "systemctl stop finishes within 2 s" [ $took -le 2000 ]
check "stopped cleanly (no failure recorded)" bash -c '[ "$(systemctl show -p Result --value kioskd)" = success ]'

# Journal priorities: the <N> prefixes became priorities, and none is left in the text.
check "'kioskd ready' logged at notice (5)" bash -c 'journalctl -u kioskd -p 5..5 -o cat --no-pager | grep -q "kioskd ready"'
check "the metrics line logged at info (6), not above" bash -c 'journalctl -u kioskd -p 6..6 -o cat --no-pager | grep -q "metrics and status on" && ! journalctl -u kioskd -p 0..5 -o cat --no-pager | grep -q "metrics and status on"'
check "no raw <N> prefix left in the journal's text" bash -c '! journalctl -u kioskd -o cat --no-pager | grep -q "^<[0-7]>"'
journalctl -u kioskd -o short-monotonic --no-pager >/probe/journal.txt 2>&1
echo "DONE"
finish
