import { useNavigation, useRevalidator } from '@remix-run/react'
import { useEffect, useRef, useState } from 'react'

/**
 * Set while a reload this hook asked for is running. The root route reads it (see `root.tsx`'s
 * `shouldRevalidate`): the root loader takes the flash message out of its cookie, so re-running it
 * for someone else's change (or the echo of one's own) would remove the "Done: …" banner the
 * person is reading; the header's data does not change with an incident either.
 */
let liveReloadRunning = false

/** Whether the data reload now starting was asked for by a live stream, not by the person. */
export function isLiveReload() {
  return liveReloadRunning
}

/** Changes arriving together cause one reload of the page's data. */
const DEBOUNCE_MS = 250
/** After the server refused or closed for good, try again this much later (doubling, capped). */
const REOPEN_MIN_MS = 2_000
const REOPEN_MAX_MS = 60_000

/**
 * Follows a live stream (`/live/…`, Server-Sent Events) and re-runs the page's loaders when it
 * says something changed, so the page shows the new state while React keeps what the person is
 * typing. Returns the names of the others viewing (incident streams), empty until known. Without
 * JavaScript nothing runs and the page stays as it was served.
 *
 * `since` is the event seq the page was rendered from: the stream starts after it, so a change
 * committed between rendering and connecting is not missed. The browser resumes by itself after
 * a dropped connection (Last-Event-ID); when it gives up (the server answered an error), the hook
 * opens a new stream later.
 */
export function useLiveUpdates(path: string, since?: number): { viewers: string[] } {
  const revalidator = useRevalidator()
  const revalidatorRef = useRef(revalidator)
  const navigation = useNavigation()
  const navigatingRef = useRef(false)
  useEffect(() => {
    revalidatorRef.current = revalidator
    navigatingRef.current = navigation.state !== 'idle'
    if (revalidator.state === 'idle') liveReloadRunning = false
  })
  // Read once per path: a newer `since` after a reload must not reopen the stream.
  const sinceRef = useRef(since)
  const [viewers, setViewers] = useState<string[]>([])

  useEffect(() => {
    if (typeof EventSource === 'undefined') return
    let source: EventSource | null = null
    let debounce: ReturnType<typeof setTimeout> | undefined
    let reopen: ReturnType<typeof setTimeout> | undefined
    let reopenDelay = REOPEN_MIN_MS
    let openedBefore = false
    let stopped = false

    const reload = () => {
      clearTimeout(debounce)
      debounce = setTimeout(() => {
        // Not while the person's own submission or navigation loads: a reload then would restart
        // (abort) its loaders, and with them the flash message its answer carried.
        if (revalidatorRef.current.state === 'idle' && !navigatingRef.current) {
          liveReloadRunning = true
          // An interrupted reload rejects; the next change or navigation brings the data anyway.
          void Promise.resolve(revalidatorRef.current.revalidate()).catch(() => {})
        } else reload()
      }, DEBOUNCE_MS)
    }

    const connect = (after: number | undefined) => {
      const url = after === undefined ? path : `${path}?since=${after}`
      const current = new EventSource(url)
      source = current
      current.addEventListener('open', () => {
        reopenDelay = REOPEN_MIN_MS
        // Anything may have changed while disconnected; the incident stream also resumes by id.
        if (openedBefore) reload()
        openedBefore = true
      })
      current.addEventListener('change', reload)
      current.addEventListener('resync', reload)
      current.addEventListener('presence', (event) => {
        try {
          const data = JSON.parse((event as MessageEvent<string>).data) as { viewers?: unknown }
          if (Array.isArray(data.viewers))
            setViewers(data.viewers.filter((v): v is string => typeof v === 'string'))
        } catch {
          // A malformed message changes nothing.
        }
      })
      current.addEventListener('error', () => {
        if (current.readyState !== EventSource.CLOSED || stopped) return
        // The browser gave up (an error status, e.g. 503 while a server restarts).
        setViewers([])
        clearTimeout(reopen)
        reopen = setTimeout(() => {
          if (!stopped) connect(undefined)
        }, reopenDelay)
        reopenDelay = Math.min(reopenDelay * 2, REOPEN_MAX_MS)
        // The next stream starts from the page's current data, which the reload brings.
        reload()
      })
    }

    connect(sinceRef.current)
    return () => {
      stopped = true
      clearTimeout(debounce)
      clearTimeout(reopen)
      source?.close()
    }
  }, [path])

  return { viewers }
}
