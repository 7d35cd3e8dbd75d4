import type { ReactNode } from 'react'
import type {
  PublicComponent,
  PublicIncidentView,
  PublicMaintenanceView,
  StatusPageData,
} from '~/domain/status/status-page.server'
import type { StatusUrls } from '~/domain/status/status-feeds'
import { COMPONENT_STATE_LABELS, type ComponentState } from '~/domain/status/status-vocabulary'

/**
 * The public status page: a whole HTML document of its own, rendered on the server to static
 * markup — no app shell, no script, a few lines of CSS — so it works without JavaScript, costs
 * little to cache and says nothing the data does not.
 */

const CSS = `
:root{color-scheme:light;--ok:#15803d;--deg:#ca8a04;--part:#ea580c;--major:#dc2626;--maint:#2563eb;--none:#cbd5e1;--muted:#475569}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#0f172a;background:#f8fafc}
main{max-width:52rem;margin:0 auto;padding:1.5rem 1rem 3rem}h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:2rem 0 .75rem}
h3{font-size:1rem;margin:0}.muted{color:var(--muted)}.card{background:#fff;border:1px solid #e2e8f0;border-radius:.5rem;padding:1rem;margin:.75rem 0}
.overall{font-weight:600;font-size:1.15rem;padding:1rem;border-radius:.5rem;color:#fff;margin:1rem 0}
.s-operational{background:var(--ok)}.s-degraded_performance{background:var(--deg)}.s-partial_outage{background:var(--part)}.s-major_outage{background:var(--major)}.s-under_maintenance{background:var(--maint)}.s-none{background:var(--none)}
.t-operational{color:var(--ok)}.t-degraded_performance{color:#a16207}.t-partial_outage{color:#c2410c}.t-major_outage{color:var(--major)}.t-under_maintenance{color:var(--maint)}
.row{display:flex;justify-content:space-between;gap:1rem;flex-wrap:wrap}.bars{display:flex;gap:1px;margin:.5rem 0 .25rem;height:2rem}
.bars i{flex:1;border-radius:1px;min-width:2px;background:var(--ok)}.bars i.n{background:var(--none)}.bars i.d{background:var(--deg)}.bars i.p{background:var(--part)}.bars i.m{background:var(--major)}ol.updates{list-style:none;padding:0;margin:.5rem 0 0}ol.updates li{border-top:1px solid #e2e8f0;padding:.5rem 0}
.pre{white-space:pre-wrap}form{display:flex;gap:.5rem;flex-wrap:wrap;align-items:end}label{display:block;font-weight:600}
input[type=email]{font:inherit;padding:.4rem .6rem;border:1px solid #94a3b8;border-radius:.375rem;min-width:16rem}
button{font:inherit;padding:.45rem .9rem;border-radius:.375rem;border:1px solid #1e293b;background:#1e293b;color:#fff;cursor:pointer}
a{color:#1d4ed8}footer{margin-top:2.5rem;font-size:.875rem}
`

/** A day's bar colour by its worst state (operational: the bare bar). */
const BAR_CLASSES: Record<ComponentState, string> = {
  operational: '',
  degraded_performance: 'd',
  partial_outage: 'p',
  major_outage: 'm',
}

