/**
 * What the demo answers when no route matched, or a route failed: a page for a browser, an
 * `application/problem+json` body for the APIs (`/api/…`, `/v1/…`) and any client that does not ask
 * for HTML. Neither quotes the address back (a key pasted into a URL must not come back).
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express'

const API_PATH = /^\/(?:api|v1)(?:\/|$)/

/** Whether `req` should get a page rather than problem+json. */
function wantsPage(req: Request): boolean {
  return !API_PATH.test(req.path) && req.accepts(['json', 'html']) === 'html'
}

function sendProblem(res: Response, status: 404 | 500, detail: string): void {
  const body = JSON.stringify({
    type: 'about:blank',
    title: status === 404 ? 'Not Found' : 'Internal Server Error',
    status,
    code: status === 404 ? 'not_found' : 'internal_error',
    detail,
  })
  res
    .status(status)
    .set({ 'content-type': 'application/problem+json', 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store' })
    .end(body)
}

/** The last handlers of the app: `sendPage(res, status)` renders the HTML page of a 404 or 500. */
export function fallbacks(sendPage: (res: Response, status: 404 | 500) => void): [RequestHandler, ErrorRequestHandler] {
  const notFound: RequestHandler = (req, res) => {
    if (wantsPage(req)) return sendPage(res.status(404), 404)
    sendProblem(res, 404, 'Nothing is here. The API is under /v1 (see /developers/endpoints); keys are managed under /api/keys.')
  }
  const failed: ErrorRequestHandler = (error, req, res, next) => {
    if (res.headersSent) return next(error)
    console.error('demo: a request failed:', error instanceof Error ? error.message : error)
    if (wantsPage(req)) return sendPage(res.status(500), 500)
    sendProblem(res, 500, 'The server failed to answer this request. Try again in a moment.')
  }
  return [notFound, failed]
}
