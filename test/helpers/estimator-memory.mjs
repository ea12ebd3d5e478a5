// Child-process scenarios of test/shapley-estimator-memory.test.mjs. No explicit GC anywhere.
// Each stops early (exit 1) once its RSS passes `limitMB`, the memory bound of the test.
import { ShapleyEstimator } from '../../dist/index.js';

const rssMB = () => Math.round(process.memoryUsage().rss / 2 ** 20);
const options = { players: 20, budget: 5000, method: 'stratified' };  // about 23 KB of native memory at creation

function bound(limitMB, i) {
  if (rssMB() > limitMB) {
    console.log(`RSS ${rssMB()} MB after ${i} estimators: over the ${limitMB} MB bound`);
    process.exit(1);
  }
}

/**
 * `count` estimators created and dropped; each lives for the next `window` creations, across turns
 * of the event loop (so the young generation promotes it, as a real caller's would be), and only
 * garbage collection frees them. Prints the RSS once a fifth of them exist and at the end.
 */
export async function createAndDrop(count, window, limitMB) {
  const live = [];
  const rss = [];
  for (let i = 1; i <= count; i++) {
    live[i % window] = new ShapleyEstimator(options);
    if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
    if (i % 5000 === 0) bound(limitMB, i);
    if (i === count / 5 || i === count) rss.push(rssMB());
  }
  console.log(`rss ${rss.join(' ')}`);
}

/** `count` estimators used and disposed in a synchronous loop (no garbage collection can free them). */
export function useAndDispose(count, limitMB) {
  const start = rssMB();
  for (let i = 1; i <= count; i++) {
    const e = new ShapleyEstimator(options);  // \`using e = ...\` where the syntax exists (not in Node 20)
    try {
      const masks = e.nextBatch(64);
      e.observe(masks, new Float64Array(masks.length));
    } finally {
      e[Symbol.dispose]();
    }
    if (i % 5000 === 0) bound(limitMB, i);
  }
  console.log(`rss ${start} ${rssMB()}`);
}
