import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/adapters/collect-garbage.js';

describe('collectGarbage', () => {
  it('gives back what a load left behind, without --expose-gc', () => {
    // What serve does after building its view: the texts and lists a load parsed are garbage,
    // and a full collection returns them instead of leaving them to a collection that never comes.
    let load: string[] | undefined = Array.from({ length: 200_000 }, (_, index) =>
      `object-${index}-`.repeat(8),
    );
    collectGarbage(); // the strings are live: they move to the old generation
    const withLoad = process.memoryUsage().heapUsed;
    expect(load.length).toBe(200_000);
    load = undefined;
    collectGarbage();
    const after = process.memoryUsage().heapUsed;
    // 200,000 strings of about 100 characters: about 20 MB live before, gone after.
    expect(withLoad - after).toBeGreaterThan(15 * 2 ** 20);
  });
});
