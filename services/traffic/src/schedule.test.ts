import { Schedule, type Scheduled } from './schedule';
import { createRandom } from './random';

interface Item extends Scheduled {
  name: string;
}

describe('Schedule', () => {
  test('pops in time order, first-scheduled first among equal times', () => {
    const schedule = new Schedule<Item>();
    const rng = createRandom(2);
    const items: Item[] = [];
    for (let i = 0; i < 500; i++) {
      const item = { at: rng.int(0, 50), order: 0, name: `i${i}` };
      items.push(item);
      schedule.push(item);
    }
    const popped: Item[] = [];
    for (let item = schedule.pop(); item !== undefined; item = schedule.pop()) popped.push(item);
    const expected = [...items].sort((a, b) => a.at - b.at || Number(a.name.slice(1)) - Number(b.name.slice(1)));
    expect(popped.map((i) => i.name)).toEqual(expected.map((i) => i.name));
  });

  test('rescheduleTop moves the first item behind later ones', () => {
    const schedule = new Schedule<Item>();
    const a = { at: 1, order: 0, name: 'a' };
    const b = { at: 2, order: 0, name: 'b' };
    const c = { at: 3, order: 0, name: 'c' };
    [a, b, c].forEach((i) => schedule.push(i));
    a.at = 3;
    schedule.rescheduleTop();
    expect([schedule.pop(), schedule.pop(), schedule.pop()].map((i) => i!.name)).toEqual(['b', 'c', 'a']);
    expect(schedule.size).toBe(0);
  });
});
