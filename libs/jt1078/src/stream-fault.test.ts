import { describe, expect, it } from 'vitest';
import { FaultKind, emptyFaultCounts } from './stream-fault.js';

describe('stream faults', () => {
  it('counts every kind from zero', () => {
    const counts = emptyFaultCounts();
    expect(Object.keys(counts).sort()).toEqual(Object.values(FaultKind).sort());
    expect(Object.values(counts).every((n) => n === 0)).toBe(true);
  });

  it('gives each kind its own kebab-case name (they are metric labels and JSON values)', () => {
    const names = Object.values(FaultKind);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  it('hands out separate counters each time', () => {
    const a = emptyFaultCounts();
    a.garbage++;
    expect(emptyFaultCounts().garbage).toBe(0);
  });
});
