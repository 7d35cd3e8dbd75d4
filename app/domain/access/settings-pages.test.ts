import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ROLES } from './permissions'
import { SETTINGS_PAGES, settingsPagesFor } from './settings-pages'

const routes = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../routes')

/** The route module that renders `to` (`/admin/webhooks` → admin.webhooks.tsx or ._index.tsx). */
function routeSource(to: string): string {
  const base = to.slice(1).replaceAll('/', '.')
  for (const name of [`${base}.tsx`, `${base}._index.tsx`]) {
    const file = path.join(routes, name)
    if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8')
  }
  throw new Error(`no route module renders ${to}`)
}

describe('the settings pages', () => {
  it('lists the nine admin pages of the header and the failed deliveries, once each', () => {
    expect(SETTINGS_PAGES.map((page) => page.to)).toEqual([
      '/admin/members',
      '/admin/services',
      '/admin/fields',
      '/admin/incident-roles',
      '/admin/triage',
      '/admin/sla',
      '/admin/escalations',
      '/admin/postmortems',
      '/admin/webhooks',
      '/admin/deliveries',
      '/admin/integrations',
      '/admin/status-page',
      '/admin/audit',
    ])
    for (const page of SETTINGS_PAGES) expect(page.description.length, page.to).toBeGreaterThan(10)
  })

  it.each(SETTINGS_PAGES.map((page) => [page.to, page] as const))(
    '%s is listed under the permission its loader asks for',
    (_to, page) => {
      const loader = /export async function loader[\s\S]*?requireMember\([^)]*'([a-z.]+)'\)/.exec(
        routeSource(page.to),
      )
      expect(loader?.[1]).toBe(page.permission)
    },
  )

  it('shows an admin every page, and a manager, an engineer or someone without a role none', () => {
    expect(ROLES).toEqual(['admin', 'manager', 'engineer'])
    expect(settingsPagesFor('admin')).toEqual(SETTINGS_PAGES)
    expect(settingsPagesFor('manager')).toEqual([])
    expect(settingsPagesFor('engineer')).toEqual([])
    expect(settingsPagesFor(null)).toEqual([])
  })
})
