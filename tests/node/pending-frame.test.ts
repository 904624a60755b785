// PendingFrame's ownership rules: made once; discarded before it is made, it is never made; discarded after, the frame
// it made is closed. (A stand-in object with close() plays the frame: Node has no VideoFrame.)
import { describe, expect, it } from 'vitest';
import { PendingFrame } from '../../src/engine/sinks/pending-frame.ts';

const fakeFrame = () => {
  const f = { closed: false, close: () => void (f.closed = true) };
  return f as unknown as VideoFrame & { closed: boolean };
};

describe('PendingFrame', () => {
  it('is made once, however often it is asked for', async () => {
    let made = 0;
    const p = new PendingFrame(async () => (made++, fakeFrame()));
    expect(await p.ready()).toBe(await p.ready());
    expect(made).toBe(1);
  });

  it('discarded before it is made, is never made (a warm-up frame costs no enlargement)', async () => {
    let made = 0;
    const p = new PendingFrame(async () => (made++, fakeFrame()));
    p.discard();
    await expect(p.ready()).rejects.toThrow(/discarded/);
    expect(made).toBe(0);
  });

  it('discarded after it was made, closes its frame; after() runs on the frame once it is ready', async () => {
    const frame = fakeFrame();
    const seen: unknown[] = [];
    const p = new PendingFrame(async () => frame).after((f) => seen.push(f));
    expect(await p.ready()).toBe(frame);
    expect(seen).toEqual([frame]);
    p.discard();
    await new Promise((r) => setTimeout(r, 0));
    expect(frame.closed).toBe(true);
  });
});
