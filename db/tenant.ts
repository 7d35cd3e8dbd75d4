import { AsyncLocalStorage } from 'node:async_hooks'
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'

export const APP_ROLE = 'incidentflow_app'

/**
 * Who a unit of work acts for. Row-level security reads these transaction-local settings:
 * `organizationId` opens that organization's rows, `userId` the user's own memberships across
 * organizations, `invitationTokenHash` the one invitation whose link the visitor holds.
 */
export interface Scope {
  organizationId?: string | null
  userId?: string | null
  invitationTokenHash?: string | null
  /** SHA-256 of an integration or API token: opens the one `integration` or `api_token` row it names. */
  tokenHash?: string | null
  /**
   * The person the work acts for (`app.acting_user_id`): a private incident, and what it carries,
   * is visible only to its participants and the organization's admins (decision 037). Inside a
   * web request it defaults to the signed-in person (`actAs`).
   */
  actingUserId?: string | null
  /**
   * System work (worker jobs, sweeps, alert ingest) sees every incident, private ones too
   * (`app.all_incidents`). Never inside a web request; outside one it is the default for work that
   * names no acting user.
   */
  allIncidents?: boolean
}

/**
 * Raised when code asks for a second pooled connection while its own work still holds one. Ten
 * requests doing that at once on a pool of ten wait for each other forever, so it is refused at
 * once instead of deadlocking under load.
 */
export class NestedScopeError extends Error {
  constructor() {
    super(
      'inScope was called inside another inScope: that holds one pooled connection while waiting ' +
        'for another. Pass the open EntityManager down instead.',
    )
    this.name = 'NestedScopeError'
  }
}

/**
 * The database could not be reached in time (no pooled connection free within the acquire
 * timeout, or PostgreSQL refusing connections). Pages answer it with 503 and Retry-After.
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The database is busy or unreachable', { cause })
    this.name = 'DatabaseUnavailableError'
  }
}

const SCOPE_SQL = `select set_config('role', ?, true), set_config('app.organization_id', ?, true),
       set_config('app.user_id', ?, true), set_config('app.invitation_token_hash', ?, true),
       set_config('app.token_hash', ?, true), set_config('app.acting_user_id', ?, true),
       set_config('app.all_incidents', ?, true)`

function scopeValues(scope: Scope) {
  return [
    APP_ROLE,
    scope.organizationId ?? '',
    scope.userId ?? '',
    scope.invitationTokenHash ?? '',
    scope.tokenHash ?? '',
    scope.actingUserId ?? '',
    scope.allIncidents ? 'on' : '',
  ]
}

/**
 * The incident visibility a unit of work runs with. A web request never sees every incident: it
 * acts for its signed-in person, or for nobody (no private incident at all) when none is known —
 * a request that forgot its user hides rather than reveals. Work outside a request (the worker,
 * sweeps, scripts) is system work and sees every incident unless it names the person it acts for.
 */
function effectiveScope(scope: Scope, unit: RequestUnit | null): Scope {
  const actor = actors.getStore()
  if (actor && !scope.actingUserId) scope = { ...scope, actingUserId: actor }
  if (unit)
    return {
      ...scope,
      actingUserId: scope.actingUserId ?? unit.actingUserId,
      allIncidents: false,
    }
  if (scope.actingUserId) return { ...scope, allIncidents: false }
  return { ...scope, allIncidents: scope.allIncidents ?? true }
}

/**
 * Runs `work` as `userId` outside a web request (a chat command run for its member, say): every
 * unit of work in it sees what that person may see, not what system work sees.
 */
export function actingAs<T>(userId: string, work: () => Promise<T>): Promise<T> {
  return actors.run(userId, work)
}

/**
 * Names the person the current web request acts for (once its session is read), so every later
 * unit of work of the request runs under their incident visibility. Outside a request: nothing.
 */
export function actAs(userId: string | null) {
  const unit = requestUnits.getStore()
  if (!unit || unit.actingUserId === userId) return
  unit.actingUserId = userId
  unit.forgetScope()
}

function scopeKey(scope: Scope) {
  return scopeValues(scope).join('\u0000')
}

async function applyScope(em: EntityManager, scope: Scope) {
  await em.execute(SCOPE_SQL, scopeValues(scope))
}

/**
 * Set while a work callback runs: the transaction it holds (`em`), under which scope, and the
 * request unit it belongs to (null outside requests).
 */
interface Frame {
  unit: RequestUnit | null
  scope: Scope
  em: EntityManager
  /** Calls nested in this one, in order. */
  tail: Promise<unknown>
}
/**
 * The stores are process-wide: the Remix build bundles its own copy of this module beside the
 * server's, and both must see the same request.
 */
