import { NavLink, useLocation } from '@remix-run/react'
import { useEffect, useRef } from 'react'

export interface SettingsLink {
  to: string
  label: string
}

const itemClass = ({ isActive }: { isActive: boolean }) =>
  `block rounded px-3 py-1.5 ${isActive ? 'bg-brand-50 font-medium text-brand-700' : 'text-slate-700 hover:bg-slate-100 hover:text-slate-900'}`

/**
 * The header's "Settings" entry: a disclosure that opens without JavaScript (`<details>`), listing
 * the settings pages and `/settings`, which lists them too. With JavaScript it also closes on
 * Escape (focus back on "Settings"), on a click or focus outside it, and after a navigation.
 */
export function SettingsMenu({ pages }: { pages: SettingsLink[] }) {
  const menu = useRef<HTMLDetailsElement>(null)
  const location = useLocation()
  const inSettings = location.pathname === '/settings' || location.pathname.startsWith('/admin/')

  useEffect(() => {
    if (menu.current) menu.current.open = false
  }, [location.key])

  useEffect(() => {
    const details = menu.current
    if (!details) return
    const close = () => {
      details.open = false
    }
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || !details.open) return
      const hadFocus = details.contains(document.activeElement)
      close()
      if (hadFocus) details.querySelector('summary')?.focus()
    }
    const onPointerDown = (event: PointerEvent) => {
      if (details.open && !details.contains(event.target as Node)) close()
    }
    const onFocusOut = (event: FocusEvent) => {
      const next = event.relatedTarget as Node | null
      if (next && !details.contains(next)) close()
    }
    document.addEventListener('keydown', onKeyDown)
    document.addEventListener('pointerdown', onPointerDown)
    details.addEventListener('focusout', onFocusOut)
    return () => {
      document.removeEventListener('keydown', onKeyDown)
      document.removeEventListener('pointerdown', onPointerDown)
      details.removeEventListener('focusout', onFocusOut)
    }
  }, [])

  return (
    <details ref={menu} className="relative" data-settings-menu>
      <summary
        className={`flex cursor-pointer list-none items-center gap-1 rounded px-2 py-1 [&::-webkit-details-marker]:hidden ${inSettings ? 'bg-brand-50 font-medium text-brand-700' : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900'}`}
      >
        Settings
        <svg aria-hidden="true" viewBox="0 0 20 20" className="h-4 w-4 fill-current">
          <path d="M5.5 7.5 10 12l4.5-4.5z" />
        </svg>
      </summary>
      <ul className="z-20 mt-1 w-60 rounded-md border border-slate-200 bg-white p-1 shadow-lg sm:absolute sm:left-0">
        <li>
          <NavLink to="/settings" end className={itemClass}>
            All settings
          </NavLink>
        </li>
        {pages.map((page) => (
          <li key={page.to}>
            <NavLink to={page.to} className={itemClass}>
              {page.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </details>
  )
}
