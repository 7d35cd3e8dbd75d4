import { randomUUID } from 'node:crypto'
import type { MikroORM } from '@mikro-orm/postgresql'
import { startListener, type NotificationListener } from '../../db/listener'
import { activeMembers, eventsAfter } from '~/domain/live/live-access.server'
import {
  EVENTS_CHANNEL,
  PRESENCE_CHANNEL,
  parseCommittedEvents,
  sseMessage,
  type CommittedEvents,
} from '~/domain/live/live-events'
import { PresenceBoard, parsePresence, type PresenceAnnouncement } from '~/domain/live/presence'
import type { Logger } from '~/utils/logger.server'

/**
 * The web process's live hub (decision 033): one LISTEN connection for committed events and
 * presence, and in memory the Server-Sent-Event streams open on this process, by organization and
 * by incident. A notification is forwarded to a stream only after checking that the stream's
 * organization is the event's and that its viewer is still an active member of it (from the
 * reference cache, not a query per event). Streams hold no database connection.
 */

/** Where a stream writes: the HTTP response, or anything with the same three operations. */
export interface StreamSink {
  write: (text: string) => void
  end: () => void
  /** Bytes written but not yet taken by the client. */
  buffered: () => number
}

export interface LiveHubOptions {
  orm: MikroORM
  logger: Pick<Logger, 'info' | 'warn' | 'error'>
  /** The database to LISTEN on; without it the hub only hears `receive` (tests). */
  url?: string
  processId?: string
  /** Comment lines keep proxies and browsers from timing out an idle stream. */
  heartbeatMs?: number
  /** Presence is announced again this often; another process's is forgotten after `presenceExpireMs`. */
  presenceHeartbeatMs?: number
  presenceExpireMs?: number
  /** Presence changes within this long are sent as one message. */
  presenceDelayMs?: number
  maxStreamsPerSession?: number
  maxStreams?: number
  /** The reconnection delay a browser is told (`retry:`). */
  retryMs?: number
  /** A resume reads at most this many missed events; more, and the page reloads its data. */
  resumeLimit?: number
  /** A client that lets this much pile up unread is cut off (it reconnects and resumes). */
  maxBufferedBytes?: number
}

export type StreamKind = 'incident' | 'organization'

export interface StreamSpec {
  kind: StreamKind
  organizationId: string
  incidentId?: string
  userId: string
  sessionId: string
}

export class LiveStream {
  /** The last seq sent (incident streams); ids are seqs, so a reconnection resumes from it. */
  lastSeq = 0
  /** Notifications that arrived while the missed events were being read. */
  pending: CommittedEvents[] | null = []
  closed = false

  constructor(
    readonly spec: StreamSpec,
    private readonly sink: StreamSink,
    private readonly onClose: (stream: LiveStream) => void,
    private readonly maxBufferedBytes: number,
  ) {}

  write(text: string) {
    if (this.closed) return
    try {
      if (this.sink.buffered() > this.maxBufferedBytes) {
        this.close()
        return
      }
      this.sink.write(text)
    } catch {
      // A response that cannot be written to is over; the browser reconnects and resumes.
      this.close()
    }
  }

  send(message: { event: string; id?: number; data: unknown }) {
    this.write(sseMessage(message))
  }

  /** Forwards committed events, each once, in seq order; buffered while resuming. */
  deliver(change: CommittedEvents) {
    if (this.closed) return
    if (this.pending) {
      this.pending.push(change)
      return
    }
    if (this.spec.kind === 'organization') {
      this.send({ event: 'change', data: { number: change.number, seq: change.lastSeq } })
      return
    }
    if (change.events) {
      for (const event of change.events) {
        if (event.seq <= this.lastSeq) continue
        this.lastSeq = event.seq
        this.send({ event: 'change', id: event.seq, data: event })
      }
    } else if (change.lastSeq > this.lastSeq) {
      this.lastSeq = change.lastSeq
      this.send({ event: 'resync', id: change.lastSeq, data: { seq: change.lastSeq } })
    }
  }

