/**
 * The agenda of the simulation: a binary min-heap of flows by next event time. Ties are broken by the order
 * flows were (re)scheduled, so the stream is a pure function of the seed and FIFO among simultaneous events.
 */
export interface Scheduled {
  /** Epoch ms of the flow's next event. */
  at: number;
  /** Tie-breaker, set by the schedule. */
  order: number;
}

export class Schedule<T extends Scheduled> {
  private readonly heap: T[] = [];
  private counter = 0;

  get size(): number {
    return this.heap.length;
  }

  push(item: T): void {
    item.order = this.counter++;
    const heap = this.heap;
    heap.push(item);
    this.up(heap.length - 1);
  }

  peek(): T | undefined {
    return this.heap[0];
  }

  /** The top item's `at` changed (it moved later): restore the heap in one sift instead of pop + push. */
  rescheduleTop(): void {
    const top = this.heap[0];
    if (top === undefined) return;
    top.order = this.counter++;
    this.down(0);
  }

  pop(): T | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private less(a: T, b: T): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  private up(i: number): void {
    const heap = this.heap;
    const item = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!this.less(item, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = item;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.less(heap[right]!, heap[left]!) ? right : left;
      const c = heap[child]!;
      if (!this.less(c, item)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = item;
  }
}
