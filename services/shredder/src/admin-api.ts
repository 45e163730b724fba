import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AmpsealError, buildSubjectRequest, type SubjectRequest } from '@ampseal/core';
import type { Logger } from '@ampseal/service-kit';
import type { StatusIndex } from './status-index';

const MAX_BODY = 64 * 1024;
export const ADMIN_PREFIX = '/admin/v1/requests';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Bearer-token check in constant time: both sides are hashed first, so neither the token's length nor its
 * prefix can be learnt from response timing.
 */
export function authorized(header: string | undefined, expected: Buffer): boolean {
  const given = header?.startsWith('Bearer ') ? header.slice(7) : '';
  return timingSafeEqual(digest(given), expected);
}

function send(res: ServerResponse, status: number, body: unknown): number {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  return status;
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The shredder's admin API for ops tools: submit a data-subject request, read its status. Every call is
 * authenticated and audited (method, route, outcome, request id, tenant, counts: never an identifier).
 */
export function adminApi(deps: {
  readonly token: string;
  readonly submit: (request: SubjectRequest) => Promise<void>;
  readonly status: StatusIndex;
  readonly logger: Logger;
}): (req: IncomingMessage, res: ServerResponse) => void {
  const expected = digest(deps.token);
  const audit = deps.logger.child({ component: 'audit' });
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    const log = (status: number, extra: Record<string, unknown> = {}) =>
      audit.info({ event: 'admin.call', method: req.method, route: path.startsWith(`${ADMIN_PREFIX}/`) ? `${ADMIN_PREFIX}/:id` : path, status, ...extra }, 'admin call');

    if (!authorized(req.headers.authorization, expected)) {
      req.resume();
      log(send(res, 401, { error: 'unauthorized' }));
      return;
    }
    void (async () => {
      if (req.method === 'POST' && path === ADMIN_PREFIX) {
        const text = await readBody(req);
        if (text === undefined) return log(send(res, 413, { error: 'body_too_large' }));
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          return log(send(res, 400, { error: 'bad_json' }));
        }
        const withId = typeof body === 'object' && body !== null ? { requestId: randomUUID(), ...(body as object) } : body;
        const built = buildSubjectRequest(withId);
        if (!built.ok) return log(send(res, 400, { error: 'bad_request', problem: built.problem }));
        const request = built.value;
        await deps.submit(request);
        deps.status.pending(request.requestId, request.requestedAt);
        return log(send(res, 202, { requestId: request.requestId, status: 'pending' }), {
          requestId: request.requestId,
          tenant: request.tenant,
          action: request.action,
          subjects: request.identifiers.length,
        });
      }
      if (req.method === 'GET' && path.startsWith(`${ADMIN_PREFIX}/`)) {
        const requestId = decodeURIComponent(path.slice(ADMIN_PREFIX.length + 1));
        const status = deps.status.get(requestId);
        if (!status) return log(send(res, 404, { error: 'unknown_request' }), { requestId: requestId.slice(0, 128) });
        return log(send(res, 200, status), { requestId });
      }
      return log(send(res, 404, { error: 'not_found' }));
    })().catch((err: unknown) => {
      // The request id already erased other subjects (K16): a conflict, nothing was accepted.
      if (err instanceof AmpsealError && err.code === 'AMPSEAL_ERR_REQUEST_ID_REUSED') {
        return log(send(res, 409, { error: err.reason, problem: err.message }));
      }
      // A dependency (Kafka) failed: nothing was accepted.
      log(send(res, 503, { error: 'unavailable' }), { err: { name: (err as Error).name } });
    });
  };
}
