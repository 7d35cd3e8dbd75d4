import type { LoaderFunctionArgs } from '@remix-run/node'
import { redirect } from '@remix-run/node'
import * as z from '~/utils/zod'
import { createSession } from '~/domain/access/session.server'
import {
  MAGIC_LINK_TYPES,
  supabaseEnabled,
  supabaseVerifyMagicLink,
} from '~/domain/access/supabase.server'
import { redirectWithRefusal } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'

const querySchema = z.object({
  token_hash: z.string().min(8).max(512),
  type: z.enum(MAGIC_LINK_TYPES).default('magiclink'),
})

/**
 * The target of a Supabase magic link (`…/auth/supabase/confirm?token_hash=…&type=magiclink`):
 * the one-time token is exchanged server-side and the person is signed in.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  if (!supabaseEnabled(context.env)) throw new Response('Not found', { status: 404 })
  const parsed = querySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams))
  if (!parsed.success) {
    return redirectWithFlash(
      '/login',
      { kind: 'error', message: 'This sign-in link is incomplete.' },
      context.env,
    )
  }
  try {
    const signedIn = await supabaseVerifyMagicLink(
      context.orm,
      context.env,
      parsed.data.token_hash,
      parsed.data.type,
    )
    const session = await createSession(context.orm, context.env, {
      userId: signedIn.user.id,
      organizationId: signedIn.organizationId,
      ip: context.clientIp,
      userAgent: request.headers.get('user-agent'),
    })
    return redirect('/', { headers: { 'Set-Cookie': session.setCookie } })
  } catch (error) {
    return redirectWithRefusal(error, '/login', context.env)
  }
}
