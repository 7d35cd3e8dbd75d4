#!/usr/bin/env bash
# The integration tests' second server, in CI only (CI=true, as GitHub Actions sets it):
# `npm run test:integration` has run them on the embedded PostgreSQL 18; this runs the
# database-facing files on Debian's PostgreSQL 15, the version the Docker Compose stack uses
# (docs/decisions/030). Elsewhere it does nothing; run `npm run test:integration:pg15` for the
# whole suite on 15.
set -euo pipefail
if [ "${CI:-}" != "true" ]; then
  exit 0
fi
# Migrations and roles, row-level security and the catalog check, tenant isolation, the SLA
# sweep, the job queues and delivery locking, the audit chain and its replay.
exec npm run --silent test:integration:pg15 -- \
  tests/integration/migrations.test.ts \
  tests/integration/database-owner.test.ts \
  tests/integration/rls.test.ts \
  tests/integration/permissions.test.ts \
  tests/integration/sla-sweep.test.ts \
  tests/integration/transactional-enqueue.test.ts \
  tests/integration/job-queues.test.ts \
  tests/integration/email-delivery.test.ts \
  tests/integration/incident-audit.test.ts \
  tests/integration/replay.property.test.ts
