#!/usr/bin/env bash
# Query plans and timings of the pages private incidents touch (decision 037), on a database
# filled by `npx tsx bench/generate-incidents.ts --count 100000 --sql`:
#
#   DATABASE_URL=postgres://… bash bench/private-incidents-plans.sh
#
# It makes every 100th incident private, gives one public incident a long timeline (LONG events,
# 3000 unless set), then runs each query RUNS times (7) as the application role under the
# organization's scope and prints the median "Execution Time" of EXPLAIN ANALYZE for:
#   - an engineer with no part in the private incidents (the per-row checks run),
#   - system work (app.all_incidents: the checks short-circuit),
#   - the policies before migration 0020 (organization only), swapped in inside a transaction
#     that is rolled back.
# Needs the database owner's (or a superuser's) URL: it writes the fixture rows as the owner.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL}"
RUNS=${RUNS:-7}
LONG=${LONG:-3000}
psql_q() { psql "$DATABASE_URL" -Atq -v ON_ERROR_STOP=1 "$@"; }

ORG=$(psql_q -c "select id from organization order by created_at desc limit 1")
ENGINEER=$(psql_q -c "select user_id from membership where organization_id = '$ORG' and role = 'engineer' limit 1")
psql_q -c "select set_config('app.organization_id', '$ORG', false)" \
  -c "update incident set private = (number % 100 = 0) where organization_id = '$ORG'" >/dev/null
LONG_ID=$(psql_q -c "select set_config('app.organization_id', '$ORG', false)" \
  -c "select id from incident where organization_id = '$ORG' and number = 1")
LONG_ID=$(echo "$LONG_ID" | tail -1)
HAVE=$(psql_q -c "select set_config('app.organization_id', '$ORG', false)" \
  -c "select last_event_seq from incident where id = '$LONG_ID'" | tail -1)
if [ "$HAVE" -lt "$LONG" ]; then
  psql_q <<SQL >/dev/null
select set_config('app.organization_id', '$ORG', false);
insert into incident_event (organization_id, incident_id, seq, type, actor_id, occurred_at, payload, prev_hash, hash)
select '$ORG', '$LONG_ID', s, 'comment.added', null, now() - make_interval(secs => $LONG - s),
       jsonb_build_object('body', 'Bench comment ' || s), repeat('0', 64), repeat('0', 64)
  from generate_series($HAVE + 1, $LONG) s;
insert into incident_timeline_entry (organization_id, incident_id, seq, run_key, run_start, html, html_of)
select '$ORG', '$LONG_ID', s, null, s, '<p>Bench comment ' || s || '</p>', 'comment'
  from generate_series($HAVE + 1, $LONG) s;
update incident set last_event_seq = $LONG, version = $LONG where id = '$LONG_ID';
SQL
fi
psql_q -c "analyze incident; analyze incident_event; analyze incident_timeline_entry; analyze incident_viewer" >/dev/null

TIMELINE="with runs as materialized (
   select run_start, max(seq) as last_seq, greatest(run_start, max(seq) - 5) as preview_from, count(*)::int as size
     from incident_timeline_entry where organization_id = '$ORG' and incident_id = '$LONG_ID' and run_start < 2147483647
    group by run_start order by run_start desc limit 100)
 select r.run_start, e.id, e.seq, e.type, e.payload, t.html
   from runs r
   join incident_event e on e.organization_id = '$ORG' and e.incident_id = '$LONG_ID'
    and e.seq >= r.preview_from and e.seq <= r.last_seq
   join incident_timeline_entry t on t.incident_id = e.incident_id and t.seq = e.seq
  order by e.seq"
ALL_EVENTS="select e.seq, e.payload from incident_event e where e.organization_id = '$ORG' and e.incident_id = '$LONG_ID' order by e.seq"
LIST="select i.id, i.number, i.title, i.severity, i.status, i.private, i.declared_at
   from incident i where i.organization_id = '$ORG' and i.status in ('detected', 'investigating', 'mitigated')
  order by i.severity asc, i.declared_at desc, i.id asc limit 26"
LIST_ALL="select i.id, i.number, i.title from incident i where i.organization_id = '$ORG'
  order by i.severity asc, i.declared_at desc, i.id asc limit 26"
COUNT="select count(*) from incident i where i.organization_id = '$ORG'"
DETAIL="select * from incident i where i.organization_id = '$ORG' and i.number = 1"

OLD_POLICIES="
drop policy incident_tenant on incident;
create policy incident_tenant on incident using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org());
drop policy incident_event_tenant on incident_event;
create policy incident_event_tenant on incident_event using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org());
drop policy incident_timeline_entry_tenant on incident_timeline_entry;
create policy incident_timeline_entry_tenant on incident_timeline_entry using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org());"

# Median execution time (ms) of RUNS runs of one query under one setting.
measure() {
  local mode=$1 query=$2 setup='' scope
  case $mode in
    engineer) scope="set_config('app.acting_user_id', '$ENGINEER', true)" ;;
    system) scope="set_config('app.all_incidents', 'on', true)" ;;
    before) scope="set_config('app.acting_user_id', '$ENGINEER', true)"; setup=$OLD_POLICIES ;;
  esac
  for _ in $(seq "$RUNS"); do
    psql_q <<SQL | grep -o 'Execution Time: [0-9.]*' | grep -o '[0-9.]*$'
begin;
$setup
select set_config('role', 'incidentflow_app', true), set_config('app.organization_id', '$ORG', true), $scope;
explain (analyze, buffers) $query;
rollback;
SQL
  done | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

printf '%-34s %10s %10s %10s\n' 'query (median ms)' 'before' 'system' 'engineer'
for name in DETAIL TIMELINE ALL_EVENTS LIST LIST_ALL COUNT; do
  q=${!name}
  printf '%-34s %10s %10s %10s\n' "$name" "$(measure before "$q")" "$(measure system "$q")" "$(measure engineer "$q")"
done
echo
echo "Plan of the timeline page as the engineer:"
psql_q <<SQL
begin;
select set_config('role', 'incidentflow_app', true), set_config('app.organization_id', '$ORG', true), set_config('app.acting_user_id', '$ENGINEER', true) \g /dev/null
explain (analyze, costs off, timing off, summary off) $TIMELINE;
rollback;
SQL
