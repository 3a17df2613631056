import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createProgress, etaClock } from './progress.ts';

/** A stream that keeps what is written; `isTTY` decides which reporter the CLI picks. */
function sink(isTTY: boolean) {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  stream.isTTY = isTTY;
  stream.columns = 120;
  return { stream, text: () => text };
}

describe('batch progress', () => {
  it('prints a plain line each time the counts change when stderr is not a terminal', () => {
    let nowMs = 0;
    const out = sink(false);
    const progress = createProgress(out.stream, 'batch_x', () => nowMs);
    progress.update({ succeeded: 0, failed: 0, canceled: 0, total: 10 });
    nowMs = 1000;
    progress.update({ succeeded: 0, failed: 0, canceled: 0, total: 10 });
    nowMs = 2000;
    progress.update({ succeeded: 3, failed: 1, canceled: 0, total: 10 });
    nowMs = 4000;
    progress.update({ succeeded: 8, failed: 1, canceled: 1, total: 10 });
    progress.stop();
    assert.equal(
      out.text(),
      'batch_x: 0/10 finished (0 succeeded, 0 failed, 0 canceled), eta ?\n' +
        'batch_x: 4/10 finished (3 succeeded, 1 failed, 0 canceled), eta 3s\n' +
        'batch_x: 10/10 finished (8 succeeded, 1 failed, 1 canceled), eta 0s\n',
    );
  });

  it('draws a bar with succeeded, failed, total and the ETA on a terminal', () => {
    let nowMs = 0;
    const out = sink(true);
    const progress = createProgress(out.stream, 'batch_y', () => nowMs);
    progress.update({ succeeded: 0, failed: 0, canceled: 0, total: 10 });
    nowMs = 10_000;
    progress.update({ succeeded: 2, failed: 1, canceled: 0, total: 10 });
    progress.stop();
    const text = out.text();
    assert.match(text, /batch_y \[[█░]+\] 0\/10 \| 0 succeeded, 0 failed \| eta \?/);
    assert.match(text, /batch_y \[[█░]+\] 3\/10 \| 2 succeeded, 1 failed \| eta 24s/);
    // readline's cursor moves (ESC [): the bar is redrawn in place, not line after line.
    assert.ok(text.includes('\u001b['), 'cursor control in the output');
    assert.equal(text.indexOf('\n'), text.length - 1, 'one line feed, when it stops');
  });

  it('estimates from the rate of this run, so a resumed batch does not count its earlier rows', () => {
    let nowMs = 0;
    const eta = etaClock(() => nowMs);
    assert.equal(eta(500, 1000), '?', 'no rate yet');
    nowMs = 10_000;
    assert.equal(eta(510, 1000), '8m10s', '1 row/s, 490 left');
    nowMs = 20_000;
    assert.equal(eta(1000, 1000), '0s');
    const slow = etaClock(() => nowMs);
    slow(0, 100_000);
    nowMs += 1000;
    assert.equal(slow(1, 100_000), '27h46m');
  });
});
