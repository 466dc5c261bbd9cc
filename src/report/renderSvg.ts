import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** A Vega logger that keeps warnings and errors instead of printing them (the library never prints). */
function collectingLogger(messages: string[]): vega.LoggerInterface {
  let level = vega.Warn;
  const keep = (kind: string) => (...args: unknown[]) => {
    messages.push(`${kind}: ${args.map(String).join(' ')}`);
  };
  const logger: vega.LoggerInterface = {
    level(value?: number) {
      if (value === undefined) return level;
      level = value;
      return logger;
    },
    error(...args: unknown[]) {
      keep('error')(...args);
      return logger;
    },
    warn(...args: unknown[]) {
      if (level >= vega.Warn) keep('warning')(...args);
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

/** A chart rendered to SVG, and what Vega warned of while rendering it. */
export interface RenderedChart {
  svg: string;
  /** Warnings Vega-Lite or Vega raised while compiling or rendering (empty for a clean chart). */
  warnings: string[];
}

/** Compiles a Vega-Lite specification and renders it to an SVG document in Node (no browser, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<RenderedChart> {
  const warnings: string[] = [];
  const logger = collectingLogger(warnings);
  const compiled = compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger, logLevel: vega.Warn });
  try {
    const svg = await view.toSVG();
    return { svg, warnings };
  } finally {
    view.finalize();
  }
}
