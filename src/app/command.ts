import type { ParseArgsConfig } from 'node:util';
import type { Context } from './context.js';

export interface Command {
  name: string;
  /** Full help text: usage line, what it does, its own flags. */
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(ctx: Context): Promise<number>;
  /**
   * When set, main calls this with the unparsed arguments instead of building a context and
   * calling run: for `hook`, which must exit 0 whatever its flags and config file say.
   */
  runRaw?(argv: string[]): Promise<number>;
}
