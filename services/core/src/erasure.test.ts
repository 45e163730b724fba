import { buildSubjectRequest, parseIdentifier, splitIdentifierArg } from './erasure';

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
