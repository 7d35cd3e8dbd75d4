#!/usr/bin/env bash
# Makes the tools the tests use available, from Debian's packages:
# - Ceph's RADOS Gateway (a real S3 server) for tests/integration/object-store-s3.test.ts;
# - poppler-utils (pdftotext), which reads the text of generated PDF reports back in the report
#   tests;
# - nginx, the reverse proxy the fault drills (tests/drills) put in front of two web processes;
# - postgresql-15 (server and client tools in /usr/lib/postgresql/15) for the backup and restore
#   test (pg_dump/pg_restore) and integration runs with TEST_POSTGRES=15; the tests start their
#   own throwaway clusters, and the package's own "main" cluster is not used.
# Without them the S3, PDF and PostgreSQL 15 tests are skipped locally and fail in CI; the drills
# fail.
set -euo pipefail
MISSING=()
if ! command -v radosgw >/dev/null 2>&1 || ! command -v ceph-mon >/dev/null 2>&1 ||
  ! command -v ceph-osd >/dev/null 2>&1; then
  MISSING+=(radosgw ceph-mon ceph-osd)
fi
if ! command -v pdftotext >/dev/null 2>&1; then
  MISSING+=(poppler-utils)
fi
if [ ! -x /usr/lib/postgresql/15/bin/postgres ] || [ ! -x /usr/lib/postgresql/15/bin/pg_dump ]; then
  MISSING+=(postgresql-15)
fi
if [ ! -x /usr/sbin/nginx ] && ! command -v nginx >/dev/null 2>&1; then
  MISSING+=(nginx)
fi
if [ "${#MISSING[@]}" -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Notice: no apt-get here; install ${MISSING[*]} yourself to run the S3, PDF report and PostgreSQL 15 tests." >&2
  exit 0
fi
SUDO=()
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "Notice: not root; run 'apt-get install --no-install-recommends ${MISSING[*]}' as root to run the S3, PDF report and PostgreSQL 15 tests." >&2
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
