import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { AmpsealError } from '@ampseal/core';
import type { Instruments } from './instruments';
import type { ApplyTombstonesResult, KeyRingLogger, TombstoneRecord } from './keyring';
import type {
  ErasureWrite,
  ErasureWriteOutcome,
  StoredErasureResult,
  SubjectState,
  SubjectStore,
  TenantOps,
} from './store';

/**
 * Subject keys, tombstones, erasure results and key-set blobs in Redis (SPEC K12–K20, K24, K29–K31). The only module
 * that imports ioredis (K28). Every state change is one Lua script, so it is atomic across instances; every
 * call of the engine is one pipeline, so one round trip (K13). Keys carry `{tenant}` as a hash tag, so each
 * script call touches one cluster slot.
 */

/**
 * `subjects`: per subject (KEYS: record, tombstone; ARGV: create, maxAt, candidate generation, candidate
 * wrapped key, set-restricted -1|0|1) returns status, generation, wrapped, restricted, changed, tombstone
 * generation, erasedAt. A record at or below its tombstone is deleted and ignored (K20); a key is created only
 * with no usable record, when no tombstone covers the latest event (K17), and only for the generation the
 * tombstone implies (K18). Mirrored step for step by MemorySubjectStore.
 */
const SUBJECTS_LUA = `
local out = {}
for i = 1, #KEYS / 2 do
  local sk, tk = KEYS[2 * i - 1], KEYS[2 * i]
  local a = (i - 1) * 5
  local rec = redis.call('HMGET', sk, 'g', 'k', 'r')
  local tomb = redis.call('HMGET', tk, 'g', 'at')
  local rg, tg, tat = tonumber(rec[1]), tonumber(tomb[1]), tonumber(tomb[2])
  if rg and tg and rg <= tg then
    redis.call('DEL', sk)
    rg = nil
  end
  local status, g, k, r, changed = 'absent', '0', '', '0', '0'
  if rg then
    status, g, k, r = 'existing', rec[1], rec[2] or '', rec[3] or '0'
  elseif ARGV[a + 1] == '1' and (not tg or tonumber(ARGV[a + 2]) > tat) then
    local need = 1
    if tg then need = tg + 1 end
    if tonumber(ARGV[a + 3]) ~= need then
      status = 'conflict'
    else
      redis.call('HSET', sk, 'g', ARGV[a + 3], 'k', ARGV[a + 4], 'r', '0')
      status, g, k, r = 'created', ARGV[a + 3], ARGV[a + 4], '0'
    end
  end
  local want = ARGV[a + 5]
  if want ~= '-1' and (status == 'existing' or status == 'created') and r ~= want then
    redis.call('HSET', sk, 'r', want)
    r, changed = want, '1'
  end
  out[#out + 1] = status
  out[#out + 1] = g
  out[#out + 1] = k
  out[#out + 1] = r
  out[#out + 1] = changed
  out[#out + 1] = tomb[1] or '-1'
  out[#out + 1] = tomb[2] or ''
end
return out
`;

/**
 * `erase` (K15, K16, K19, K29): KEYS[1] the request's result, then record/tombstone pairs; ARGV erasedAt,
 * request id, result JSON, then per subject what the caller read: usable generation, tombstone generation (-1
 * for none), tombstone erasedAt ('' for none). A known request id returns its result and changes nothing; any
 * subject or tombstone changed since the read aborts everything (so the tombstones in the result JSON are the
 * ones written); otherwise every record goes, every tombstone gets the highest generation and the latest
 * erasedAt, and the result is stored.
 */
