#!/usr/bin/env bash
# Makes the services the integration tests start available: Ceph's RADOS Gateway (a real S3
# server, from Debian's packages) for tests/integration/object-store-s3.test.ts. Without it the
# S3 tests are skipped locally and fail in CI.
set -euo pipefail
PACKAGES=(radosgw ceph-mon ceph-osd)
if command -v radosgw >/dev/null 2>&1 && command -v ceph-mon >/dev/null 2>&1 &&
  command -v ceph-osd >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Notice: no apt-get here; install Ceph (${PACKAGES[*]}) yourself to run the S3 tests." >&2
  exit 0
fi
SUDO=()
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "Notice: not root; run 'apt-get install --no-install-recommends ${PACKAGES[*]}' as root to run the S3 tests." >&2
    exit 0
  fi
fi
echo "Installing Ceph RADOS Gateway for the S3 tests (${PACKAGES[*]})…"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${PACKAGES[@]}" >/dev/null 2>&1 || {
  echo "apt-get install ${PACKAGES[*]} failed; rerun it by hand to see why." >&2
  exit 1
}
