import { useNavigation } from '@remix-run/react'
import {
  useId,
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from 'react'

export type ListOfErrors = Array<string | null | undefined> | null | undefined

/** Field errors, announced and linked to their control through `id`. */
export function ErrorList({ id, errors }: { id?: string; errors?: ListOfErrors }) {
  const messages = errors?.filter((e): e is string => Boolean(e))
  if (!messages?.length) return null
  return (
    <ul id={id} className="mt-1 space-y-0.5 text-sm text-red-700">
      {messages.map((message) => (
        <li key={message}>{message}</li>
      ))}
    </ul>
  )
}

interface FieldFrame {
  label: ReactNode
  hint?: ReactNode
  errors?: ListOfErrors
  className?: string
}

function useFieldIds(id: string | undefined, errors: ListOfErrors, hint: ReactNode) {
  const fallback = useId()
  const controlId = id ?? fallback
  const errorId = `${controlId}-error`
  const hintId = `${controlId}-hint`
  const hasErrors = Boolean(errors?.some(Boolean))
  const describedBy =
    [hint ? hintId : null, hasErrors ? errorId : null].filter(Boolean).join(' ') || undefined
  // What the control itself carries: its id, its error state and what describes it.
  const control = {
    id: controlId,
    'aria-invalid': hasErrors || undefined,
    'aria-describedby': describedBy,
    className: controlClass,
  }
  return { controlId, errorId, hintId, hasErrors, describedBy, control }
}

const controlClass =
  'mt-1 block w-full rounded-md border-slate-300 shadow-sm focus:border-brand-600 focus:ring-brand-600 aria-[invalid=true]:border-red-600 aria-[invalid=true]:ring-red-600 sm:text-sm'

function Frame({
  frame,
  ids,
  children,
}: {
  frame: FieldFrame
  ids: ReturnType<typeof useFieldIds>
  children: ReactNode
}) {
  return (
    <div className={frame.className ?? 'mb-4'}>
      <label htmlFor={ids.controlId} className="block text-sm font-medium text-slate-800">
        {frame.label}
      </label>
      {children}
      {frame.hint ? (
        <p id={ids.hintId} className="mt-1 text-xs text-slate-500">
          {frame.hint}
        </p>
      ) : null}
      <ErrorList id={ids.errorId} errors={frame.errors} />
    </div>
  )
}

export function Field({
  label,
  hint,
  errors,
  className,
  ...input
}: FieldFrame & InputHTMLAttributes<HTMLInputElement>) {
  const ids = useFieldIds(input.id, errors, hint)
  return (
    <Frame frame={{ label, hint, errors, className }} ids={ids}>
      <input {...input} {...ids.control} />
    </Frame>
  )
}

export function TextareaField({
  label,
  hint,
  errors,
  className,
  ...textarea
}: FieldFrame & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const ids = useFieldIds(textarea.id, errors, hint)
  return (
    <Frame frame={{ label, hint, errors, className }} ids={ids}>
      <textarea rows={5} {...textarea} {...ids.control} />
    </Frame>
  )
}

export function SelectField({
  label,
  hint,
  errors,
  className,
  options,
  ...select
}: FieldFrame &
  SelectHTMLAttributes<HTMLSelectElement> & { options: Array<{ value: string; label: string }> }) {
  const ids = useFieldIds(select.id, errors, hint)
  // A form posted back with the field given twice echoes both values; a single select shows one.
  const defaultValue =
    !select.multiple && Array.isArray(select.defaultValue)
      ? (select.defaultValue as readonly string[])[0]
      : select.defaultValue
  return (
    <Frame frame={{ label, hint, errors, className }} ids={ids}>
      <select {...select} defaultValue={defaultValue} {...ids.control}>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </Frame>
  )
}

/**
 * A submit button that says it is working while its form is in flight (with JavaScript on). With
 * JavaScript off it is a plain button and the browser shows its own progress.
 */
export function SubmitButton({
  children,
  pendingLabel,
  variant = 'primary',
  ...button
}: ButtonHTMLAttributes<HTMLButtonElement> & {
  pendingLabel?: string
  variant?: 'primary' | 'secondary' | 'danger'
}) {
  const navigation = useNavigation()
  const intent = navigation.formData?.get('intent')
  const pending =
    navigation.state === 'submitting' &&
    (button.name === 'intent' ? intent === button.value : intent == null)
  const styles = {
    primary: 'bg-brand-600 text-white hover:bg-brand-700 border-transparent',
    secondary: 'bg-white text-slate-800 hover:bg-slate-50 border-slate-300',
    danger: 'bg-red-700 text-white hover:bg-red-800 border-transparent',
  }[variant]
  return (
    <button
      type="submit"
      {...button}
      aria-disabled={pending || undefined}
      className={`inline-flex items-center justify-center rounded-md border px-4 py-2 text-sm font-semibold shadow-sm disabled:opacity-60 aria-disabled:cursor-wait aria-disabled:opacity-70 ${styles} ${button.className ?? ''}`}
    >
      {pending && pendingLabel ? pendingLabel : children}
    </button>
  )
}