const ERASE_LUA = `
local done = redis.call('GET', KEYS[1])
if done then return {'done', done} end
local n = (#KEYS - 1) / 2
local live, tgs = {}, {}
for i = 1, n do
  local rg = tonumber(redis.call('HGET', KEYS[2 * i], 'g'))
  local tomb = redis.call('HMGET', KEYS[2 * i + 1], 'g', 'at')
  local tg, tat = tonumber(tomb[1]), tonumber(tomb[2])
  local g = 0
  if rg and (not tg or rg > tg) then g = rg end
  local a = 3 * i
  if g ~= tonumber(ARGV[a + 1]) or (tg or -1) ~= tonumber(ARGV[a + 2]) or tat ~= tonumber(ARGV[a + 3]) then
    return {'conflict'}
  end
  live[i], tgs[i] = g, tg or 0
end
local at = tonumber(ARGV[1])
for i = 1, n do
  local tk = KEYS[2 * i + 1]
  redis.call('DEL', KEYS[2 * i])
  local g = live[i]
  if g == 0 then g = tgs[i] end
  local newAt = ARGV[1]
  local oldAt = redis.call('HGET', tk, 'at')
  if oldAt and tonumber(oldAt) > at then newAt = oldAt end
  redis.call('HSET', tk, 'g', tostring(g), 'at', newAt, 'req', ARGV[2])
end
redis.call('SET', KEYS[1], ARGV[3])
return {'ok'}
`;

/**
 * `apply` (K31): record/tombstone pairs; ARGV per subject: generation, erasedAt, request id. Per subject, the
 * record is written if newer than the stored tombstone (higher generation, or the same and a later erasedAt),
 * then a subject record at or below the resulting tombstone's generation is deleted (K20). Returns the number
 * of tombstones written and of records deleted. The result is the newest record per subject whatever the
 * order, so re-running it changes nothing. Mirrored step for step by MemorySubjectStore.
 */
const APPLY_LUA = `
local applied, deleted = 0, 0
for i = 1, #KEYS / 2 do
  local sk, tk = KEYS[2 * i - 1], KEYS[2 * i]
  local a = (i - 1) * 3
  local g, at = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local cur = redis.call('HMGET', tk, 'g', 'at')
  local cg, cat = tonumber(cur[1]), tonumber(cur[2])
  if not cg or g > cg or (g == cg and (not cat or at > cat)) then
    redis.call('HSET', tk, 'g', ARGV[a + 1], 'at', ARGV[a + 2], 'req', ARGV[a + 3])
    applied = applied + 1
    cg = g
  end
  local rg = tonumber(redis.call('HGET', sk, 'g'))
  if rg and rg <= cg then
    redis.call('DEL', sk)
    deleted = deleted + 1
  end
end
return {applied, deleted}
`;

/** `keyset` (K3): create-if-absent; returns the stored blobs, ours or the winner's. */
const KEYSET_LUA = `
local cur = redis.call('HMGET', KEYS[1], 'wrap', 'index')
if cur[1] and cur[2] then return {'existing', cur[1], cur[2]} end
redis.call('HSET', KEYS[1], 'v', '1', 'wrap', ARGV[1], 'index', ARGV[2])
return {'created', ARGV[1], ARGV[2]}
`;

interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const SUBJECTS = script(SUBJECTS_LUA);
const ERASE = script(ERASE_LUA);
const APPLY = script(APPLY_LUA);
const KEYSET = script(KEYSET_LUA);

/** Subjects per script call: bounds how long one call holds Redis (≈ µs per subject). */
const SUBJECTS_PER_CALL = 500;

type Command =
  | { readonly script: Script; readonly keys: readonly string[]; readonly args: readonly string[] }
  | { readonly command: 'get' | 'hmget' | 'smembers' | 'sadd'; readonly args: readonly string[] };

/** The two KMS ciphertext blobs of a tenant key set (K2), base64. */
export interface StoredKeySet {
  readonly wrap: string;
  readonly index: string;
}

export interface RedisStoreOptions {
  readonly redisUrl: string;
  /** Prepended to every key (K24); tests use a unique one. */
  readonly keyPrefix: string;
  readonly commandTimeoutMs?: number;
  readonly logger?: KeyRingLogger;
}