function processWide<T>(name: string): AsyncLocalStorage<T> {
  const key = Symbol.for(`incidentflow.${name}`)
  const registry = globalThis as unknown as Record<symbol, AsyncLocalStorage<T> | undefined>
  return (registry[key] ??= new AsyncLocalStorage<T>())
}
const holding = processWide<Frame>('inScope.holding')
const actors = processWide<string>('inScope.actingUser')
const requestUnits = processWide<RequestUnit>('inScope.requestUnit')

/**
 * Runs `work` in one transaction on a fresh EntityManager, as the application role with the
 * scope's settings. Everything is transaction-local (`set_config(…, true)`), so nothing leaks to
 * the next user of the pooled connection, and a fresh fork means no identity map is shared
 * between scopes.
 *
 * Inside a web request (see `RequestUnit`) every call shares the request's one transaction: each
 * call is a savepoint with a fresh identity map and its own settings, so a page's loaders cost one
 * connection and one BEGIN/COMMIT instead of one per call.
 */
export async function inScope<T>(
  orm: MikroORM,
  scope: Scope,
  work: (em: EntityManager) => Promise<T>,
): Promise<T> {
  const held = holding.getStore()
  if (held) {
    if (held.unit && held.unit.orm === orm) return held.unit.nested(scope, held, work)
    throw new NestedScopeError()
  }
  const unit = requestUnits.getStore()
  if (unit && unit.orm === orm) return unit.run(scope, work)
  const em = orm.em.fork({ clear: true })
  const effective = effectiveScope(scope, null)
  return em.transactional(async (tx) => {
    await applyScope(tx, effective)
    return holding.run({ unit: null, scope: effective, em: tx, tail: Promise.resolve() }, () =>
      work(tx),
    )
  })
}

/**
 * `inScope` for work that only reads (page loaders' read models, the viewer). Inside a web
 * request it skips the savepoint and the unit-of-work flush that a call which may write needs:
 * it runs on the request's transaction directly, and a failing read ends that transaction (it has
 * no writes to lose: a read after a write first commits the write). Outside a request it is
 * `inScope`. Entities changed in `work` are not flushed.
 */
export async function readScope<T>(
  orm: MikroORM,
  scope: Scope,
  work: (em: EntityManager) => Promise<T>,
): Promise<T> {
  if (holding.getStore()) return inScope(orm, scope, work)
  const unit = requestUnits.getStore()
  if (unit && unit.orm === orm) return unit.run(scope, work, { readOnly: true })
  return inScope(orm, scope, work)
}

/**
 * Moves an open `inScope` transaction to another organization's rows. For workers that find
 * their work in a narrow cross-tenant table first (see `event_outbox`, `sla_deadline`) and then
 * handle it under the organization it belongs to, in the same transaction.
 */
export async function enterOrganization(em: EntityManager, organizationId: string) {
  await em.execute(`select set_config('app.organization_id', ?, true)`, [organizationId])
  const held = holding.getStore()
  if (held) {
    held.scope = { ...held.scope, organizationId }
    held.unit?.forgetScope()
  }
}

/**
 * Messages of a connection that could not be had or was lost mid-request. The last three are what
 * node-postgres and knex say about a transaction whose server went away under it (PostgreSQL
 * stopped): the client is left unusable and the transaction already over.
 */
const CONNECTION_FAILURE =
  /Timeout acquiring a connection|ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|Connection terminated|the database system is (starting up|shutting down|not yet accepting connections)|terminating connection|Connection ended unexpectedly|has encountered a connection error and is not queryable|Transaction query already complete/

function isConnectionFailure(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (CONNECTION_FAILURE.test(e.message) || e.name === 'KnexTimeoutError') return true
  }
  return false
}

/** Turns of the event loop a request's transaction stays open with no call of it waiting. */
const IDLE_RELEASE_TURNS = 3

/**
 * One web request's database work: at most one pooled connection, one transaction shared by
 * every `inScope` call the request makes, taken lazily and given back once the event loop has come
 * round with no call waiting (so a request that goes on to stream a file or call a remote service holds nothing),
 * and always committed before the response leaves (`finish`). Calls take turns on the
 * connection; a call made while another of the same request runs waits its turn without holding
 * a connection of its own, so no request can hold one connection while waiting for a second.
 */
export class RequestUnit {
  private root: EntityManager | null = null
  private currentKey: string | null = null
  private tail: Promise<unknown> = Promise.resolve()
  private waiting = 0
  /** The open transaction holds writes (a call that may write has completed in it). */
  private dirty = false
  /** Bumped by every call, so a pending release sees that the request came back. */
  private epoch = 0
  private failure: unknown = null
  /** The database was busy or unreachable at some point of this request. */
  unavailable = false
  /** The signed-in person the request acts for, once known (see `actAs`). */
  actingUserId: string | null = null

  constructor(readonly orm: MikroORM) {}

  /** Runs `fn` with this unit as the request's database context. */
  static enter<T>(unit: RequestUnit, fn: () => T): T {
    return requestUnits.run(unit, fn)
  }

  forgetScope() {
    this.currentKey = null
  }

