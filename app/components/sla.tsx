import { useEffect, useState } from 'react'
import type { SlaState } from '~/domain/sla/clock'

const base =
  'inline-flex items-center gap-1 rounded-full border px-2 py-0.5 text-xs font-semibold whitespace-nowrap'

const stateStyle: Record<SlaState, string> = {
  met: 'border-emerald-300 bg-emerald-50 text-emerald-900',
  running: 'border-slate-300 bg-white text-slate-700',
  warning: 'border-amber-400 bg-amber-50 text-amber-900',
  breached: 'border-red-700 bg-red-700 text-white',
}

export const SLA_STATE_LABELS: Record<SlaState, string> = {
  met: 'Met',
  running: 'On track',
  warning: 'At risk',
  breached: 'Breached',
}

/** One SLA state in words, e.g. "Acknowledge: At risk"; the colour only repeats it. */
export function SlaBadge({ state, label }: { state: SlaState; label?: string }) {
  return (
    <span className={`${base} ${stateStyle[state]}`} data-sla-state={state}>
      {label ? `${label}: ` : ''}
      {SLA_STATE_LABELS[state]}
    </span>
  )
}

/** "12 min left", "overdue by 3 h 5 min". */
export function formatTimeLeft(ms: number) {
  const overdue = ms < 0
  const minutes = Math.floor(Math.abs(ms) / 60_000)
  const seconds = Math.floor((Math.abs(ms) % 60_000) / 1000)
  let text: string
  if (minutes < 1) text = `${seconds} s`
  else if (minutes < 60) text = `${minutes} min`
  else if (minutes < 60 * 48) text = `${Math.floor(minutes / 60)} h ${minutes % 60} min`
  else text = `${Math.floor(minutes / 1440)} d ${Math.floor((minutes % 1440) / 60)} h`
  return overdue ? `overdue by ${text}` : `${text} left`
}

/**
 * Time left until `dueAt`, rendered by the server as of `renderedAt`; with JavaScript on it
 * counts down every second (the clock offset between server and browser is taken from the
 * render time, so a wrong local clock does not skew it).
 */
export function Countdown({ dueAt, renderedAt }: { dueAt: string; renderedAt: string }) {
  const due = Date.parse(dueAt)
  const [left, setLeft] = useState(due - Date.parse(renderedAt))
  useEffect(() => {
    const skew = Date.parse(renderedAt) - Date.now()
    const update = () => setLeft(due - (Date.now() + skew))
    const timer = setInterval(update, 1000)
    return () => clearInterval(timer)
  }, [due, renderedAt])
  return (
    <time dateTime={dueAt} data-countdown="">
      {formatTimeLeft(left)}
    </time>
  )
}
