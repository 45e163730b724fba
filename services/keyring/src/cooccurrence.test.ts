import type { CooccurrenceGroup, IdentifierKind } from '@ampseal/core';
import { createMemoryKeyRing } from './memory';

/** SPEC K37–K43 over the in-memory store (the Redis store runs the same steps in Lua; test/erasure/linked.test.ts). */
const T = 'acme-cpo';
const DAY = 86_400_000;

function ring(limits: { ttlMs?: number; maxLinksPerSubject?: number; maxSubjectsPerTenant?: number } = {}) {
  let now = Date.parse('2026-11-24T10:00:00Z');
  const keyring = createMemoryKeyRing({
    clock: () => now,
    limits: { cooccurrence: { ttlMs: 90 * DAY, maxLinksPerSubject: 32, maxSubjectsPerTenant: 1_000, ...limits } },
  });
  return { keyring, advance: (ms: number) => (now += ms), now: () => now };
}

async function tokenOf(keyring: ReturnType<typeof ring>['keyring'], kind: IdentifierKind, value: string, at: number): Promise<string> {
  const [outcome] = await keyring.tokens([{ subject: { tenant: T, kind, value }, at }]);
  if (outcome!.status !== 'TOKENIZED') throw new Error(`expected a token, got ${outcome!.status}`);
  return outcome!.token;
}

async function seen(keyring: ReturnType<typeof ring>['keyring'], at: number, ...ids: Array<[IdentifierKind, string]>): Promise<CooccurrenceGroup> {
  const subjects = [];
  for (const [kind, value] of ids) subjects.push({ kind, value, token: await tokenOf(keyring, kind, value, at) });
  const group = { tenant: T, subjects };
  await keyring.cooccurred([group]);
  return group;
}

