# Every target calls npm scripts; `make dev` and `make test` also install what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NPM ?= npm

.PHONY: help install browser services dev test build start worker db-migrate db-seed lint typecheck \
        test-unit test-integration test-integration-pg15 test-drills test-e2e bench up down clean

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

# Reinstall only when the lock file changed since the last install.
node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json ## Install npm dependencies if missing or outdated

browser: install ## Install Chromium for end-to-end tests if missing
	$(NPM) run --silent setup:browser

services: install ## Install test tools if missing and root: Ceph RADOS Gateway (S3), pdftotext
	$(NPM) run --silent setup:services

# The one target that runs its script without npm: on SIGTERM (e.g. from `timeout`) npm's
# `sh -c` dies at once and make returns while PostgreSQL is still stopping. Run directly, the
# script is make's own child, and make waits for it to finish stopping everything.
dev: install ## Embedded PostgreSQL, migrations, demo data, web + worker with live reload
	node --import tsx db/cli/dev.ts

test: install browser services ## Typecheck, lint, unit, integration and end-to-end tests
	$(NPM) test

build: install ## Production build (client assets, server and worker bundles)
	$(NPM) run build

start: ## Production web server (after make build)
	$(NPM) start

worker: ## Production worker (after make build)
	$(NPM) run start:worker

db-migrate: install ## Apply pending migrations
	$(NPM) run db:migrate

db-seed: install ## Seed the demo organization into an empty database
	$(NPM) run db:seed

lint: install ## ESLint and Prettier
	$(NPM) run lint

typecheck: install ## TypeScript, strict
	$(NPM) run typecheck

test-unit: install ## Unit tests
	$(NPM) run test:unit

test-integration: install services ## Integration tests against a real PostgreSQL
	$(NPM) run test:integration

test-integration-pg15: install services ## Integration tests on Debian's PostgreSQL 15 (CI runs part of them)
	$(NPM) run test:integration:pg15

test-drills: install services ## Fault drills: production web and worker processes behind nginx
	$(NPM) run build
	$(NPM) run test:drills

test-e2e: install browser ## End-to-end tests in Chromium, JavaScript on and off
	$(NPM) run build
	$(NPM) run test:e2e

bench: install ## Benchmarks (never part of make test)
	$(NPM) run bench

up: ## Production stack in Docker: PostgreSQL, MinIO, web, worker
	$(NPM) run compose:up

down: ## Stop the Docker stack
	$(NPM) run compose:down

clean: ## Remove build output and test artifacts (keeps .data)
	$(NPM) run clean
