#!/usr/bin/env bash
# A throwaway one-node Ceph (1 mon + 1 memstore OSD, no mgr, auth none) with radosgw, for tests.
# Adapted from the shared recipe (Ceph 16 from Debian: radosgw ceph-mon ceph-osd).
#
#   ceph-rgw.sh start DIR   env: RGW_PORT MON_PORT S3_ACCESS_KEY S3_SECRET_KEY [OWNER_PID]
#                           prints "S3_ENDPOINT=http://127.0.0.1:PORT" when radosgw answers
#   ceph-rgw.sh stop DIR    kills exactly the daemons started in DIR (pid files), waits for them
#
# With OWNER_PID, a watchdog stops the daemons when that process goes away (a killed test run).
set -euo pipefail
cmd=${1:?start|stop}; D=${2:?dir}

# The cluster is throwaway (memstore, temp dir): SIGKILL right away. A clean SIGTERM shutdown
# costs ~2 s per daemon, and an OSD whose monitor is already gone waits 5 s more.
stop() {
  local pids=()
  for n in watchdog client.rgw.a osd.0 mon.a; do
    local f=$D/run/$n.pid
    if [ -f "$f" ]; then
      local pid; pid=$(cat "$f")
      if [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; then pids+=("$pid"); fi
    fi
  done
  for _ in $(seq 1 100); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && return 0
    sleep 0.05
  done
  echo "ceph-rgw.sh: some daemons in $D did not exit: ${pids[*]}" >&2
  return 1
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

PORT=${RGW_PORT:?}; MONPORT=${MON_PORT:?}; KEY=${S3_ACCESS_KEY:?}; SECRET=${S3_SECRET_KEY:?}
mkdir -p "$D"/{mon,osd0,run,log,rgw}
FSID=$(cat /proc/sys/kernel/random/uuid)
C=$D/ceph.conf
cat > "$C" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MONPORT
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
ms bind ipv6 = false
ms bind msgr1 = false
# auth none => daemons must be allowed plain "crc" mode, else radosgw loops on "get_initial_auth_request returned -13"
ms mon client mode = crc secure
ms client mode = crc secure
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon max pg per osd = 1000
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = 1073741824
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$name.pid
keyring = $D/keyring
[mon.a]
mon data = $D/mon
[osd.0]
osd data = $D/osd0
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $D/rgw
CONF

if [ -n "${OWNER_PID:-}" ]; then
  # Detached from the caller's process group so it outlives a killed test run, then cleans up.
  # Throwaway data: SIGKILL is fine, then the folder goes too.
  setsid bash -c 'while kill -0 "$1" 2>/dev/null && [ -d "$2/run" ]; do sleep 2; done
    [ -d "$2/run" ] || exit 0
    for n in client.rgw.a osd.0 mon.a; do f=$2/run/$n.pid; [ -f $f ] && kill -9 $(cat $f) 2>/dev/null; done
    sleep 1; rm -rf "$2"' watchdog "$OWNER_PID" "$D" </dev/null >/dev/null 2>&1 &
  echo $! > "$D/run/watchdog.pid"
fi

trap 'stop' ERR
ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --addv a "[v2:127.0.0.1:$MONPORT]" --fsid "$FSID" "$D/monmap" >/dev/null
ceph-mon -c "$C" -i a --mkfs --monmap "$D/monmap"
ceph-mon -c "$C" -i a
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
OSD_ID=$(timeout 60 ceph -c "$C" osd new "$OSD_UUID")
ceph-osd -c "$C" -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" >/dev/null 2>&1
ceph-osd -c "$C" -i "$OSD_ID" 2>/dev/null
radosgw -c "$C" -n client.rgw.a
timeout 60 radosgw-admin -c "$C" user create --uid=test --display-name=test \
  --access-key="$KEY" --secret-key="$SECRET" >/dev/null
for _ in $(seq 1 600); do
  if curl -fs -o /dev/null "http://127.0.0.1:$PORT/"; then
    echo "S3_ENDPOINT=http://127.0.0.1:$PORT"
    exit 0
  fi
  sleep 0.1
done
echo "radosgw did not answer on 127.0.0.1:$PORT within 60 s (logs: $D/log)" >&2
stop
exit 1
