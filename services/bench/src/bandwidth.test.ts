import { perEvent } from './bandwidth';

describe('broker bytes per event', () => {
  it('divides every direction and audience by the input events, keys included', () => {
    const p = perEvent({
      events: 1_000,
      ocpi: 100,
      inValue: 490_000,
      inKey: 10_000,
      analytics: { records: 700, value: 140_000, key: 14_000 },
      roaming: { records: 80, value: 70_000, key: 3_000 },
      quarantine: { records: 5, value: 25_000 },
    });
    expect(p).toEqual({ in: 500, out: 252, analytics: 154, roaming: 73, quarantine: 25, ocpiShare: 0.1 });
  });
});
