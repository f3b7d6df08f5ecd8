import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

/**
 * One full garbage collection, run once the server's view is built. Loading a cluster parses
 * far more than the view keeps (a state folder's texts, the API server's list bodies: about 80
 * MiB at the benchmark's 1x); a webhook then allocates almost nothing that lives, so V8 never ran
 * the old-generation collection that would give that memory back, and the server kept it for its
 * whole life. `gc` is V8's own, exposed through a fresh context when Node was not started with
 * --expose-gc; nothing else in ztgate calls it.
 */
export function collectGarbage(): void {
  if (collect === undefined) {
    const exposed = (globalThis as { gc?: unknown }).gc;
    if (typeof exposed === 'function') collect = exposed as () => void;
    else {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    }
  }
  collect();
}
