/**
 * Fields of the GET filter forms (incident list, analytics): plain inputs that keep their value in
 * the URL, so a filtered view is a link and works without JavaScript.
 */

const selectClass = 'mt-1 block w-full rounded-md border-slate-300 text-sm'

export function FilterCheckboxes({
  legend,
  name,
  options,
  checked,
  hint,
}: {
  legend: string
  name: string
  options: ReadonlyArray<{ value: string; label: string }>
  checked: readonly string[]
  hint?: string
}) {
  return (
    <fieldset>
      <legend className="text-sm font-medium text-slate-800">{legend}</legend>
      <div className="mt-1 grid grid-cols-2 gap-1 text-sm">
        {options.map((o) => (
          <label key={o.value} className="flex items-center gap-2">
            <input
              type="checkbox"
              name={name}
              value={o.value}
              defaultChecked={checked.includes(o.value)}
              className="rounded border-slate-300"
            />
            {o.label}
          </label>
        ))}
      </div>
      {hint ? <p className="mt-1 text-xs text-slate-500">{hint}</p> : null}
    </fieldset>
  )
}

/** A select of catalog entries or members, with an "any" first choice (empty value). */
export function FilterSelect({
  label,
  name,
  value,
  anyLabel,
  options,
  className = selectClass,
}: {
  label: string
  name: string
  value: string | null | undefined
  anyLabel: string
  options: ReadonlyArray<{ id: string; name: string }>
  className?: string
}) {
  return (
    <label className="block">
      <span className="font-medium text-slate-800">{label}</span>
      <select name={name} defaultValue={value ?? ''} className={className}>
        <option value="">{anyLabel}</option>
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    </label>
  )
}

/** Two date inputs side by side, `from` and `to`, for a filter's range of days. */
export function DateRangeFields({
  from,
  to,
  labels,
}: {
  from: string | null | undefined
  to: string | null | undefined
  labels: { from: string; to: string }
}) {
  return (
    <div className="grid grid-cols-2 gap-2">
      <label className="block">
        <span className="font-medium text-slate-800">{labels.from}</span>
        <input type="date" name="from" defaultValue={from ?? ''} className={selectClass} />
      </label>
      <label className="block">
        <span className="font-medium text-slate-800">{labels.to}</span>
        <input type="date" name="to" defaultValue={to ?? ''} className={selectClass} />
      </label>
    </div>
  )
}
