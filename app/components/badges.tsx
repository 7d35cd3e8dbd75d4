import {
  SEVERITY_DESCRIPTIONS,
  STATUS_LABELS,
  type IncidentStatus,
  type Severity,
} from '~/domain/incident/vocabulary'

const base =
  'inline-flex items-center gap-1 rounded-full border px-2 py-0.5 text-xs font-semibold whitespace-nowrap'

const statusStyle: Record<IncidentStatus, string> = {
  detected: 'border-red-300 bg-red-50 text-red-800',
  investigating: 'border-amber-300 bg-amber-50 text-amber-900',
  mitigated: 'border-sky-300 bg-sky-50 text-sky-900',
  resolved: 'border-emerald-300 bg-emerald-50 text-emerald-900',
  postmortem: 'border-violet-300 bg-violet-50 text-violet-900',
  closed: 'border-slate-300 bg-slate-100 text-slate-700',
}

/** A status always reads as its word; the colour only repeats it. */
export function StatusBadge({ status }: { status: IncidentStatus }) {
  return (
    <span className={`${base} ${statusStyle[status]}`} data-status={status}>
      <span aria-hidden="true" className="h-1.5 w-1.5 rounded-full bg-current" />
      {STATUS_LABELS[status]}
    </span>
  )
}

const severityStyle: Record<Severity, string> = {
  'SEV-1': 'border-red-700 bg-red-700 text-white',
  'SEV-2': 'border-orange-500 bg-orange-100 text-orange-900',
  'SEV-3': 'border-yellow-400 bg-yellow-50 text-yellow-900',
  'SEV-4': 'border-slate-300 bg-white text-slate-700',
}

export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <span
      className={`${base} ${severityStyle[severity]}`}
      title={SEVERITY_DESCRIPTIONS[severity]}
      data-severity={severity}
    >
      {severity}
    </span>
  )
}
