// Preloaded (`node --import`) into every process the bench measures, so each row reports the event-loop
// delay under load as seen inside the server itself, with no hook in the server's code. The bench asks
// over the IPC channel: 'loop-delay:reset' when the measured load starts, 'loop-delay:report' when it ends.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
process.on('message', (message) => {
  if (message === 'loop-delay:reset') histogram.reset();
  else if (message === 'loop-delay:report') {
    process.send?.({ loopDelay: { p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6 } });
  }
});
// The IPC channel must not keep a server alive that was asked to stop.
process.channel?.unref();
