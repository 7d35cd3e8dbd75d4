import { Link, NavLink, useRouteLoaderData } from '@remix-run/react'
import type { ReactNode } from 'react'
import type { loader as rootLoader } from '../root'
import { FlashBanner } from './flash-banner'

type RootData = ReturnType<typeof useRouteLoaderData<typeof rootLoader>>

export interface NavItem {
  to: string
  label: string
}

/**
 * The frame of every page: skip link, header with product name and navigation, flash message,
 * main content. Plain links and forms only, so it works without JavaScript.
 */
export function AppShell({ children, data }: { children: ReactNode; data?: RootData | null }) {
  const loaded = useRouteLoaderData<typeof rootLoader>('root')
  const root = data === undefined ? loaded : data
  const nav: NavItem[] = root?.showDevTools ? [{ to: '/dev/outbox', label: 'Outbox' }] : []
  return (
    <div className="flex min-h-screen flex-col">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:shadow"
      >
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white" data-no-print>
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
          <Link to="/" className="flex items-center gap-2 font-semibold text-slate-900">
            <img src="/favicon.svg" alt="" width={24} height={24} />
            <span>IncidentFlow</span>
          </Link>
          {nav.length > 0 ? (
            <nav aria-label="Main" className="flex flex-1 flex-wrap gap-1 text-sm">
              {nav.map((item) => (
                <NavLink
                  key={item.to}
                  to={item.to}
                  className={({ isActive }) =>
                    `rounded px-2 py-1 ${isActive ? 'bg-brand-50 font-medium text-brand-700' : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900'}`
                  }
                >
                  {item.label}
                </NavLink>
              ))}
            </nav>
          ) : (
            <div className="flex-1" />
          )}
        </div>
      </header>
      {root?.flash ? (
        <div className="mx-auto w-full max-w-6xl px-4 pt-4">
          <FlashBanner flash={root.flash} />
        </div>
      ) : null}
      <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-4 py-6 sm:py-8">
        {children}
      </main>
      <footer
        className="border-t border-slate-200 bg-white py-4 text-center text-xs text-slate-500"
        data-no-print
      >
        IncidentFlow · every change recorded
      </footer>
    </div>
  )
}
