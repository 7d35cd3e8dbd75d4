import { useSyncExternalStore } from 'react'

const noSubscription = () => () => {}

/** False in the server's HTML and during hydration, true once the page runs in the browser. */
export function useHydrated() {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  )
}
