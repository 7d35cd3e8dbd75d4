import { createContext, useContext } from 'react'

/** Carries the request's CSP nonce from entry.server to the <Scripts> in root. */
export const NonceContext = createContext<string | undefined>(undefined)

export const useNonce = () => useContext(NonceContext)
