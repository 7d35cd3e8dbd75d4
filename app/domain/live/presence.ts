/**
 * "Viewing now": who has an incident's live stream open, across every web process, with nothing
 * stored. Each process knows its own streams; it announces the set of users watching an incident
 * whenever that set changes, and every one of its sets again on a heartbeat. Another process's
 * set is forgotten when it has not been repeated for `expireMs`, so a process that died without
 * saying goodbye drops out by itself.
 */

/** One process's viewers of one incident, as sent on the presence channel. */
export interface PresenceAnnouncement {
  /** The announcing process. */
  p: string
  o: string
  i: string
  /** User ids; empty when the last of them left. */
  u: string[]
}

/** A notification payload stays below PostgreSQL's 8000 bytes: ids beyond this are not sent. */
export const MAX_ANNOUNCED_VIEWERS = 150

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function parsePresence(payload: string): PresenceAnnouncement | null {
  let raw: unknown
  try {
    raw = JSON.parse(payload)
  } catch {
    return null
  }
  if (!raw || typeof raw !== 'object') return null
  const { p, o, i, u } = raw as Record<string, unknown>
  if (typeof p !== 'string' || p.length === 0 || p.length > 64) return null
  if (typeof o !== 'string' || !UUID.test(o) || typeof i !== 'string' || !UUID.test(i)) return null
  if (!Array.isArray(u) || u.length > MAX_ANNOUNCED_VIEWERS) return null
  if (!u.every((id): id is string => typeof id === 'string' && UUID.test(id))) return null
  return { p, o, i, u }
}

interface RemoteSet {
  organizationId: string
  users: readonly string[]
  at: number
}

export class PresenceBoard {
  /** incident id → user id → this process's open streams of that user on that incident. */
  private readonly local = new Map<string, { organizationId: string; users: Map<string, number> }>()
  /** incident id → process id → that process's viewers. */
  private readonly remote = new Map<string, Map<string, RemoteSet>>()
  private readonly now: () => number

  constructor(
    readonly processId: string,
    private readonly expireMs: number,
    now?: () => number,
  ) {
    this.now = now ?? Date.now
  }

  /** A stream opened here; true when the incident's set of local viewers changed. */
  join(organizationId: string, incidentId: string, userId: string): boolean {
    let entry = this.local.get(incidentId)
    if (!entry) {
      entry = { organizationId, users: new Map() }
      this.local.set(incidentId, entry)
    }
    const count = entry.users.get(userId) ?? 0
    entry.users.set(userId, count + 1)
    return count === 0
  }

  /** A stream closed here; true when the incident's set of local viewers changed. */
  leave(incidentId: string, userId: string): boolean {
    const entry = this.local.get(incidentId)
    const count = entry?.users.get(userId)
    if (!entry || !count) return false
    if (count > 1) {
      entry.users.set(userId, count - 1)
      return false
    }
    entry.users.delete(userId)
    if (entry.users.size === 0) this.local.delete(incidentId)
    return true
  }

  /** This process's announcement for one incident (empty users once nobody watches here). */
  announcement(organizationId: string, incidentId: string): PresenceAnnouncement {
    const users = [...(this.local.get(incidentId)?.users.keys() ?? [])]
    return {
      p: this.processId,
      o: organizationId,
      i: incidentId,
      u: users.slice(0, MAX_ANNOUNCED_VIEWERS),
    }
  }

  /** Every incident watched here, for the heartbeat and after a reconnection. */
  announcements(): PresenceAnnouncement[] {
    return [...this.local].map(([incidentId, { organizationId }]) =>
      this.announcement(organizationId, incidentId),
    )
  }

  /** Another process's announcement; true when the incident's viewers may have changed. */
  receive(announcement: PresenceAnnouncement): boolean {
    if (announcement.p === this.processId) return false
    let byProcess = this.remote.get(announcement.i)
    const before = byProcess?.get(announcement.p)
    if (announcement.u.length === 0) {
      if (!before) return false
      byProcess!.delete(announcement.p)
      if (byProcess!.size === 0) this.remote.delete(announcement.i)
      return true
    }
    if (!byProcess) {
      byProcess = new Map()
      this.remote.set(announcement.i, byProcess)
    }
    byProcess.set(announcement.p, {
      organizationId: announcement.o,
      users: announcement.u,
      at: this.now(),
    })
    return !before || !sameMembers(before.users, announcement.u)
  }

  /** Forgets sets not repeated within `expireMs`; returns the incidents whose viewers changed. */
  expire(): string[] {
    const limit = this.now() - this.expireMs
    const changed: string[] = []
    for (const [incidentId, byProcess] of this.remote) {
      for (const [processId, set] of byProcess) {
        if (set.at < limit) {
          byProcess.delete(processId)
          if (!changed.includes(incidentId)) changed.push(incidentId)
        }
      }
      if (byProcess.size === 0) this.remote.delete(incidentId)
    }
    return changed
  }

  /** Everyone watching the incident of that organization, on any process. */
  viewers(organizationId: string, incidentId: string): Set<string> {
    const users = new Set<string>()
    const entry = this.local.get(incidentId)
    if (entry?.organizationId === organizationId) for (const id of entry.users.keys()) users.add(id)
    for (const set of this.remote.get(incidentId)?.values() ?? []) {
      // A set is counted only for the organization it was announced under.
      if (set.organizationId === organizationId) for (const id of set.users) users.add(id)
    }
    return users
  }
}

function sameMembers(a: readonly string[], b: readonly string[]) {
  return a.length === b.length && a.every((id) => b.includes(id))
}
