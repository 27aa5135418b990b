import type { ParseArgsConfig } from 'node:util';
import type { Context } from './context.js';

export interface Command {
  name: string;
  /** Full help text: usage line, what it does, its own flags. */
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(ctx: Context): Promise<number>;
}
