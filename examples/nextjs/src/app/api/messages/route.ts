// app/api/messages/route.ts: POST /api/messages, for keys with messages:send.
import { getApiKey, withApiKey } from '@keyward/core/http'
import { keyward } from '../../../lib/keyward.js'

export const POST = withApiKey(
  keyward,
  async (request) => {
    const { to } = (await request.json().catch(() => ({}))) as { to?: string }
    return Response.json({ queued: true, to: to ?? null, sentBy: getApiKey(request)!.name }, { status: 202 })
  },
  // Behind Vercel's proxy the client address is in x-real-ip; without it nothing is throttled per address.
  { scopes: ['messages:send'], source: (request) => request.headers.get('x-real-ip') },
)
