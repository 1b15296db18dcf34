// app/api/me/route.ts: GET /api/me, for any valid key.
import { getApiKey, withApiKey } from '@keyward/core/http'
import { keyward } from '../../../lib/keyward.js'

export const GET = withApiKey(keyward, async (request) => {
  const key = getApiKey(request)!
  return Response.json({ id: key.id, name: key.name, scopes: key.scopes })
})