  private turn<T>(task: () => Promise<T>): Promise<T> {
    this.epoch++
    this.waiting++
    const result = this.tail.then(async () => {
      this.waiting--
      return task()
    })
    this.tail = result.then(
      () => this.scheduleRelease(),
      () => this.scheduleRelease(),
    )
    return result
  }

  private scheduleRelease() {
    if (this.waiting > 0 || !this.root) return
    // Calls that follow without the event loop coming round (parallel loaders, the next await of
    // one loader, the work between two reads) join this transaction; once the loop has come round
    // a few times with nothing queued, the connection goes back, so a request that goes on to
    // stream a file or call a remote service holds nothing meanwhile. Counting turns rather than
    // milliseconds keeps a busy machine from splitting one page's reads.
    const epoch = this.epoch
    let turns = 0
    const tick = () => {
      if (epoch !== this.epoch || this.waiting > 0 || !this.root) return
      if (++turns < IDLE_RELEASE_TURNS) setImmediate(tick)
      else void this.turn(() => this.commit())
    }
    setImmediate(tick)
  }

  private async open(): Promise<EntityManager> {
    if (this.root) return this.root
    const root = this.orm.em.fork({ clear: true })
    try {
      await root.begin()
    } catch (error) {
      if (isConnectionFailure(error)) {
        this.unavailable = true
        throw new DatabaseUnavailableError(error)
      }
      throw error
    }
    this.root = root
    this.currentKey = null
    return root
  }

  private async commit() {
    const root = this.root
    if (!root) return
    this.root = null
    this.currentKey = null
    this.dirty = false
    try {
      await root.commit()
    } catch (error) {
      this.failure ??= error
      if (isConnectionFailure(error)) this.unavailable = true
      await root.rollback().catch(() => {})
    }
  }

  private async abandon() {
    const root = this.root
    this.root = null
    this.currentKey = null
    this.dirty = false
    if (root) await root.rollback().catch(() => {})
  }

  run<T>(
    requested: Scope,
    work: (em: EntityManager) => Promise<T>,
    options: { readOnly?: boolean } = {},
  ): Promise<T> {
    return this.turn(async () => {
      const scope = effectiveScope(requested, this)
      // A read never shares a transaction with a write before it: a failing read may end it.
      if (options.readOnly && this.dirty) await this.commit()
      const root = await this.open()
      try {
        const key = scopeKey(scope)
        if (key !== this.currentKey) {
          await applyScope(root, scope)
          this.currentKey = key
        }
        if (options.readOnly) {
          const em = root.fork({ clear: true, keepTransactionContext: true })
          return await holding.run({ unit: this, scope, em, tail: Promise.resolve() }, () =>
            work(em),
          )
        }
        // A savepoint: a failing call rolls back only its own writes, as its own transaction did.
        const result = await root.transactional(
          (tx) =>
            holding.run({ unit: this, scope, em: tx, tail: Promise.resolve() }, () => work(tx)),
          { clear: true },
        )
        this.dirty = true
        return result
      } catch (error) {
        if (isConnectionFailure(error)) {
          this.unavailable = true
          await this.abandon()
          throw error instanceof DatabaseUnavailableError
            ? error
            : new DatabaseUnavailableError(error)
        }
        if (options.readOnly || isAborted(error)) await this.abandon()
        throw error
      }
    })
  }

  /**
   * An `inScope` call made from inside another one of the same request: a savepoint inside the
   * caller's (the driver lets only one savepoint of a transaction be open at a level), on the same
   * connection, with the caller's settings put back afterwards.
   */
  async nested<T>(
    requested: Scope,
    outer: Frame,
    work: (em: EntityManager) => Promise<T>,
  ): Promise<T> {
    // Calls nested in the same caller take turns too: each sets its own scope on the connection.
    const result = outer.tail.then(async () => {
      const scope = effectiveScope(requested, this)
      const key = scopeKey(scope)
      const outerKey = scopeKey(outer.scope)
      if (key !== outerKey) await applyScope(outer.em, scope)
      try {
        const value = await outer.em.transactional(
          (tx) =>
            holding.run({ unit: this, scope, em: tx, tail: Promise.resolve() }, () => work(tx)),
          { clear: true },
        )
        this.dirty = true
        return value
      } finally {
        if (key !== outerKey) await applyScope(outer.em, outer.scope)
      }
    })
    outer.tail = result.catch(() => {})
    return result
  }

  /**
   * Commits what is still open. Called before the response is sent: a write that cannot commit
   * must not be answered as a success.
   */
  async finish(): Promise<void> {
    await this.turn(() => this.commit())
    if (this.failure) {
      const failure = this.failure
      this.failure = null
      throw failure
    }
  }

  /** Rolls back whatever is open (the request failed before its response). */
  async discard(): Promise<void> {
    await this.turn(() => this.abandon())
  }
}

function isAborted(error: unknown) {
  return error instanceof Error && /current transaction is aborted/.test(error.message)
}
