import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { EventQueue, IntFifo } from '../../../src/sim/model/event-queue.js';

describe('EventQueue', () => {
  it('pops by time, then kind, then insertion order, whatever the push order', () => {
    const event = fc.record({ time: fc.integer({ min: 0, max: 20 }), kind: fc.integer({ min: 0, max: 7 }) });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 300 }), (events) => {
        const queue = new EventQueue(4);
        events.forEach((e, i) => queue.push(e.time, e.kind, i, 0));
        const popped: number[] = [];
        while (queue.length > 0) popped.push(queue.aOf(queue.pop()));
        const expected = events
          .map((e, i) => ({ ...e, i }))
          .sort((a, b) => a.time - b.time || a.kind - b.kind || a.i - b.i)
          .map((e) => e.i);
        expect(popped).toEqual(expected);
      }),
    );
  });
});

describe('IntFifo', () => {
  it('returns values in order across growth and wrap-around', () => {
    const fifo = new IntFifo(2);
    const out: number[] = [];
    for (let i = 0; i < 10; i++) {
      fifo.push(i);
      if (i % 3 === 0) out.push(fifo.shift());
    }
    while (fifo.length > 0) out.push(fifo.shift());
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
