const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

export interface SignalWatch {
  /** True once SIGINT or SIGTERM arrived. */
  requested(): boolean;
  received(): NodeJS.Signals | null;
  dispose(): void;
}

/**
 * Turns the first SIGINT or SIGTERM into a polite stop request (the training loop finishes its step and writes a
 * checkpoint); a second one exits at once.
 */
export function stopOnSignals(onFirst: (signal: NodeJS.Signals) => void): SignalWatch {
  let got: NodeJS.Signals | null = null;
  const handler = (signal: NodeJS.Signals) => {
    if (got !== null) process.exit(signal === 'SIGTERM' ? 143 : 130);
    got = signal;
    onFirst(signal);
  };
  for (const s of SIGNALS) process.on(s, handler);
  return {
    requested: () => got !== null,
    received: () => got,
    dispose: () => {
      for (const s of SIGNALS) process.off(s, handler);
    },
  };
}