  /** Ends the response; the browser reconnects by itself after the `retry:` delay. */
  close() {
    if (this.closed) return
    this.closed = true
    try {
      this.sink.end()
    } catch {
      // Already gone.
    }
    this.onClose(this)
  }
}

export type OpenRefusal = 'session-limit' | 'process-limit' | 'stopping'

export class LiveHub {
  readonly processId: string
  private readonly streams = new Set<LiveStream>()
  private readonly byIncident = new Map<string, Set<LiveStream>>()
  private readonly byOrganization = new Map<string, Set<LiveStream>>()
  private readonly bySession = new Map<string, number>()
  private readonly presence: PresenceBoard
  private readonly listener: NotificationListener | null
  private readonly timers: NodeJS.Timeout[] = []
  private deliveries: Promise<void> = Promise.resolve()
  private readonly presenceDue = new Map<string, string>()
  private presenceTimer: NodeJS.Timeout | undefined
  private stopping = false
  readonly options: Required<Omit<LiveHubOptions, 'url' | 'processId'>>
  /** Announcements for this process's presence; replaced in tests to join two hubs directly. */
  announce: (announcement: PresenceAnnouncement) => void

  constructor(options: LiveHubOptions) {
    this.options = {
      orm: options.orm,
      logger: options.logger,
      heartbeatMs: options.heartbeatMs ?? 15_000,
      presenceHeartbeatMs: options.presenceHeartbeatMs ?? 15_000,
      presenceExpireMs: options.presenceExpireMs ?? 45_000,
      presenceDelayMs: options.presenceDelayMs ?? 200,
      maxStreamsPerSession: options.maxStreamsPerSession ?? 6,
      maxStreams: options.maxStreams ?? 5_000,
      retryMs: options.retryMs ?? 3_000,
      resumeLimit: options.resumeLimit ?? 500,
      maxBufferedBytes: options.maxBufferedBytes ?? 256 * 1024,
    }
    this.processId = options.processId ?? randomUUID()
    this.presence = new PresenceBoard(this.processId, this.options.presenceExpireMs)
    let connectedBefore = false
    this.listener = options.url
      ? startListener({
          url: options.url,
          channel: [EVENTS_CHANNEL, PRESENCE_CHANNEL],
          logger: options.logger,
          onNotification: (payload, channel) => this.receive(channel, payload),
          onConnected: () => {
            // Anything committed while the connection was down was not heard: pages reload.
            if (connectedBefore) this.resyncAll()
            connectedBefore = true
            for (const a of this.presence.announcements()) this.announce(a)
          },
        })
      : null
    this.announce = (announcement) => {
      void this.listener?.notify(PRESENCE_CHANNEL, JSON.stringify(announcement))
    }
    const heartbeat = setInterval(() => {
      for (const stream of this.streams) stream.write(': heartbeat\n\n')
    }, this.options.heartbeatMs)
    const presenceBeat = setInterval(
      () => this.presenceHeartbeat(),
      this.options.presenceHeartbeatMs,
    )
    heartbeat.unref()
    presenceBeat.unref()
    this.timers.push(heartbeat, presenceBeat)
  }

  get size() {
    return this.streams.size
  }

  /** Resolves once the LISTEN connection is up (at once without one). */
  whenListening(): Promise<void> {
    return this.listener ? this.listener.whenConnected() : Promise.resolve()
  }

