/**
 * Lets the event loop run (socket.io, data channels, rendering) between training steps. Awaiting
 * a gradient is not enough: on the cpu and wasm backends `data()` resolves in microtasks, so a
 * loop of awaits would starve every event. setTimeout(0) is clamped to 4 ms once nested, which
 * would cap a fast backend, so use a MessageChannel round trip (setImmediate in Node). Not
 * scheduler.yield: its continuation runs ahead of pending tasks, which starved the socket here.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((r) => setImmediate(r));
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}
