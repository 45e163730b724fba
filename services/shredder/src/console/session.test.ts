import { formTokenMatches, SessionStore } from './session';

describe('console sessions', () => {
  it('end at their lifetime after sign-in, whatever they do in between', () => {
    let now = 1_000;
    const store = new SessionStore(60_000, 10, () => now);
    const { id } = store.create('alice');
    now += 59_999;
    expect(store.get(id)?.operator).toBe('alice');
    now += 1;
    expect(store.get(id)).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('are bounded in number: the oldest is signed out first', () => {
    const store = new SessionStore(60_000, 2);
    const first = store.create('a');
    const second = store.create('b');
    const third = store.create('c');
    expect(store.size).toBe(2);
    expect(store.get(first.id)).toBeUndefined();
    expect(store.get(second.id)?.operator).toBe('b');
    expect(store.get(third.id)?.operator).toBe('c');
  });

  it('are found only by their exact id, and end on sign-out', () => {
    const store = new SessionStore(60_000);
    const { id, session } = store.create('alice');
    expect(store.get(`${id}x`)).toBeUndefined();
    expect(store.get(undefined)).toBeUndefined();
    expect(store.get('')).toBeUndefined();
    expect(formTokenMatches(session, session.formToken)).toBe(true);
    expect(formTokenMatches(session, `${session.formToken.slice(0, -1)}A`)).toBe(session.formToken.endsWith('A'));
    expect(formTokenMatches(session, null)).toBe(false);
    store.end(id);
    expect(store.get(id)).toBeUndefined();
  });
});
