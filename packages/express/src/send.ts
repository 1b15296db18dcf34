import { problemJson, type HttpFailureResponse } from '@keyward/core/http'
import type { Response } from 'express'

/** Write a refusal exactly as core renders it: status, lowercase headers, problem+json bytes. */
export function sendFailure(res: Response, response: HttpFailureResponse): void {
  const body = problemJson(response)
  res.statusCode = response.status
  for (const name in response.headers) res.setHeader(name, response.headers[name]!)
  res.setHeader('content-length', Buffer.byteLength(body))
  res.end(body)
}
