import { buildSubjectRequest, epochsReceiptKey, isSubjectReceipt, parseIdentifier, parseReceipt, splitIdentifierArg } from './erasure';

describe('subject requests (erasure, restriction)', () => {
  const base = { requestId: 'req-1', tenant: 'acme-cpo', reason: 'GDPR Art. 17 ticket 42', identifiers: [{ kind: 'uid', value: ' 04 a2 b3 c4 ' }] };

  it('normalizes identifiers exactly as the pseudonymizer does, so the shredder finds the same subject', () => {
    const r = buildSubjectRequest({ ...base, identifiers: [...base.identifiers, { kind: 'uid', value: 'vid:92:d5:0a:69:3f:80' }, { kind: 'emaid', value: 'nl-tnm-c00122045-k' }] });
    expect(r.ok && r.value.identifiers).toEqual([
      { kind: 'uid', value: '04A2B3C4' },
      { kind: 'vehicle', value: '92D50A693F80' },
      { kind: 'emaid', value: 'NLTNMC00122045K' },
    ]);
    expect(r.ok && r.value.action).toBe('erase');
  });

  it('collapses spellings of one subject into one identifier', () => {
    const r = buildSubjectRequest({ ...base, identifiers: [{ kind: 'uid', value: '04a2b3c4' }, { kind: 'uid', value: '04:A2:B3:C4' }] });
    expect(r.ok && r.value.identifiers).toHaveLength(1);
  });

  it.each([
    [{ requestId: 'has space' }, /requestId/],
    [{ tenant: 'ACME' }, /tenant/],
    [{ action: 'delete' }, /action/],
    [{ reason: '' }, /reason/],
    [{ identifiers: [] }, /identifiers/],
    [{ identifiers: [{ kind: 'card', value: 'x' }] }, /unknown identifier kind/],
    [{ identifiers: [{ kind: 'uid', value: '  ' }] }, /empty identifier value/],
    [{ requestedAt: 'yesterday' }, /requestedAt/],
  ])('refuses %j with a problem that names the field', (patch, problem) => {
    const r = buildSubjectRequest({ ...base, ...patch });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(problem);
  });

  it('never quotes an identifier value in a problem', () => {
    const r = parseIdentifier('cardnumber-04A2B3C4D5E6F7', '04A2B3C4D5E6F7');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).not.toMatch(/04A2|cardnumber/);
  });

  it('splits KIND:VALUE at the first colon only', () => {
    expect(splitIdentifierArg('uid:VID:92D50A693F80')).toEqual({ ok: true, value: { kind: 'uid', raw: 'VID:92D50A693F80' } });
    expect(splitIdentifierArg('uid').ok).toBe(false);
  });
});

describe('parseReceipt: the one reader of receipts', () => {
  const receipt = {
    version: 1,
    requestId: 'TICKET-42',
    tenant: 'acme-cpo',
    action: 'erase',
    status: 'done',
    completedAt: '2026-11-24T10:00:00Z',
    erasedAt: '2026-11-24T10:00:00Z',
    subjects: 1,
    erased: 1,
    alreadyErased: 0,
    retiredTokens: ['AAAAAAAAAAAAAAAAAAAAAA'],
  };

  it('reads a receipt the shredder writes', () => {
    expect(parseReceipt(JSON.stringify(receipt))).toEqual({ ok: true, value: receipt });
  });

  it('reads a receipt of destroyed epochs, told apart from a subject receipt, under a key no request id can take', () => {
    const epochs = { version: 1, kind: 'epochs', tenant: 'acme-cpo', destroyed: ['30d:680'], destroyedAt: '2026-11-30T00:00:00.000Z', retention: 'P30D' };
    const parsed = parseReceipt(JSON.stringify(epochs));
    expect(parsed).toEqual({ ok: true, value: epochs });
    expect(parsed.ok && isSubjectReceipt(parsed.value)).toBe(false);
    expect(isSubjectReceipt(receipt as Parameters<typeof isSubjectReceipt>[0])).toBe(true);
    expect(parseReceipt(JSON.stringify({ ...epochs, destroyed: '30d:680' }))).toMatchObject({ ok: false, problem: expect.stringContaining('destroyed') });
    expect(parseReceipt(JSON.stringify({ ...epochs, kind: 'other' }))).toMatchObject({ ok: false, problem: expect.stringContaining('kind') });
    expect(buildSubjectRequest({ requestId: epochsReceiptKey('acme-cpo'), tenant: 'acme-cpo', action: 'erase', identifiers: ['uid:04A2B3C4'], reason: 'x' }).ok).toBe(false);
  });

  it.each([
    ['not JSON', '{', 'receipt is not JSON'],
    ['an array', '[]', 'receipt must be a JSON object'],
    ['another version', JSON.stringify({ ...receipt, version: 2 }), 'receipt version must be 1'],
    ['a request id with a slash', JSON.stringify({ ...receipt, requestId: 'a/b' }), 'receipt requestId must be'],
    ['an upper-case tenant', JSON.stringify({ ...receipt, tenant: 'ACME' }), 'receipt tenant must be'],
    ['retired tokens that are not a list', JSON.stringify({ ...receipt, retiredTokens: 'AAAA' }), 'receipt retiredTokens must be a list of tokens'],
    ['a negative count', JSON.stringify({ ...receipt, erased: -1 }), 'receipt erased must be a count'],
    ['an unknown status', JSON.stringify({ ...receipt, status: 'pending' }), 'receipt status must be done or failed'],
  ])('refuses %s, naming the field and not the value', (_name, text, problem) => {
    const result = parseReceipt(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toContain(problem);
  });
});
