/// <reference types="@remix-run/dev" />
/// <reference types="@remix-run/node" />

import type { AppLoadContext as LoadContext } from './app/utils/load-context.server'

declare module '@remix-run/node' {
  interface Future {
    v3_singleFetch: true
  }
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends LoadContext {}
}

declare module '@remix-run/server-runtime' {
  interface Future {
    v3_singleFetch: true
  }
}