function unavailable(what: string, err?: unknown): AmpsealError {
  // Only the error class travels: ioredis errors carry the command and its arguments (blind indexes, K26).
  const name = err instanceof Error ? err.name : undefined;
  return new AmpsealError('KEYRING_UNAVAILABLE', name ? `${what} (${name})` : what);
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

export class RedisStore implements SubjectStore {
  private readonly redis: Redis;
  private warned = false;

  constructor(
    private readonly options: RedisStoreOptions,
    private readonly instruments: Instruments,
  ) {
    this.redis = new Redis(options.redisUrl, {
      lazyConnect: true,
      // Fail closed fast (design §7): a command fails after one reconnection attempt instead of queueing for
      // minutes; the processor pauses on the retriable error and retries the batch.
      maxRetriesPerRequest: 1,
      connectTimeout: 3_000,
      commandTimeout: options.commandTimeoutMs ?? 5_000,
    });
    this.redis.on('error', (err: unknown) => {
      if (this.warned) return;
      this.warned = true;
      const name = err instanceof Error ? err.name : 'unknown';
      const code = (err as { code?: unknown } | null)?.code;
      options.logger?.warn({ event: 'keyring.redis.error', error: name, code: typeof code === 'string' ? code : undefined });
    });
    this.redis.on('ready', () => {
      this.warned = false;
    });
  }

  async start(): Promise<void> {
    if (this.redis.status === 'wait') {
      try {
        await this.redis.connect();
      } catch (err) {
        throw unavailable('redis connection failed', err);
      }
    }
    // Loaded once; EVALSHA afterwards, with EVAL as the fallback after a Redis restart or SCRIPT FLUSH.
    const started = performance.now();
    try {
      const loaded = await this.redis
        .pipeline()
        .script('LOAD', SUBJECTS.source)
        .script('LOAD', ERASE.source)
        .script('LOAD', KEYSET.source)
        .script('LOAD', APPLY.source)
        .exec();
      this.instruments.redis(4, performance.now() - started, true);
      for (const [err] of loaded ?? []) if (err) throw err;
    } catch (err) {
      throw unavailable('loading scripts failed', err);
    }
  }

  async stop(): Promise<void> {
    // Not connected (never started, or reconnecting to a Redis that is down): stop reconnecting now.
    if (this.redis.status !== 'ready') {
      this.redis.disconnect();
      return;
    }
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  key(tenant: string, part: string): string {
    return `${this.options.keyPrefix}{${tenant}}:${part}`;
  }

  async subjects(batches: readonly TenantOps[]): Promise<SubjectState[][]> {
    const commands: Command[] = [];
    const calls: number[] = []; // script calls per batch
    for (const { tenant, ops } of batches) {
      let count = 0;
      for (let from = 0; from < ops.length; from += SUBJECTS_PER_CALL) {
        const keys: string[] = [];
        const args: string[] = [];
        for (const op of ops.slice(from, from + SUBJECTS_PER_CALL)) {
          keys.push(this.key(tenant, `s:${op.blindIndex}`), this.key(tenant, `t:${op.blindIndex}`));
          args.push(
            op.create ? '1' : '0',
            String(op.maxAt),
            String(op.candidateGeneration),
            op.candidateWrapped,
            op.setRestricted === null ? '-1' : op.setRestricted ? '1' : '0',
          );
        }
        commands.push({ script: SUBJECTS, keys, args });
        count++;
      }
      calls.push(count);
    }
    const replies = await this.run(commands);
    let next = 0;
    return calls.map((count) => {
      const states: SubjectState[] = [];
      for (let c = 0; c < count; c++) states.push(...parseStates(replies[next++]));
      return states;
    });
  }

  async readErasure(
    tenant: string,
    requestId: string,
    blindIndexes: readonly string[],
  ): Promise<{ stored: StoredErasureResult | null; states: SubjectState[] }> {
    const commands: Command[] = [{ command: 'get', args: [this.key(tenant, `e:${requestId}`)] }];
    for (let from = 0; from < blindIndexes.length; from += SUBJECTS_PER_CALL) {
      const keys: string[] = [];
      const args: string[] = [];
      for (const blindIndex of blindIndexes.slice(from, from + SUBJECTS_PER_CALL)) {
        keys.push(this.key(tenant, `s:${blindIndex}`), this.key(tenant, `t:${blindIndex}`));
        args.push('0', '0', '0', '', '-1');
      }
      commands.push({ script: SUBJECTS, keys, args });
    }
    const [stored, ...replies] = await this.run(commands);
    return {
      stored: typeof stored === 'string' ? parseResult(stored) : null,
      states: replies.flatMap((reply) => parseStates(reply)),
    };
  }

  async erase(tenant: string, write: ErasureWrite): Promise<ErasureWriteOutcome> {
    const keys = [this.key(tenant, `e:${write.requestId}`)];
    const args = [String(write.erasedAt), write.requestId, JSON.stringify(write.result)];
    for (const { blindIndex, generation, tombstoneGeneration, tombstoneErasedAt } of write.expected) {
      keys.push(this.key(tenant, `s:${blindIndex}`), this.key(tenant, `t:${blindIndex}`));
      args.push(String(generation), String(tombstoneGeneration), tombstoneErasedAt === null ? '' : String(tombstoneErasedAt));
    }
    const [reply] = await this.run([{ script: ERASE, keys, args }]);
    const [status, stored] = reply as [string, string?];
    if (status === 'done') return { status: 'done', result: parseResult(stored!) };
    if (status === 'conflict') return { status: 'conflict' };
    if (status === 'ok') return { status: 'ok' };
    throw unavailable('erase script answered unexpectedly');
  }

  async applyTombstones(records: readonly TombstoneRecord[]): Promise<ApplyTombstonesResult> {
    // One script call per tenant (one cluster slot each), all in one pipeline: one round trip (K31).
    const byTenant = new Map<string, { keys: string[]; args: string[] }>();
    for (const r of records) {
      let call = byTenant.get(r.tenant);
      if (call === undefined) byTenant.set(r.tenant, (call = { keys: [], args: [] }));
      call.keys.push(this.key(r.tenant, `s:${r.blindIndex}`), this.key(r.tenant, `t:${r.blindIndex}`));
      call.args.push(String(r.generation), String(r.erasedAt), r.requestId);
    }
    if (byTenant.size === 0) return { applied: 0, keysDeleted: 0 };
    const replies = await this.run([...byTenant.values()].map(({ keys, args }) => ({ script: APPLY, keys, args })));
    let applied = 0;
    let keysDeleted = 0;
    for (const reply of replies) {
      if (!Array.isArray(reply) || reply.length !== 2) throw unavailable('apply script answered unexpectedly');
      applied += Number(reply[0]);
      keysDeleted += Number(reply[1]);
    }
    return { applied, keysDeleted };
  }

  async privateSites(tenant: string): Promise<string[]> {
    const [reply] = await this.run([{ command: 'smembers', args: [this.key(tenant, 'sites')] }]);
    if (!Array.isArray(reply)) throw unavailable('smembers answered unexpectedly');
    return reply as string[];
  }

  async addPrivateSites(tenant: string, hashes: readonly string[]): Promise<void> {
    if (hashes.length === 0) return;
    await this.run([{ command: 'sadd', args: [this.key(tenant, 'sites'), ...hashes] }]);
  }

  async readKeySet(tenant: string): Promise<StoredKeySet | null> {
    const [reply] = await this.run([{ command: 'hmget', args: [this.key(tenant, 'keyset'), 'wrap', 'index'] }]);
    const [wrap, index] = reply as [string | null, string | null];
    return wrap && index ? { wrap, index } : null;
  }

  /** K3: stores the blobs unless a key set exists; returns what is stored and whether it is ours. */
  async createKeySet(tenant: string, keySet: StoredKeySet): Promise<{ stored: StoredKeySet; created: boolean }> {
    const [reply] = await this.run([{ script: KEYSET, keys: [this.key(tenant, 'keyset')], args: [keySet.wrap, keySet.index] }]);
    const [status, wrap, index] = reply as [string, string, string];
    return { stored: { wrap, index }, created: status === 'created' };
  }

  /**
   * One pipeline, one round trip; NOSCRIPT replies (Redis restarted or flushed its scripts) are re-sent as
   * EVAL, which also re-caches the script server-side. Any other failure is KEYRING_UNAVAILABLE (K26).
   */
  private async run(commands: readonly Command[]): Promise<unknown[]> {
    const results = await this.exec(commands, false);
    const missing = results.flatMap((r, i) => (r.err !== null && isNoScript(r.err) ? [i] : []));
    if (missing.length > 0) {
      const retried = await this.exec(
        missing.map((i) => commands[i]!),
        true,
      );
      missing.forEach((i, j) => (results[i] = retried[j]!));
    }
    return results.map((r) => {
      if (r.err !== null) throw unavailable('redis command failed', r.err);
      return r.value;
    });
  }

  private async exec(commands: readonly Command[], evalSource: boolean): Promise<Array<{ err: Error | null; value: unknown }>> {
    const pipeline = this.redis.pipeline();
    for (const c of commands) {
      if ('script' in c) {
        if (evalSource) pipeline.eval(c.script.source, c.keys.length, ...c.keys, ...c.args);
        else pipeline.evalsha(c.script.sha, c.keys.length, ...c.keys, ...c.args);
      } else if (c.command === 'get') {
        pipeline.get(c.args[0]!);
      } else if (c.command === 'smembers') {
        pipeline.smembers(c.args[0]!);
      } else if (c.command === 'sadd') {
        pipeline.sadd(c.args[0]!, ...c.args.slice(1));
      } else {
        pipeline.hmget(c.args[0]!, ...c.args.slice(1));
      }
    }
    const started = performance.now();
    let replies: Array<[Error | null, unknown]> | null;
    try {
      replies = await pipeline.exec();
    } catch (err) {
      this.instruments.redis(commands.length, performance.now() - started, false);
      throw unavailable('redis did not answer', err);
    }
    const ok = replies !== null && replies.every(([err]) => err === null);
    this.instruments.redis(commands.length, performance.now() - started, ok);
    if (replies === null) throw unavailable('redis did not answer');
    return replies.map(([err, value]) => ({ err, value }));
  }
}

function parseStates(reply: unknown): SubjectState[] {
  if (!Array.isArray(reply) || reply.length % 7 !== 0) throw unavailable('subjects script answered unexpectedly');
  const fields = reply as string[];
  const states: SubjectState[] = [];
  for (let i = 0; i < fields.length; i += 7) {
    const erasedAt = fields[i + 6]!;
    states.push({
      status: fields[i] as SubjectState['status'],
      generation: Number(fields[i + 1]),
      wrapped: fields[i + 2]!,
      restricted: fields[i + 3] === '1',
      restrictedChanged: fields[i + 4] === '1',
      tombstoneGeneration: Number(fields[i + 5]),
      erasedAt: erasedAt === '' ? null : Number(erasedAt),
    });
  }
  return states;
}

function parseResult(json: string): StoredErasureResult {
  const value = JSON.parse(json) as StoredErasureResult;
  const result = { retiredTokens: [...value.retiredTokens], erased: value.erased, alreadyErased: value.alreadyErased };
  if (!Array.isArray(value.tombstones)) return result; // stored before K29: the engine rebuilds them
  const tombstones = value.tombstones.map(({ tenant, blindIndex, generation, erasedAt, requestId }) => ({
    tenant,
    blindIndex,
    generation,
    erasedAt,
    requestId,
  }));
  return { ...result, tombstones };
}
