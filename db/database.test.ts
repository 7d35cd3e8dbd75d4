import { describe, expect, it } from 'vitest'
import { describeDatabaseUrl, resolveDatabase } from './database'

describe('describeDatabaseUrl', () => {
  it('hides the password and keeps the rest', () => {
    const shown = describeDatabaseUrl('postgresql://app:s3cr3t-pa55@db.internal:5432/incidentflow')
    expect(shown).not.toContain('s3cr3t-pa55')
    expect(shown).toBe('postgresql://app:***@db.internal:5432/incidentflow')
  })

  it('does not echo a URL it cannot parse (it may hold a password)', () => {
    expect(describeDatabaseUrl('not a url with hunter2')).toBe('(unparseable DATABASE_URL)')
  })
})

describe('resolveDatabase', () => {
  it('uses DATABASE_URL as it is, without starting an embedded server', async () => {
    const url = 'postgresql://app:pw@db.internal:5432/incidentflow'
    const target = await resolveDatabase(
      { DATABASE_URL: url, DATA_DIR: '/nonexistent/never-created', EMBEDDED_POSTGRES_PORT: 1 },
      'own',
      'test',
    )
    expect(target).toMatchObject({ url, embedded: false })
    await expect(target.stop()).resolves.toBeUndefined()
  })
})
