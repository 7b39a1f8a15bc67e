/**
 * Priority queue of simulation events ordered by (time, insertion counter). The counter makes ties
 * deterministic: two events at the same virtual time fire in the order they were scheduled, which is
 * what keeps a run bit-for-bit reproducible and what gives a reliable link its FIFO order when two
 * deliveries land on the same instant.
 *
 * A 4-ary heap (half the depth of a binary one; the four children's keys share a cache line) with
 * keys in parallel arrays (no per-event key objects), because a large run pushes tens of millions
 * of events.
 */
export class EventQueue<T> {
  private times: number[] = [];
  private orders: number[] = [];
  private items: T[] = [];
  private counter = 0;

  get size(): number {
    return this.items.length;
  }

  /** Schedules `item` at virtual time `time` (seconds). */
  push(time: number, item: T): void {
    if (Number.isNaN(time)) throw new RangeError('event time is NaN');
    const order = this.counter++;
    let i = this.items.length;
    this.times.push(time);
    this.orders.push(order);
    this.items.push(item);
    // Sift up.
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const pt = this.times[parent];
      if (pt < time || (pt === time && this.orders[parent] < order)) break;
      this.times[i] = pt;
      this.orders[i] = this.orders[parent];
      this.items[i] = this.items[parent];
      i = parent;
    }
    this.times[i] = time;
    this.orders[i] = order;
    this.items[i] = item;
  }

  /** Time of the next event, or Infinity when empty. */
  peekTime(): number {
    return this.items.length > 0 ? this.times[0] : Infinity;
  }

  /** Removes and returns the earliest event; undefined when empty. */
  pop(): T | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    const top = this.items[0];
    const lastTime = this.times.pop() as number;
    const lastOrder = this.orders.pop() as number;
    const lastItem = this.items.pop() as T;
    const m = n - 1;
    if (m === 0) return top;
    // Sift the former last element down from the root.
    const times = this.times;
    const orders = this.orders;
    const items = this.items;
    let i = 0;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= m) break;
      const end = first + 4 < m ? first + 4 : m;
      let c = first;
      let ct = times[first];
      for (let k = first + 1; k < end; k++) {
        const kt = times[k];
        if (kt < ct || (kt === ct && orders[k] < orders[c])) {
          c = k;
          ct = kt;
        }
      }
      if (lastTime < ct || (lastTime === ct && lastOrder < orders[c])) break;
      times[i] = ct;
      orders[i] = orders[c];
      items[i] = items[c];
      i = c;
    }
    this.times[i] = lastTime;
    this.orders[i] = lastOrder;
    this.items[i] = lastItem;
    return top;
  }

  /** Drops every pending event. */
  clear(): void {
    this.times.length = 0;
    this.orders.length = 0;
    this.items.length = 0;
  }
}
