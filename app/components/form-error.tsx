/** A message about the whole form (not one field), announced to screen readers. */
export function FormError({ id, errors }: { id?: string; errors?: string[] | null }) {
  if (!errors?.length) return null
  return (
    <div
      id={id}
      role="alert"
      className="mb-4 rounded-md border border-red-300 bg-red-50 px-4 py-3 text-sm text-red-900"
    >
      {errors.map((e) => (
        <p key={e}>{e}</p>
      ))}
    </div>
  )
}
