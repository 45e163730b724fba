import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { AmpsealError, TLS_UNTRUSTED_CODES } from '@ampseal/core';
import type { Instruments } from './instruments';
import type { ApplyTombstonesResult, KeyRingLogger, TombstoneRecord } from './keyring';
import {
  DEFAULT_COOCCURRENCE_LIMITS,
  type CooccurrencePartner,
  type CooccurrenceWrite,
  DESTROYED_MARK,
  type EpochOps,
  type EpochSecretState,
  type StoredEpoch,
  type ErasureWrite,
  type ErasureWriteOutcome,
  type StoreLimits,
  type StoredErasureResult,
  type SubjectState,
  type SubjectStore,
  type TenantOps,
} from './store';

/**
 * Subject keys, tombstones, erasure results and key-set blobs in Redis (SPEC K12–K20, K24, K29–K31). The only module
 * that imports ioredis (K28). Every state change is one Lua script, so it is atomic across instances; every
 * call of the engine is one pipeline, so one round trip (K13). Keys carry `{tenant}` as a hash tag, so each
 * script call touches one cluster slot.
 */

interface Script {
  readonly source: string;
  readonly sha: string;
}

/**
 * The Lua scripts live in `lua/*.lua` next to this module (copied to dist/lua by the build), read once at load.
 * Each state change is one script, so it is atomic across instances (K12, K15, K31); `subjects.lua` and
 * `apply.lua` are mirrored step for step by MemorySubjectStore (memory.ts).
 */
