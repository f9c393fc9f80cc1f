// An async iterator fed by callbacks, for subscription resolvers. Unlike an async generator,
// its return() takes effect at once even while next() is pending, so a client's `complete`
// stops the timers of that subscription immediately.
export function eventStream(start) {
  const queue = [];
  let pending = null;
  let finished = false;
  let stop = null;

  const push = (value) => {
    if (finished) return;
    if (pending) {
      pending({ value, done: false });
      pending = null;
    } else {
      queue.push(value);
    }
  };

  const iterator = {
    next() {
      if (queue.length > 0) return Promise.resolve({ value: queue.shift(), done: false });
      if (finished) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => {
        pending = resolve;
      });
    },
    return() {
      if (!finished) {
        finished = true;
        queue.length = 0;
        stop?.();
        pending?.({ value: undefined, done: true });
        pending = null;
      }
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error) {
      iterator.return();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };

  stop = start(push) ?? null;
  return iterator;
}

// Emits `first()` at once, then `next()` every `intervalMs` until the stream is returned.
export function tickingStream(intervalMs, first, next = first) {
  return eventStream((push) => {
    push(first());
    const timer = setInterval(() => push(next()), intervalMs);
    return () => clearInterval(timer);
  });
}
