import type { Flash } from '~/utils/flash.server'

const styles: Record<Flash['kind'], { box: string; label: string }> = {
  success: { box: 'border-emerald-300 bg-emerald-50 text-emerald-900', label: 'Done' },
  info: { box: 'border-sky-300 bg-sky-50 text-sky-900', label: 'Note' },
  warning: { box: 'border-amber-300 bg-amber-50 text-amber-900', label: 'Warning' },
  error: { box: 'border-red-300 bg-red-50 text-red-900', label: 'Error' },
}

export function FlashBanner({ flash }: { flash: Flash }) {
  const style = styles[flash.kind]
  return (
    <div
      role={flash.kind === 'error' || flash.kind === 'warning' ? 'alert' : 'status'}
      className={`rounded-md border px-4 py-3 text-sm ${style.box}`}
    >
      {/* A real space: the text (and what screen readers say) is "Done: …", not "Done:…". */}
      <strong className="mr-1 font-semibold">{style.label}:</strong> {flash.message}
    </div>
  )
}
