import type { ActionFunctionArgs } from '@remix-run/node'
import { redirect } from '@remix-run/node'
import { logOut } from '~/domain/access/accounts.server'
import { getViewer } from '~/domain/access/guard.server'
import { clearSessionCookie } from '~/domain/access/session.server'

/** Logging out only ever happens by POST, so a link or an image cannot sign anyone out. */
export async function loader() {
  return redirect('/')
}

export async function action({ request, context }: ActionFunctionArgs) {
  const viewer = await getViewer(request, context)
  if (viewer) await logOut(context.orm, viewer.sessionId)
  return redirect('/login', { headers: { 'Set-Cookie': await clearSessionCookie(context.env) } })
}