describe('co-occurrence index (SPEC K37–K43)', () => {
  it('K37/K43 records a CDR card and eMAID and a frame idToken and vehicle as links, shown in the plan by kind, token and ref only', async () => {
    const { keyring, now } = ring();
    await seen(keyring, now(), ['uid', '04A2B3C4'], ['emaid', 'NL-TNM-C00122045-K']);
    await seen(keyring, now(), ['uid', '04A2B3C4'], ['vehicle', '92D50A693F80']);
    const [card] = await keyring.plan(T, [{ kind: 'uid', value: '04A2B3C4' }]);
    expect(card!.linked.map((l) => l.kind).sort()).toEqual(['emaid', 'vehicle']);
    const emaidToken = await tokenOf(keyring, 'emaid', 'NL-TNM-C00122045-K', now());
    expect(card!.linked.find((l) => l.kind === 'emaid')).toMatchObject({ token: emaidToken, generation: 1, restricted: false, erasedAt: null, sameAs: null });
    expect(card!.ref).toHaveLength(8);
    expect(JSON.stringify(card)).not.toContain('NL-TNM');
    expect(JSON.stringify(card)).not.toContain('92D50A');
    // A partner the operator typed too is matched to its position.
    const both = await keyring.plan(T, [
      { kind: 'uid', value: '04A2B3C4' },
      { kind: 'vehicle', value: '92D50A693F80' },
    ]);
    expect(both[0]!.linked.find((l) => l.kind === 'vehicle')!.sameAs).toBe(1);
    await keyring.stop();
  });

  it('K39 keeps at most the newest N links per subject, and drops the other side of a link it drops', async () => {
    const { keyring, advance, now } = ring({ maxLinksPerSubject: 3 });
    for (let i = 0; i < 5; i++) {
      await seen(keyring, now(), ['uid', 'HUB'], ['emaid', `NL-TNM-C0000000${i}-K`]);
      advance(1_000);
    }
    const [hub] = await keyring.plan(T, [{ kind: 'uid', value: 'HUB' }]);
    expect(hub!.linked).toHaveLength(3);
    const [oldest] = await keyring.plan(T, [{ kind: 'emaid', value: 'NL-TNM-C00000000-K' }]);
    expect(oldest!.linked).toEqual([]);
    const [newest] = await keyring.plan(T, [{ kind: 'emaid', value: 'NL-TNM-C00000004-K' }]);
    expect(newest!.linked).toHaveLength(1);
    await keyring.stop();
  });

  it('K39 keeps at most M subjects per tenant, the least recently seen dropped with their links', async () => {
    const { keyring, advance, now } = ring({ maxSubjectsPerTenant: 4 });
    await seen(keyring, now(), ['uid', 'A'], ['emaid', 'NL-TNM-CA0000000-K']);
    advance(1_000);
    await seen(keyring, now(), ['uid', 'B'], ['emaid', 'NL-TNM-CB0000000-K']);
    advance(1_000);
    await seen(keyring, now(), ['uid', 'C'], ['emaid', 'NL-TNM-CC0000000-K']);
    const [a] = await keyring.plan(T, [{ kind: 'uid', value: 'A' }]);
    const [c] = await keyring.plan(T, [{ kind: 'uid', value: 'C' }]);
    expect(a!.linked).toEqual([]);
    expect(c!.linked).toHaveLength(1);
    expect(keyring.store.cooccurrenceSets(T).size).toBe(4);
    await keyring.stop();
  });

  it('K39 forgets a link older than the TTL, and a group seen again within the refresh period costs no write', async () => {
    const { keyring, advance, now } = ring({ ttlMs: 10 * DAY });
    const writes = jest.spyOn(keyring.store, 'recordCooccurrence');
    const group = await seen(keyring, now(), ['uid', 'OLD'], ['emaid', 'NL-TNM-C0OLD0000-K']);
    advance(60_000);
    await keyring.cooccurred([{ tenant: T, subjects: [...group.subjects].reverse() }]);
    expect(writes).toHaveBeenCalledTimes(1);
    advance(11 * DAY);
    const [old] = await keyring.plan(T, [{ kind: 'uid', value: 'OLD' }]);
    expect(old!.linked).toEqual([]);
    await keyring.stop();
  });

  it('K40/K42 erase --with-linked erases the typed subject and its partners by blind index, retires their last tokens and removes every link', async () => {
    const { keyring, advance, now } = ring();
    const cdr = await seen(keyring, now(), ['uid', '04A2B3C4'], ['emaid', 'NL-TNM-C00122045-K']);
    const frame = await seen(keyring, now(), ['uid', '04A2B3C4'], ['vehicle', '92D50A693F80']);
    advance(1_000);
    const result = await keyring.erase(T, [{ kind: 'uid', value: '04A2B3C4' }], { requestId: 'person-1', erasedAt: now(), withLinked: true });
    expect(result).toMatchObject({ erased: 3, alreadyErased: 0, linked: 2 });
    expect(result.retiredTokens.sort()).toEqual([...cdr.subjects.map((s) => s.token), frame.subjects[1]!.token].sort());
    expect(keyring.store.cooccurrenceSets(T).size).toBe(0);
    const outcomes = await keyring.tokens(
      (['uid', 'emaid', 'vehicle'] as const).map((kind, i) => ({ subject: { tenant: T, kind, value: ['04A2B3C4', 'NL-TNM-C00122045-K', '92D50A693F80'][i]! }, at: now() - 500 })),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['ERASED', 'ERASED', 'ERASED']);
    // K16: the same id again is the same request (the links are gone, the digest is over what was typed).
    await expect(keyring.erase(T, [{ kind: 'uid', value: '04A2B3C4' }], { requestId: 'person-1', erasedAt: now(), withLinked: true })).resolves.toMatchObject({ linked: 2 });
    // … and without --with-linked it is another request.
    await expect(keyring.erase(T, [{ kind: 'uid', value: '04A2B3C4' }], { requestId: 'person-1', erasedAt: now() })).rejects.toMatchObject({ reason: 'request_id_reused' });
    await expect(keyring.checkRequestId(T, [{ kind: 'uid', value: 'OTHER' }], { requestId: 'person-1' })).rejects.toMatchObject({ reason: 'request_id_reused' });
    await expect(keyring.checkRequestId(T, [{ kind: 'uid', value: '04A2B3C4' }], { requestId: 'person-1', withLinked: true })).resolves.toBeUndefined();
    await keyring.stop();
  });

  it('K40 erasing one identifier alone removes it from its partners’ sets', async () => {
    const { keyring, now } = ring();
    await seen(keyring, now(), ['uid', 'CARD'], ['emaid', 'NL-TNM-C0CARD000-K']);
    await keyring.erase(T, [{ kind: 'emaid', value: 'NL-TNM-C0CARD000-K' }], { requestId: 'one', erasedAt: now() });
    const [card] = await keyring.plan(T, [{ kind: 'uid', value: 'CARD' }]);
    expect(card!.linked).toEqual([]);
    expect(card!.token).not.toBeNull();
    await keyring.stop();
  });

  it('K37 a group whose member was erased and seen again under a new token is written at once, not after the refresh period', async () => {
    const { keyring, advance, now } = ring();
    const writes = jest.spyOn(keyring.store, 'recordCooccurrence');
    const before = await seen(keyring, now(), ['uid', 'AGAIN'], ['emaid', 'NL-TNM-C0AGAIN00-K']);
    advance(1_000);
    await keyring.erase(T, [{ kind: 'uid', value: 'AGAIN' }], { requestId: 'again', erasedAt: now() });
    advance(1_000);
    const after = await seen(keyring, now(), ['uid', 'AGAIN'], ['emaid', 'NL-TNM-C0AGAIN00-K']);
    expect(after.subjects[0]!.token).not.toBe(before.subjects[0]!.token);
    expect(writes).toHaveBeenCalledTimes(2);
    const [card] = await keyring.plan(T, [{ kind: 'uid', value: 'AGAIN' }]);
    expect(card!.linked.map((l) => l.kind)).toEqual(['emaid']);
    await keyring.stop();
  });
});

describe('tombstone lifetime (SPEC K41)', () => {
  it('drops a tombstone and its stored result raw retention + maximum backup age after the erasure, and re-applies no journal record older than that', async () => {
    let now = Date.parse('2026-11-24T10:00:00Z');
    const keyring = createMemoryKeyRing({ clock: () => now, limits: { tombstoneLifetimeMs: 42 * DAY } });
    await tokenOf(keyring as never, 'uid', 'GONE', now);
    const erased = await keyring.erase(T, [{ kind: 'uid', value: 'GONE' }], { requestId: 'old', erasedAt: now });
    now += 41 * DAY;
    expect(keyring.store.snapshot().tombstones.size).toBe(1);
    now += 2 * DAY;
    const [state] = await keyring.currentTokens(T, [{ kind: 'uid', value: 'GONE' }]);
    expect(state!.erasedAt).toBeNull();
    expect(await keyring.applyTombstones(erased.tombstones)).toEqual({ applied: 0, keysDeleted: 0 });
    await keyring.stop();
  });
});