const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`

function Document({ title, children }: { title: string; children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title}</title>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <style>{CSS}</style>
      </head>
      <body>
        <main>{children}</main>
      </body>
    </html>
  )
}

function ComponentRow({ component }: { component: PublicComponent }) {
  return (
    <div className="card" id={`component-${component.id}`}>
      <div className="row">
        <h3>{component.name}</h3>
        <span className={`t-${component.state}`}>{component.stateLabel}</span>
      </div>
      {component.description ? <p className="muted">{component.description}</p> : null}
      {/* Ninety bars a component: a whole day up is a bare <i>, so the page stays small; a day
          with trouble says its date, uptime and worst state on hover. */}
      <div className="bars" aria-hidden="true">
        {component.days.map((day) =>
          day.uptime === null ? (
            <i key={day.date} className="n" />
          ) : day.uptime === 100 && day.worst === 'operational' ? (
            <i key={day.date} />
          ) : (
            <i
              key={day.date}
              className={BAR_CLASSES[day.worst ?? 'operational']}
              title={`${day.date}: ${day.uptime}% uptime, ${COMPONENT_STATE_LABELS[day.worst ?? 'operational'].toLowerCase()}`}
            />
          ),
        )}
      </div>
      <div className="row muted">
        <span>90 days ago</span>
        <span>{component.uptime === null ? 'No data yet' : `${component.uptime}% uptime`}</span>
        <span>Today</span>
      </div>
    </div>
  )
}

/**
 * An incident and its updates, newest first. A past one shows its last update only (its whole
 * story is in the feed and the JSON), which keeps the page small.
 */
function IncidentCard({
  incident,
  past = false,
}: {
  incident: PublicIncidentView
  past?: boolean
}) {
  return (
    <article className="card" id={`incident-${incident.id}`}>
      <div className="row">
        <h3>{incident.title}</h3>
        <span>
          {past ? (
            <>
              <time dateTime={incident.startedAt}>{utc(incident.startedAt)}</time> to{' '}
              <time dateTime={incident.updatedAt}>{utc(incident.updatedAt)}</time>
            </>
          ) : (
            incident.statusLabel
          )}
        </span>
      </div>
      <ol className="updates">
        {(past ? incident.updates.slice(0, 1) : incident.updates).map((u) => (
          <li key={u.id}>
            <strong>{u.statusLabel}</strong> — <span className="pre">{u.body}</span>
            <div className="muted">
              <time dateTime={u.postedAt}>{utc(u.postedAt)}</time>
              {u.components.length > 0
                ? ` · ${u.components.map((c) => `${c.name}: ${c.stateLabel}`).join(', ')}`
                : null}
            </div>
          </li>
        ))}
      </ol>
    </article>
  )
}

const PHASE_WORDS: Record<PublicMaintenanceView['phase'], string> = {
  upcoming: 'Upcoming',
  in_progress: 'In progress',
  completed: 'Completed',
}

function MaintenanceCard({ maintenance }: { maintenance: PublicMaintenanceView }) {
  return (
    <article className="card" id={`maintenance-${maintenance.id}`}>
      <div className="row">
        <h3>{maintenance.title}</h3>
        <span>{PHASE_WORDS[maintenance.phase]}</span>
      </div>
      <p className="muted">
        <time dateTime={maintenance.startsAt}>{utc(maintenance.startsAt)}</time> to{' '}
        <time dateTime={maintenance.endsAt}>{utc(maintenance.endsAt)}</time>
        {maintenance.components.length > 0
          ? ` · ${maintenance.components.map((c) => c.name).join(', ')}`
          : null}
      </p>
      {maintenance.message ? <p className="pre">{maintenance.message}</p> : null}
    </article>
  )
}

export function StatusPageDocument({ data, urls }: { data: StatusPageData; urls: StatusUrls }) {
  const grouped = [
    ...data.groups.map((g) => ({
      id: g.id,
      name: g.name,
      components: data.components.filter((c) => c.groupId === g.id),
    })),
    {
      id: 'ungrouped',
      name: data.groups.length > 0 ? 'Other' : null,
      components: data.components.filter(
        (c) => !c.groupId || !data.groups.some((g) => g.id === c.groupId),
      ),
    },
  ].filter((g) => g.components.length > 0)
  const maintenance = (['in_progress', 'upcoming', 'completed'] as const).flatMap((phase) =>
    data.maintenance.filter((m) => m.phase === phase),
  )
  return (
    <Document title={data.title}>
      <h1>{data.title}</h1>
      {data.intro ? <p className="muted pre">{data.intro}</p> : null}
      <p
        className={`overall s-${data.overall.maintenance && data.overall.state === 'operational' ? 'under_maintenance' : data.overall.state}`}
      >
        {data.overall.description}
      </p>

      {data.activeIncidents.length > 0 ? (
        <section aria-labelledby="active-heading">
          <h2 id="active-heading">Active incidents</h2>
          {data.activeIncidents.map((incident) => (
            <IncidentCard key={incident.id} incident={incident} />
          ))}
        </section>
      ) : null}

      {maintenance.length > 0 ? (
        <section aria-labelledby="maintenance-heading">
          <h2 id="maintenance-heading">Scheduled maintenance</h2>
          {maintenance.map((m) => (
            <MaintenanceCard key={m.id} maintenance={m} />
          ))}
        </section>
      ) : null}

      <section aria-labelledby="components-heading">
        <h2 id="components-heading">Components</h2>
        {grouped.length === 0 ? <p className="muted">No components yet.</p> : null}
        {grouped.map((group) => (
          <div key={group.id}>
            {group.name ? <h3 style={{ margin: '1rem 0 0' }}>{group.name}</h3> : null}
            {group.components.map((component) => (
              <ComponentRow key={component.id} component={component} />
            ))}
          </div>
        ))}
        <p className="muted">
          Uptime per day from {data.history.from} to {data.history.to} (UTC), from the states posted
          in public updates: a minute of major outage counts as down, of partial outage as half
          down.
        </p>
      </section>

      <section aria-labelledby="past-heading">
        <h2 id="past-heading">Past incidents</h2>
        {data.pastIncidents.length === 0 ? (
          <p className="muted">No incidents in the last {data.history.days} days.</p>
        ) : (
          data.pastIncidents.map((incident) => (
            <IncidentCard key={incident.id} incident={incident} past />
          ))
        )}
      </section>

      <section aria-labelledby="subscribe-heading">
        <h2 id="subscribe-heading">Get updates</h2>
        <form method="post" action={`${urls.page.replace(/\/$/, '')}/subscribe`}>
          <div>
            <label htmlFor="subscribe-email">Email</label>
            <input
              id="subscribe-email"
              type="email"
              name="email"
              required
              maxLength={254}
              autoComplete="email"
            />
          </div>
          <button type="submit">Subscribe</button>
        </form>
        <p className="muted">
          Or follow the <a href={urls.feed}>Atom feed</a> or the <a href={urls.json}>JSON</a>.
        </p>
      </section>
      <footer className="muted">Last change {utc(data.updatedAt)}.</footer>
    </Document>
  )
}

/** A short page answering a visitor's form or link (subscribe, confirm, unsubscribe). */
export function StatusMessageDocument({
  title,
  heading,
  message,
  back,
  form,
}: {
  title: string
  heading: string
  message: string
  back: string
  form?: { action: string; token: string; button: string }
}) {
  return (
    <Document title={`${heading} · ${title}`}>
      <h1>{heading}</h1>
      <p>{message}</p>
      {form ? (
        <form method="post" action={form.action}>
          <input type="hidden" name="token" value={form.token} />
          <button type="submit">{form.button}</button>
        </form>
      ) : null}
      <p>
        <a href={back}>Back to {title}</a>
      </p>
    </Document>
  )
}
