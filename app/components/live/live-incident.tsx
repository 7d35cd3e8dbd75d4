import { useLiveUpdates } from './use-live-updates'

/**
 * Keeps the incident page live (see useLiveUpdates) and says who else has it open. Rendered on
 * the server as nothing: without JavaScript there is no stream and no "Viewing now".
 */
export function LiveIncident({ number, version }: { number: number; version: number }) {
  const { viewers } = useLiveUpdates(`/live/incidents/${number}`, version)
  if (viewers.length === 0) return null
  return (
    <p className="text-sm text-slate-600" aria-live="polite">
      <span className="font-medium text-slate-800">Viewing now:</span> {viewers.join(', ')}
    </p>
  )
}

/** Keeps the incident list or the home page live: their rows reload when an incident changes. */
export function LiveIncidentList() {
  useLiveUpdates('/live/incidents')
  return null
}
