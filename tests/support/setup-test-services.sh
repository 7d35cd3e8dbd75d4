#!/usr/bin/env bash
# Makes the tools the tests use available, from Debian's packages:
# - Ceph's RADOS Gateway (a real S3 server) for tests/integration/object-store-s3.test.ts;
# - poppler-utils (pdftotext), which reads the text of generated PDF reports back in the report
#   tests;
# - nginx, the reverse proxy the fault drills (tests/drills) put in front of two web processes.
# Without them the S3 and PDF tests are skipped locally and fail in CI; the drills fail.
set -euo pipefail
MISSING=()
if ! command -v radosgw >/dev/null 2>&1 || ! command -v ceph-mon >/dev/null 2>&1 ||
  ! command -v ceph-osd >/dev/null 2>&1; then
  MISSING+=(radosgw ceph-mon ceph-osd)
fi
if ! command -v pdftotext >/dev/null 2>&1; then
  MISSING+=(poppler-utils)
fi
if [ ! -x /usr/sbin/nginx ] && ! command -v nginx >/dev/null 2>&1; then
  MISSING+=(nginx)
fi
if [ "${#MISSING[@]}" -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Notice: no apt-get here; install ${MISSING[*]} yourself to run the S3 and PDF report tests." >&2
  exit 0
fi
SUDO=()
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "Notice: not root; run 'apt-get install --no-install-recommends ${MISSING[*]}' as root to run the S3 and PDF report tests." >&2
    exit 0
  fi
fi
echo "Installing test tools (${MISSING[*]})…"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${MISSING[@]}" >/dev/null 2>&1 || {
  echo "apt-get install ${MISSING[*]} failed; rerun it by hand to see why." >&2
  exit 1
}