  /**
   * Registers a stream: from now on notifications for it are buffered until `resume`. Refused
   * beyond the caps or while the process stops. The caller sends the response's headers and
   * `retry:` hint at once, in the same turn; the first message follows later.
   */
  open(spec: StreamSpec, sink: StreamSink): LiveStream | OpenRefusal {
    if (this.stopping) return 'stopping'
    if (this.streams.size >= this.options.maxStreams) return 'process-limit'
    const perSession = this.bySession.get(spec.sessionId) ?? 0
    if (perSession >= this.options.maxStreamsPerSession) return 'session-limit'
    const stream = new LiveStream(spec, sink, (s) => this.forget(s), this.options.maxBufferedBytes)
    this.streams.add(stream)
    this.bySession.set(spec.sessionId, perSession + 1)
    const key = spec.kind === 'incident' ? spec.incidentId! : spec.organizationId
    const index = spec.kind === 'incident' ? this.byIncident : this.byOrganization
    let set = index.get(key)
    if (!set) {
      set = new Set()
      index.set(key, set)
    }
    set.add(stream)
    if (spec.kind === 'incident') {
      if (this.presence.join(spec.organizationId, spec.incidentId!, spec.userId))
        this.announce(this.presence.announcement(spec.organizationId, spec.incidentId!))
      this.showPresence(spec.organizationId, spec.incidentId!)
    }
    return stream
  }

  /**
   * Sends what the stream missed after `since` (one short query), then what arrived meanwhile,
   * each event once and in order; from then on events go straight through. `since` null: the
   * stream starts now (organization streams always do).
   */
  async resume(stream: LiveStream, since: number | null) {
    try {
      if (stream.spec.kind === 'incident' && since !== null) {
        stream.lastSeq = since
        const { resumeLimit } = this.options
        const missed = await eventsAfter(
          this.options.orm,
          stream.spec.organizationId,
          stream.spec.incidentId!,
          since,
          resumeLimit + 1,
          stream.spec.userId,
        )
        const head = missed.slice(0, resumeLimit)
        for (const event of head) {
          stream.lastSeq = event.seq
          stream.send({ event: 'change', id: event.seq, data: event })
        }
        if (missed.length > resumeLimit) {
          // Too far behind to list: the page reloads, and the next events follow on.
          stream.send({ event: 'resync', data: { seq: stream.lastSeq } })
        }
      }
    } finally {
      const waiting = stream.pending ?? []
      stream.pending = null
      for (const change of waiting) stream.deliver(change)
    }
  }

  /** A notification from the LISTEN connection (or, in tests, from another hub). */
  receive(channel: string, payload: string) {
    if (channel === EVENTS_CHANNEL) {
      const change = parseCommittedEvents(payload)
      if (!change) {
        this.options.logger.warn({ channel }, 'live: unreadable notification ignored')
        return
      }
      // One at a time, in arrival order: a stream sees events in commit order.
      // A failure is logged and ends here, so it cannot stop the notifications after it.
      this.deliveries = this.deliveries
        .then(() => this.forward(change))
        .catch((error: unknown) =>
          this.options.logger.error({ err: error }, 'live: could not forward a notification'),
        )
    } else if (channel === PRESENCE_CHANNEL) {
      const announcement = parsePresence(payload)
      if (announcement && this.presence.receive(announcement))
        this.showPresence(announcement.o, announcement.i)
    }
  }

  /** Resolves once every notification received so far has been forwarded (tests, bench). */
  settled(): Promise<void> {
    return this.deliveries
  }

  private async forward(change: CommittedEvents) {
    const targets = [
      ...(this.byIncident.get(change.incidentId) ?? []),
      // The list and home pages of people who may not see a private incident must not hear of it.
      ...(change.private ? [] : (this.byOrganization.get(change.organizationId) ?? [])),
    ].filter((s) => s.spec.organizationId === change.organizationId)
    if (targets.length === 0) return
    let members: Map<string, string>
    try {
      members = await activeMembers(this.options.orm, change.organizationId)
    } catch (error) {
      // Nothing is sent unchecked; the pages are told to reload, which checks again.
      this.options.logger.error({ err: error }, 'live: members unavailable; streams resync')
      for (const stream of targets) stream.send({ event: 'resync', data: {} })
      return
    }
    for (const stream of targets) {
      if (!members.has(stream.spec.userId)) stream.close()
      else stream.deliver(change)
    }
  }

