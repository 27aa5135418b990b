/**
 * The small part of nunjucks 3 that src/render/direct.ts and precompile.ts use (the package
 * ships no types).
 */
declare module 'nunjucks' {
  export interface EnvironmentOptions {
    autoescape?: boolean;
    trimBlocks?: boolean;
    lstripBlocks?: boolean;
  }
  export type Loader = FileSystemLoader | PrecompiledLoader;
  export class FileSystemLoader {
    constructor(searchPaths: string[]);
  }
  export class PrecompiledLoader {
    constructor(compiled: Record<string, unknown>);
  }
  export class Environment {
    constructor(loaders: Loader | Loader[], options?: EnvironmentOptions);
    getTemplate(name: string, eagerCompile?: boolean): Template;
  }
  export class Template {
    render(context: Record<string, unknown>): string;
  }
  export function precompileString(
    source: string,
    opts: { name: string; env: Environment; wrapper: (templates: { name: string; template: string }[]) => string },
  ): string;
  const nunjucks: {
    Environment: typeof Environment;
    FileSystemLoader: typeof FileSystemLoader;
    PrecompiledLoader: typeof PrecompiledLoader;
    precompileString: typeof precompileString;
  };
  export default nunjucks;
}

/** nunjucks' slim build: the same runtime, without the compiler; it runs precompiled templates only. */
declare module 'nunjucks/browser/nunjucks-slim.js' {
  import type { Environment, PrecompiledLoader } from 'nunjucks';
  const slim: {
    Environment: typeof Environment;
    PrecompiledLoader: typeof PrecompiledLoader;
  };
  export default slim;
}
