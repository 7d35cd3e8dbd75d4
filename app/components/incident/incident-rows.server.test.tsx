import { renderToString } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import type { AppLoadContext } from '@remix-run/node'
import { markupForPage } from '~/utils/document-markup.server'
import { pageMarkupMemo } from '~/utils/markup-memo.server'
import { IncidentRowMarkup, incidentRowsHtml, type IncidentRow } from './incident-rows.server'
import { renderInRouter } from '../../../tests/support/render-route'
import { INCIDENT_ROWS_ID, IncidentTable } from './incident-table'

const rows = [
  {
    number: 7,
    title: 'Checkout <fails> for "some"',
    severity: 'SEV-1',
    status: 'investigating',
    serviceName: 'Payments',
    commanderName: 'Ada',
    sla: {
      state: 'warning',
      next: { label: 'Mitigation', dueAt: '2026-12-07T09:00:00.000Z', dueAtText: '10:00 CET' },
    },
    declared: '7 Dec 2026, 09:15',
    declaredUtc: '2026-12-07 08:15 UTC',
    age: '12 min',
    private: true,
    custom: ['EU', null],
  },
  {
    number: 3,
    title: 'Slow search',
    severity: 'SEV-3',
    status: 'closed',
    serviceName: null,
    commanderName: null,
    sla: null,
    declared: '1 Dec 2026, 10:00',
    declaredUtc: '2026-12-01 09:00 UTC',
    age: '6 d',
    custom: [null, '42'],
  },
] as unknown as IncidentRow[]

const organization = '0190a000-0000-7000-8000-000000000001'

/** The rows as React renders them in a table body of its own tree. */
function inTree(list: IncidentRow[]) {
  const html = renderToString(
    <table>
      <tbody>
        {list.map((r) => (
          <IncidentRowMarkup key={r.number} r={r} />
        ))}
      </tbody>
    </table>,
  )
  return html.slice('<table><tbody>'.length, -'</tbody></table>'.length)
}

/** The table as the server renders a page: inside a static data router. */
async function renderTable(
  rowsHtml: string | null,
  columns: Array<{ key: string; label: string }>,
  documentMarkup: ReadonlyMap<string, string> | null = null,
) {
  return renderInRouter(() => <IncidentTable rowsHtml={rowsHtml} customColumns={columns} />, {
    path: '/incidents',
    url: 'http://app.test/incidents',
    documentMarkup,
  })
}

describe('the incident list rows as markup', () => {
  it('are the markup React renders for them, the first time and from the memo', () => {
    const plain = inTree(rows)
    expect(incidentRowsHtml(organization, rows)).toBe(plain)
    const kept = pageMarkupMemo.size
    expect(incidentRowsHtml(organization, rows)).toBe(plain)
    expect(pageMarkupMemo.size).toBe(kept)
    expect(plain).toContain('Checkout &lt;fails&gt; for &quot;some&quot;')
    expect(plain).toContain('data-discover="true" href="/incidents/7"')
    expect(plain.match(/>Private</g)).toHaveLength(1)
    expect(plain.match(/data-custom-column/g)).toHaveLength(4)
    expect(plain.match(/<tr>/g)).toHaveLength(2)
  })

  it('render a row again when anything it shows changes', () => {
    incidentRowsHtml(organization, rows)
    const older = rows.map((r) => (r.number === 3 ? { ...r, age: '7 d' } : r))
    const html = incidentRowsHtml(organization, older)
    expect(html).toBe(inTree(older))
    expect(html).toContain('>7 d<')
    expect(html).not.toContain('>6 d<')
  })

  it('are none for an empty page', () => {
    expect(incidentRowsHtml(organization, [])).toBe('')
  })

  it('are shown by the table exactly as given, under its column headers', async () => {
    const rowsHtml = incidentRowsHtml(organization, rows)
    const html = await renderTable(rowsHtml, [
      { key: 'region', label: 'Region' },
      { key: 'customers', label: 'Customers' },
    ])
    expect(html).toContain(
      `<tbody id="incident-rows" class="divide-y divide-slate-100">${rowsHtml}</tbody>`,
    )
    expect(html).toContain('>Region<')
    expect(html).toContain('>Customers<')
  })

  it('travel in a document once: its render shows them, its data carries none', async () => {
    const rowsHtml = incidentRowsHtml(organization, rows)
    const documentMarkup = new Map<string, string>()
    const document = { documentMarkup } as unknown as AppLoadContext
    expect(markupForPage(document, INCIDENT_ROWS_ID, rowsHtml)).toBeNull()
    const html = await renderTable(null, [], documentMarkup)
    expect(html).toContain(
      `<tbody id="incident-rows" class="divide-y divide-slate-100">${rowsHtml}</tbody>`,
    )
    // A data request (a navigation, a live reload) carries them in its data.
    expect(markupForPage({} as AppLoadContext, INCIDENT_ROWS_ID, rowsHtml)).toBe(rowsHtml)
    // A render given neither the markup nor the document's markup shows an empty body.
    expect(await renderTable(null, [])).toContain(
      '<tbody id="incident-rows" class="divide-y divide-slate-100"></tbody>',
    )
  })
})
