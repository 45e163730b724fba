import { emptyCounters, render, renderPair } from './view';

describe('demo view', () => {
  it('shows the raw identifiers of an input next to the tokens of its output', () => {
    const line = renderPair({ message: 'ocpp1.6:Authorize:req', raw: [{ kind: 'uid', raw: '04A2B3C4' }], tokens: [{ kind: 'uid', status: 'TOKENIZED', token: 'tok123' }] }, false);
    expect(line).toMatch(/^ocpp1\.6:Authorize:req\s+uid=04A2B3C4\s+→ uid:tok123$/);
  });

  it('summarizes counts in, out per audience, and quarantine by reason', () => {
    const counters = emptyCounters();
    counters.sent.ocpp = 10;
    counters.out.analytics = 7;
    counters.byReason.bad_json = 1;
    const text = render(counters, [], 3, 3.3, false);
    expect(text).toContain('raw events 10');
    expect(text).toContain('analytics 7');
    expect(text).toContain('quarantine by reason: bad_json 1');
  });
});
