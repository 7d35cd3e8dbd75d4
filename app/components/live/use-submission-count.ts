import { useNavigation } from '@remix-run/react'
import { useEffect, useRef, useState } from 'react'

/**
 * How many form submissions of this page have finished. A page that keys its forms by it starts
 * them empty after the person's own submission, but keeps what they type while live updates
 * reload the page's data underneath (keying by the incident's version would wipe it).
 */
export function useSubmissionCount(): number {
  const navigation = useNavigation()
  const submitting = useRef(false)
  const [count, setCount] = useState(0)
  const busy = navigation.state !== 'idle' && navigation.formMethod !== undefined
  useEffect(() => {
    if (busy) submitting.current = true
    else if (submitting.current) {
      submitting.current = false
      setCount((n) => n + 1)
    }
  }, [busy])
  return count
}
