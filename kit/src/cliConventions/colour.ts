/**
 * Colour only where a person reads it: on a terminal, unless NO_COLOR says no; FORCE_COLOR forces it either way
 * (FORCE_COLOR=0 turns it off), as Node.js itself decides. Pure: the stream's facts and the environment come in.
 */
export interface ColourTarget {
  readonly isTTY?: boolean;
}

export function colourEnabled(stream: ColourTarget, env: Readonly<Record<string, string | undefined>>): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.toLowerCase());
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export interface Paint {
  readonly red: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly green: (text: string) => string;
  readonly bold: (text: string) => string;
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

export function paint(enabled: boolean): Paint {
  return enabled
    ? { red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39), bold: sgr(1, 22) }
    : { red: plain, yellow: plain, green: plain, bold: plain };
}

/** The paint for this process's stdout. */
export function stdoutPaint(): Paint {
  return paint(colourEnabled(process.stdout, process.env));
}