  private resyncAll() {
    for (const stream of this.streams) stream.send({ event: 'resync', data: {} })
  }

  private presenceHeartbeat() {
    for (const announcement of this.presence.announcements()) this.announce(announcement)
    for (const incidentId of this.presence.expire()) {
      const stream = this.byIncident.get(incidentId)?.values().next().value
      if (stream) this.showPresence(stream.spec.organizationId, incidentId)
    }
  }

  /**
   * Tells every stream here on the incident who else is watching it, by name, shortly: joins and
   * leaves arriving together (a page reloaded by many people at once) make one message per stream
   * instead of one per join.
   */
  private showPresence(organizationId: string, incidentId: string) {
    this.presenceDue.set(incidentId, organizationId)
    if (this.presenceTimer) return
    this.presenceTimer = setTimeout(() => {
      this.presenceTimer = undefined
      const due = [...this.presenceDue]
      this.presenceDue.clear()
      for (const [incident, organization] of due) this.sendPresence(organization, incident)
    }, this.options.presenceDelayMs)
    this.presenceTimer.unref()
  }

  private sendPresence(organizationId: string, incidentId: string) {
    const streams = this.byIncident.get(incidentId)
    if (!streams || streams.size === 0) return
    activeMembers(this.options.orm, organizationId).then(
      (members) => {
        const viewers = [...this.presence.viewers(organizationId, incidentId)]
          .filter((id) => members.has(id))
          .map((id) => ({ id, name: members.get(id)! }))
          .sort((a, b) => a.name.localeCompare(b.name))
        // Every stream of one person gets the same list: everyone but themselves.
        const messages = new Map<string, string>()
        for (const stream of streams) {
          if (stream.spec.organizationId !== organizationId) continue
          const { userId } = stream.spec
          let message = messages.get(userId)
          if (message === undefined) {
            const names = viewers.filter((v) => v.id !== userId).map((v) => v.name)
            message = sseMessage({ event: 'presence', data: { viewers: names } })
            messages.set(userId, message)
          }
          stream.write(message)
        }
      },
      (error: unknown) =>
        this.options.logger.warn({ err: error }, 'live: presence names unavailable'),
    )
  }

  private forget(stream: LiveStream) {
    if (!this.streams.delete(stream)) return
    const { spec } = stream
    const left = (this.bySession.get(spec.sessionId) ?? 1) - 1
    if (left > 0) this.bySession.set(spec.sessionId, left)
    else this.bySession.delete(spec.sessionId)
    const key = spec.kind === 'incident' ? spec.incidentId! : spec.organizationId
    const index = spec.kind === 'incident' ? this.byIncident : this.byOrganization
    const set = index.get(key)
    set?.delete(stream)
    if (set?.size === 0) index.delete(key)
    if (spec.kind === 'incident' && this.presence.leave(spec.incidentId!, spec.userId)) {
      this.announce(this.presence.announcement(spec.organizationId, spec.incidentId!))
      if (!this.stopping) this.showPresence(spec.organizationId, spec.incidentId!)
    }
  }

  /**
   * Ends every stream and refuses new ones: on SIGTERM, before the server drains, so draining
   * never waits for a stream. Browsers reconnect (to another process behind the proxy) and resume.
   */
  closeAll() {
    this.stopping = true
    for (const stream of [...this.streams]) stream.close()
  }

  async stop() {
    this.closeAll()
    for (const timer of this.timers) clearInterval(timer)
    clearTimeout(this.presenceTimer)
    await this.deliveries.catch(() => {})
    await this.listener?.stop()
  }
}

/** Starts the process's hub and its LISTEN connection. */
export function startLiveHub(options: LiveHubOptions & { url: string }): LiveHub {
  return new LiveHub(options)
}
