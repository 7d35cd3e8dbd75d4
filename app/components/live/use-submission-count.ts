import { useNavigation } from '@remix-run/react'
import { useEffect, useRef, useState } from 'react'

/**
 * How many form submissions of this page have finished (`finished`: the page's data is reloaded
 * and the navigation idle) or been answered (`answered`: the action has replied; the reload may
 * still run). A page that keys its forms by the finished count starts them empty after the
 * person's own submission, but keeps what they type while live updates reload the page's data
 * underneath (keying by the incident's version would wipe it).
 */
export function useSubmissionCount(until: 'finished' | 'answered' = 'finished'): number {
  const navigation = useNavigation()
  const submitting = useRef(false)
  const [count, setCount] = useState(0)
  const busy =
    until === 'answered'
      ? navigation.state === 'submitting'
      : navigation.state !== 'idle' && navigation.formMethod !== undefined
  useEffect(() => {
    if (busy) submitting.current = true
    else if (submitting.current) {
      submitting.current = false
      setCount((n) => n + 1)
    }
  }, [busy])
  return count
}
