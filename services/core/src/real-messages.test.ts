import { issuerOf, loadRealMessages, runRealMessages, type RealMessageOutcome } from './__fixtures__/real-messages';

/**
 * Real messages from other projects (src/__fixtures__/real, sources in real/SOURCES.md), each its own test:
 * valid messages are not refused, no personal value reaches analytics in any form, and roaming records go to the
 * token's issuer only. AUDIT-before.txt beside the fixtures lists what failed when these were added.
 */
const messages = loadRealMessages();
const cases = messages.map((m) => [`${m.family}/${m.name}`, m] as const);
let outcomes: Map<string, RealMessageOutcome>;

beforeAll(async () => {
  outcomes = new Map((await runRealMessages(messages)).map((o) => [`${o.message.family}/${o.message.name}`, o]));
});

it('has fixtures for every family it claims to cover', () => {
  expect(messages.length).toBeGreaterThanOrEqual(30);
});

describe('a real message gets the outcome its fixture expects', () => {
  test.each(cases)('%s', (id, message) => {
    const outcome = outcomes.get(id)!;
    // `emit` and `skip` are valid messages: refusing one is a false quarantine.
    expect({ id, outcome: outcome.actual }).toEqual({ id, outcome: message.expect });
  });
});

describe('no personal value of a real message reaches the analytics record, verbatim, without separators or in part', () => {
  test.each(cases)('%s', (id) => {
    const { leaks } = outcomes.get(id)!;
    // Leaks name the index into `personal` and the record field, never the value itself.
    expect({ id, leaks }).toEqual({ id, leaks: [] });
  });
});

describe('a real message yields a roaming record only for the issuer of its token', () => {
  test.each(cases)('%s', (id, message) => {
    const { roaming } = outcomes.get(id)!;
    const issuer = issuerOf(message);
    if (roaming === undefined) return;
    expect(issuer).toBeDefined();
    expect(roaming.recipient).toBe(issuer);
  });
});
