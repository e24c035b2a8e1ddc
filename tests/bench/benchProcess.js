'use strict';
/**
 * What every cluster benchmark does around its measurements: a hard stop (a bench must never hang a run; it stops
 * what it started first) and the machine's load average printed beside its figures (above the core count, absolute
 * times are noisy: read the ratios measured side by side).
 */
const { cpus, loadavg } = require('node:os');
const { setTimeout } = require('node:timers');

/**
 * Gives up after `limitMs`: prints why, runs `cleanup` (e.g. stopping the cluster; at most 30 s), exits 1. Also on
 * Ctrl-C / SIGTERM, so no node outlives the bench.
 */
function stopAfter(name, limitMs, cleanup = async () => {}) {
  let stopping = false;
  const stop = (why) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${name}: ${why}, stopping\n`);
    const forced = setTimeout(() => process.exit(1), 30_000);
    forced.unref();
    cleanup().finally(() => process.exit(1));
  };
  setTimeout(() => stop(`gave up after ${limitMs} ms`), limitMs).unref();
  process.once('SIGINT', () => stop('interrupted'));
  process.once('SIGTERM', () => stop('terminated'));
}

/** "load average 3.21 / 2.80 / 2.10 (1/5/15 min) on 2 cores" */
function loadAverageLine() {
  const [one, five, fifteen] = loadavg().map((n) => n.toFixed(2));
  return `load average ${one} / ${five} / ${fifteen} (1/5/15 min) on ${cpus().length} cores`;
}

module.exports = { stopAfter, loadAverageLine };
