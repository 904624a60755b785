// The queue's arguments (src/cli/queue.ts): what --queue, --queue-prefix and job paths accept, without Redis.
import { describe, expect, it } from 'vitest';
import { failureOf, failureText, jobPath, localPath, parseQueuePrefix, parseQueueUrl, queueTimings } from '../../src/cli/queue.ts';

describe('queue arguments', () => {
  it('reads redis:// and rediss:// URLs with a user, a password and a database; never shows the password', () => {
    expect(parseQueueUrl('redis://127.0.0.1:6380')).toMatchObject({ host: '127.0.0.1', port: 6380, db: 0, tls: false, shown: 'redis://127.0.0.1:6380' });
    expect(parseQueueUrl('redis://queue.local')).toMatchObject({ port: 6379 });
    const full = parseQueueUrl('rediss://ops:p%40ss@queue.local:6390/3');
    expect(full).toMatchObject({ host: 'queue.local', port: 6390, username: 'ops', password: 'p@ss', db: 3, tls: true });
    expect(full.shown).toBe('rediss://ops:***@queue.local:6390/3');
    expect(parseQueueUrl('redis://:secret@[::1]:7000').shown).toBe('redis://:***@[::1]:7000');
    expect(parseQueueUrl('redis://:secret@[::1]:7000').host).toBe('::1');
  });

  it('refuses what is not one, in one sentence that hides the password', () => {
    expect(() => parseQueueUrl('http://h:1')).toThrow(/the scheme is http\.$/);
    expect(() => parseQueueUrl('queue.local:6379')).toThrow(/--queue must be redis:\/\//);
    expect(() => parseQueueUrl('redis://h:1/x')).toThrow(/the database must be a number/);
    expect(() => parseQueueUrl('redis://h:1?x=1')).toThrow(/query/);
    expect(() => parseQueueUrl('ftp://u:hunter2@h')).toThrow(/u:\*\*\*@h/);
    expect(() => parseQueuePrefix('a b')).toThrow(/--queue-prefix must be/);
    expect(parseQueuePrefix(undefined)).toBe('stylecast');
  });

  it('timings: 30 s lock, 20 s for Redis, shorter only through the environment', () => {
    expect(queueTimings({})).toEqual({ lockMs: 30_000, lostMs: 20_000 });
    expect(queueTimings({ STYLECAST_QUEUE_LOCK_MS: '4000', STYLECAST_QUEUE_LOST_MS: '3000' })).toEqual({ lockMs: 4000, lostMs: 3000 });
    expect(() => queueTimings({ STYLECAST_QUEUE_LOCK_MS: '5' })).toThrow(/≥ 1000/);
  });

  it('paths in jobs: relative to the shared folder (refused outside it), absolute without one; URLs as they are', () => {
    expect(jobPath('/mnt/share/in/a.mp4', '/mnt/share', 'input')).toBe('in/a.mp4');
    expect(() => jobPath('/elsewhere/a.mp4', '/mnt/share', 'input')).toThrow(/outside --shared-dir/);
    expect(() => jobPath('/mnt/share', '/mnt/share', 'input')).toThrow(/outside --shared-dir/);
    expect(jobPath('/x/a.mp4', null, 'input')).toBe('/x/a.mp4');
    expect(jobPath('https://h/a.mp4', '/mnt/share', 'input')).toBe('https://h/a.mp4');
    expect(localPath('in/a.mp4', '/data/clips')).toBe('/data/clips/in/a.mp4');
    expect(() => localPath('in/a.mp4', null)).toThrow(/no --shared-dir/);
    expect(() => localPath('../etc/passwd', '/data/clips')).toThrow(/leaves the shared folder/);
  });

  it("a failed job's reason carries its code; BullMQ's stalled limit is WORKER_LOST", () => {
    expect(failureOf(failureText('CORRUPT_INPUT', 'The input is truncated (at 1 s).'))).toEqual({ code: 'CORRUPT_INPUT', message: 'The input is truncated (at 1 s).' });
    expect(failureOf('job stalled more than allowable limit').code).toBe('WORKER_LOST');
    expect(failureOf('boom')).toEqual({ code: 'INTERNAL', message: 'boom' });
  });
});
