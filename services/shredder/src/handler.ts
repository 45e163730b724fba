import { AmpsealError, buildSubjectRequest, isRequestId, ROAMING_AFTER_SUBJECT_REQUEST, type SubjectReceipt, type SubjectRequest } from '@ampseal/core';
import type { ConsumedRecord, OutputRecord, StreamHandler } from '@ampseal/kafka';
import type { KeyRing } from '@ampseal/keyring';
import type { Logger, Topics } from '@ampseal/service-kit';

/**
 * Requests → receipts, inside the stream's transaction (exactly once): the key-ring work is idempotent per
 * request id, so a chunk replayed after a crash returns the same receipt. Audit lines carry ids and counts,
 * never identifiers, tokens or the free-text reason.
 */
export function createRequestHandler(deps: {
  /** Started before the handler is built. */
  readonly keyring: KeyRing;
  readonly topics: Topics;
  readonly logger: Logger;
  readonly clock?: () => number;
}): StreamHandler {
  const clock = deps.clock ?? Date.now;
  const audit = deps.logger.child({ component: 'audit' });

  const execute = async (request: SubjectRequest): Promise<{ receipt: SubjectReceipt; journal: OutputRecord[] }> => {
    const { keyring } = deps;
    const now = clock();
    const common = {
      version: 1 as const,
      requestId: request.requestId,
      tenant: request.tenant,
      action: request.action,
      status: 'done' as const,
      requestedAt: request.requestedAt,
      subjects: request.identifiers.length,
    };
    // Unrestrict lifts a flag; erase and restrict say that roaming delivery to the token issuer continues.
    const roaming = request.action === 'unrestrict' ? {} : { roaming: ROAMING_AFTER_SUBJECT_REQUEST };
    if (request.action === 'erase') {
      const result = await keyring.erase(request.tenant, request.identifiers, {
        requestId: request.requestId,
        erasedAt: now,
        ...(request.withLinked ? { withLinked: true } : {}),
      });
      const tombstones = result.tombstones ?? [];
      // A replayed request returns the stored result: its receipt keeps the original erasure time.
      const erasedAt = tombstones.length > 0 ? Math.max(...tombstones.map((t) => t.erasedAt)) : now;
      const journal = tombstones.map((t) => ({
        topic: deps.topics.tombstones,
        // One journal key per (subject, request): compaction never lets an older erasure replace a newer one (SPEC K30).
        key: `${t.tenant}:${t.blindIndex}:${t.requestId}`,
        value: JSON.stringify(t),
      }));
      return {
        receipt: {
          ...common,
          ...roaming,
          completedAt: new Date(now).toISOString(),
          erasedAt: new Date(erasedAt).toISOString(),
          erased: result.erased,
          alreadyErased: result.alreadyErased,
          retiredTokens: result.retiredTokens,
          ...(result.tokensNotComputed ? { tokensNotComputed: result.tokensNotComputed } : {}),
          ...(result.linked !== undefined ? { linked: result.linked } : {}),
        },
        journal,
      };
    }
    const states = await keyring.currentTokens(request.tenant, request.identifiers);
    const changed = await keyring.restrict(request.tenant, request.identifiers, request.action === 'restrict');
    return {
      receipt: {
        ...common,
        ...roaming,
        completedAt: new Date(now).toISOString(),
        changed,
        affectedTokens: states.flatMap((s) => (s.token ? [s.token] : [])),
      },
      journal: [],
    };
  };

  return async (records: readonly ConsumedRecord[]): Promise<OutputRecord[]> => {
    const outputs: OutputRecord[] = [];
    for (const record of records) {
      let raw: unknown;
      try {
        raw = JSON.parse(record.value?.toString('utf8') ?? '');
      } catch {
        raw = undefined;
      }
      const built = buildSubjectRequest(raw);
      if (!built.ok) {
        const key = record.key?.toString('utf8') ?? '';
        const requestId = isRequestId(key) ? key : `${record.topic}:${record.partition}:${record.offset}`;
        const tenant = typeof (raw as { tenant?: unknown })?.tenant === 'string' ? String((raw as { tenant: string }).tenant).slice(0, 63) : '';
        const receipt: SubjectReceipt = {
          version: 1,
          requestId,
          tenant,
          action: 'erase',
          status: 'failed',
          error: 'bad_request',
          completedAt: new Date(clock()).toISOString(),
          subjects: 0,
        };
        audit.warn({ event: 'subject_request.failed', requestId, problem: built.problem }, 'request refused');
        outputs.push({ topic: deps.topics.erasureEvents, key: requestId, value: JSON.stringify(receipt) });
        continue;
      }
      let executed: Awaited<ReturnType<typeof execute>>;
      try {
        executed = await execute(built.value);
      } catch (err) {
        // A request the key ring refuses for good (the tenant's root key refused, a corrupt stored key) is answered
        // with a failed receipt naming the reason, and the requests behind it go on; a retriable failure (Redis or
        // KMS down) fails the chunk, which is retried as a whole.
        if (!(err instanceof AmpsealError) || err.retriable) throw err;
        const { requestId, tenant, action } = built.value;
        const receipt: SubjectReceipt = {
          version: 1,
          requestId,
          tenant,
          action,
          status: 'failed',
          error: err.reason,
          requestedAt: built.value.requestedAt,
          completedAt: new Date(clock()).toISOString(),
          subjects: built.value.identifiers.length,
        };
        audit.warn({ event: 'subject_request.failed', requestId, tenant, reason: err.reason }, 'request failed');
        outputs.push({ topic: deps.topics.erasureEvents, key: requestId, value: JSON.stringify(receipt) });
        continue;
      }
      const { receipt, journal } = executed;
      outputs.push(...journal);
      outputs.push({ topic: deps.topics.erasureEvents, key: receipt.requestId, value: JSON.stringify(receipt) });
      audit.info(
        {
          event: 'subject_request.done',
          requestId: receipt.requestId,
          tenant: receipt.tenant,
          action: receipt.action,
          subjects: receipt.subjects,
          erased: receipt.erased,
          alreadyErased: receipt.alreadyErased,
          linked: receipt.linked,
          changed: receipt.changed,
          tokenCount: (receipt.retiredTokens ?? receipt.affectedTokens ?? []).length,
        },
        'request executed',
      );
    }
    return outputs;
  };
}
