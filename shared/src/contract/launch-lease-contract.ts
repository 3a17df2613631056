import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { LaunchLease } from '../ports/launch-lease.ts';

/**
 * What every LaunchLease adapter must do. `open` gives two handles on one lease, each with
 * a client of its own, as two API processes would have.
 */
export function describeLaunchLeaseContract(
  name: string,
  setup: { open(): Promise<[LaunchLease, LaunchLease]>; close(): Promise<void> },
): void {
  describe(`${name}: LaunchLease contract`, () => {
    afterEach(() => setup.close());

    it('of many racing for a free lease, exactly one wins', async () => {
      const [one, two] = await setup.open();
      const handles = [one, two, one, two, one, two];
      const won = await Promise.all(
        handles.map((lease, index) => lease.tryAcquire(`api-${index}`, 30_000, 1_000)),
      );
      assert.equal(won.filter(Boolean).length, 1, JSON.stringify(won));
    });

    it('is kept by its holder, refused to others until it expires, then taken over', async () => {
      const [one, two] = await setup.open();
      assert.equal(await one.tryAcquire('api-1', 10_000, 1_000), true);
      assert.equal(await one.tryAcquire('api-1', 10_000, 5_000), true, 'the holder extends it');
      assert.equal(await two.tryAcquire('api-2', 10_000, 14_999), false, 'extended to 15 000');
      assert.equal(await two.tryAcquire('api-2', 10_000, 15_000), true, 'expired: taken over');
      assert.equal(await one.tryAcquire('api-1', 10_000, 15_001), false);
    });

    it('released by its holder, it is free at once; a release by another changes nothing', async () => {
      const [one, two] = await setup.open();
      assert.equal(await one.tryAcquire('api-1', 60_000, 1_000), true);
      await two.release('api-2');
      assert.equal(await two.tryAcquire('api-2', 60_000, 2_000), false);
      await one.release('api-1');
      assert.equal(await two.tryAcquire('api-2', 60_000, 2_000), true);
    });
  });
}