function script(file: string, prelude = ''): Script {
  const source = prelude + readFileSync(join(__dirname, 'lua', file), 'utf8');
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** K40: removing a subject from the co-occurrence index, written once and prepended to the scripts that do it. */
const UNLINK = readFileSync(join(__dirname, 'lua', 'unlink.lua'), 'utf8');
const SUBJECTS = script('subjects.lua');
const ERASE = script('erase.lua', UNLINK);
const COOCCUR = script('cooccur.lua', UNLINK);
const APPLY = script('apply.lua');
const KEYSET = script('keyset.lua');
const EPOCHS = script('epochs.lua');
const DESTROY_EPOCHS = script('destroy-epochs.lua');

/** Subjects per script call: bounds how long one call holds Redis (≈ µs per subject). */
const SUBJECTS_PER_CALL = 500;

type Command =
  | { readonly script: Script; readonly keys: readonly string[]; readonly args: readonly string[] }
  | { readonly command: 'get' | 'hmget' | 'smembers' | 'sadd' | 'zrangebyscore' | 'hgetall'; readonly args: readonly string[] };

/** The two KMS ciphertext blobs of a tenant key set (K2), base64. */
export interface StoredKeySet {
  readonly wrap: string;
  readonly index: string;
}

export interface RedisStoreOptions {
  readonly redisUrl: string;
  /** Redis AUTH (ACL user, or the default user when no username); may also be in the URL. */
  readonly username?: string;
  readonly password?: string;
  /** PEM CA bundle for a `rediss://` URL; absent: Node's built-in public CAs. */
  readonly ca?: string;
  /** Prepended to every key (K24); tests use a unique one. */
  readonly keyPrefix: string;
  readonly commandTimeoutMs?: number;
  readonly logger?: KeyRingLogger;
  readonly limits?: StoreLimits;
}

function unavailable(what: string, err?: unknown): AmpsealError {
  // A refused password and an untrusted certificate do not heal by waiting: set-up errors that stop the start.
  const message = err instanceof Error ? err.message : '';
  if (message.startsWith('WRONGPASS') || message.startsWith('NOAUTH') || message.startsWith('NOPERM')) {
    return new AmpsealError('AUTHENTICATION_FAILED', `Redis (${message.split(' ', 1)[0]})`);
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TLS_UNTRUSTED_CODES.has(code)) return new AmpsealError('TLS_UNTRUSTED', `Redis (${code})`);
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
  /** ioredis rejects a refused login's connect() with "Connection is closed"; the reason came as an 'error' event. */
  private lastError: unknown;

  constructor(
    private readonly options: RedisStoreOptions,
    private readonly instruments: Instruments,
  ) {
    this.redis = new Redis(options.redisUrl, {
      lazyConnect: true,
      ...(options.username ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
      // rediss:// turns TLS on by itself; a CA of our own needs the TLS options spelled out (host names still checked).
      ...(options.ca && options.redisUrl.startsWith('rediss:') ? { tls: { ca: options.ca } } : {}),
      // Fail closed fast (design §7): a command fails after one reconnection attempt instead of queueing for
      // minutes; the processor pauses on the retriable error and retries the batch.
      maxRetriesPerRequest: 1,
      connectTimeout: 3_000,
      commandTimeout: options.commandTimeoutMs ?? 5_000,
    });
    this.redis.on('error', (err: unknown) => {
      this.lastError = err;
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
    if (this.redis.status === 'wait' || this.redis.status === 'end') {
      try {
        await this.redis.connect();
      } catch (err) {
        // Not started: no reconnecting in the background (it would keep a failed process alive).
        this.redis.disconnect();
        const refused = unavailable('redis connection failed', this.lastError);
        throw refused.retriable ? unavailable('redis connection failed', err) : refused;
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
        .script('LOAD', COOCCUR.source)
        .script('LOAD', EPOCHS.source)
        .script('LOAD', DESTROY_EPOCHS.source)
        .exec();
      this.instruments.redis(7, performance.now() - started, true);
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
    const commands: Command[] = [{ command: 'get', args: [this.key(tenant, `e:${requestId}`)] }, ...this.stateReads(tenant, blindIndexes)];
    const [stored, ...replies] = await this.run(commands);
    return {
      stored: typeof stored === 'string' ? parseResult(stored) : null,
      states: replies.flatMap((reply) => parseStates(reply)),
    };
  }

  async erase(tenant: string, write: ErasureWrite): Promise<ErasureWriteOutcome> {
    const keys = [this.key(tenant, `e:${write.requestId}`)];
    const lifetime = this.options.limits?.tombstoneLifetimeMs;
    const args = [String(write.erasedAt), write.requestId, JSON.stringify(write.result), this.key(tenant, ''), lifetime === undefined ? '' : String(lifetime)];
    for (const { blindIndex, kind, generation, tombstoneGeneration, tombstoneErasedAt } of write.expected) {
      keys.push(this.key(tenant, `s:${blindIndex}`), this.key(tenant, `t:${blindIndex}`));
      args.push(String(generation), String(tombstoneGeneration), tombstoneErasedAt === null ? '' : String(tombstoneErasedAt), `${kind}:${blindIndex}`);
    }
    const [reply] = await this.run([{ script: ERASE, keys, args }]);
    const [status, stored] = reply as [string, string?];
    if (status === 'done') return { status: 'done', result: parseResult(stored!) };
    if (status === 'conflict') return { status: 'conflict' };
    if (status === 'ok') return { status: 'ok' };
    throw unavailable('erase script answered unexpectedly');
  }

  async applyTombstones(records: readonly TombstoneRecord[], now: number): Promise<ApplyTombstonesResult> {
    // One script call per tenant (one cluster slot each), all in one pipeline: one round trip (K31).
    const lifetime = this.options.limits?.tombstoneLifetimeMs;
    const byTenant = new Map<string, { keys: string[]; args: string[] }>();
    for (const r of records) {
      let call = byTenant.get(r.tenant);
      if (call === undefined) byTenant.set(r.tenant, (call = { keys: [], args: [String(now), lifetime === undefined ? '' : String(lifetime)] }));
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

  async recordCooccurrence(writes: readonly CooccurrenceWrite[], now: number): Promise<void> {
    const { ttlMs, maxLinksPerSubject, maxSubjectsPerTenant } = this.options.limits?.cooccurrence ?? DEFAULT_COOCCURRENCE_LIMITS;
    // One script call per tenant (its slot), all in one pipeline: one round trip per chunk (K37).
    const commands: Command[] = [];
    for (const { tenant, entries } of writes) {
      if (entries.length === 0) continue;
      const args = [this.key(tenant, ''), String(now), String(ttlMs), String(maxLinksPerSubject), String(maxSubjectsPerTenant)];
      for (const e of entries) {
        args.push(`${e.kind}:${e.blindIndex}`, e.token, String(e.partners.length));
        for (const p of e.partners) args.push(`${p.kind}:${p.blindIndex}`);
      }
      commands.push({ script: COOCCUR, keys: [this.key(tenant, 'cidx')], args });
    }
    if (commands.length > 0) await this.run(commands);
  }

  async readCooccurrence(tenant: string, blindIndexes: readonly string[], now: number): Promise<CooccurrencePartner[][]> {
    const { ttlMs } = this.options.limits?.cooccurrence ?? DEFAULT_COOCCURRENCE_LIMITS;
    if (blindIndexes.length === 0) return [];
    const sets = await this.run(
      blindIndexes.map((bi) => ({ command: 'zrangebyscore' as const, args: [this.key(tenant, `c:${bi}`), String(now - ttlMs), '+inf'] })),
    );
    const partners = sets.map((reply) => {
      if (!Array.isArray(reply) || reply.length % 2 !== 0) throw unavailable('co-occurrence read answered unexpectedly');
      const list: Array<{ kind: string; blindIndex: string; lastSeen: number }> = [];
      for (let i = 0; i < reply.length; i += 2) {
        const member = String(reply[i]);
        const at = member.indexOf(':');
        list.push({ kind: member.slice(0, at), blindIndex: member.slice(at + 1), lastSeen: Number(reply[i + 1]) });
      }
      return list.reverse(); // newest first
    });
    const distinct = [...new Set(partners.flat().map((p) => p.blindIndex))];
    const tokens = new Map<string, string | null>();
    if (distinct.length > 0) {
      const replies = await this.run(distinct.map((bi) => ({ command: 'get' as const, args: [this.key(tenant, `ct:${bi}`)] })));
      distinct.forEach((bi, i) => tokens.set(bi, typeof replies[i] === 'string' ? (replies[i] as string) : null));
    }
    return partners.map((list) => list.map((p) => ({ ...p, token: tokens.get(p.blindIndex) ?? null })));
  }

  /** SUBJECTS calls that create no key and change no restriction (create 0, set-restricted -1), SUBJECTS_PER_CALL subjects each. */
  private stateReads(tenant: string, blindIndexes: readonly string[]): Command[] {
    const commands: Command[] = [];
    for (let from = 0; from < blindIndexes.length; from += SUBJECTS_PER_CALL) {
      const keys: string[] = [];
      const args: string[] = [];
      for (const blindIndex of blindIndexes.slice(from, from + SUBJECTS_PER_CALL)) {
        keys.push(this.key(tenant, `s:${blindIndex}`), this.key(tenant, `t:${blindIndex}`));
        args.push('0', '0', '0', '', '-1');
      }
      commands.push({ script: SUBJECTS, keys, args });
    }
    return commands;
  }

  async readStates(tenant: string, blindIndexes: readonly string[]): Promise<SubjectState[]> {
    const commands = this.stateReads(tenant, blindIndexes);
    if (commands.length === 0) return [];
    return (await this.run(commands)).flatMap((reply) => parseStates(reply));
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

  async epochSecrets(batches: readonly EpochOps[]): Promise<EpochSecretState[][]> {
    const commands: Command[] = batches.map(({ tenant, ops }) => ({
      script: EPOCHS,
      keys: [this.key(tenant, 'epochs')],
      args: ops.flatMap((op) => [op.name, op.candidateWrapped]),
    }));
    if (commands.length === 0) return [];
    const replies = await this.run(commands);
    return replies.map((reply, b) => {
      if (!Array.isArray(reply) || reply.length !== batches[b]!.ops.length * 2) throw unavailable('epochs script answered unexpectedly');
      const states: EpochSecretState[] = [];
      for (let i = 0; i < reply.length; i += 2) states.push({ status: reply[i] as EpochSecretState['status'], wrapped: String(reply[i + 1]) });
      return states;
    });
  }

  async destroyEpochs(tenant: string, names: readonly string[], destroyedAt: number): Promise<string[]> {
    if (names.length === 0) return [];
    const [reply] = await this.run([{ script: DESTROY_EPOCHS, keys: [this.key(tenant, 'epochs')], args: [String(destroyedAt), ...names] }]);
    if (!Array.isArray(reply)) throw unavailable('destroy-epochs script answered unexpectedly');
    return reply.map(String);
  }

  async listEpochs(tenant: string): Promise<StoredEpoch[]> {
    const [reply] = await this.run([{ command: 'hgetall', args: [this.key(tenant, 'epochs')] }]);
    if (reply === null || typeof reply !== 'object') throw unavailable('hgetall answered unexpectedly');
    return Object.entries(reply as Record<string, string>).map(([name, value]) => ({
      name,
      destroyedAt: value.startsWith(DESTROYED_MARK) ? Number(value.slice(DESTROYED_MARK.length)) : null,
    }));
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
      } else if (c.command === 'zrangebyscore') {
        pipeline.zrangebyscore(c.args[0]!, c.args[1]!, c.args[2]!, 'WITHSCORES');
      } else if (c.command === 'hgetall') {
        pipeline.hgetall(c.args[0]!);
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
  const result = {
    retiredTokens: [...value.retiredTokens],
    erased: value.erased,
    alreadyErased: value.alreadyErased,
    ...(typeof value.requestDigest === 'string' ? { requestDigest: value.requestDigest } : {}),
    ...(typeof value.tokensNotComputed === 'number' ? { tokensNotComputed: value.tokensNotComputed } : {}),
    ...(typeof value.linked === 'number' ? { linked: value.linked } : {}),
  };
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
