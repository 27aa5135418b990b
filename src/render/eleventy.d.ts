/**
 * The small part of @11ty/eleventy 3 that src/render/eleventy.ts uses. The package ships
 * no type declarations; this file only describes, it adds nothing at run time.
 */
declare module '@11ty/eleventy' {
  /** The configuration API handed to `options.config` (Eleventy's UserConfig). */
  export interface EleventyUserConfig {
    addGlobalData(name: string, data: unknown): EleventyUserConfig;
    addFilter(name: string, fn: (...args: never[]) => unknown): void;
    setTemplateFormats(formats: string | string[]): void;
    setUseGitIgnore(enabled: boolean): void;
    setQuietMode(quiet: boolean): void;
    setNunjucksEnvironmentOptions(options: {
      autoescape?: boolean;
      throwOnUndefined?: boolean;
      trimBlocks?: boolean;
      lstripBlocks?: boolean;
    }): void;
    setDataFileSuffixes(suffixes: string[]): void;
    setLibrary(engine: 'njk', library: NunjucksEnvironment): void;
    on(event: 'eleventy.engine.njk', listener: (arg: { environment: NunjucksEnvironment }) => void): void;
    /** Emitted (synchronously, before use) with the ignore globs; the array may be changed in place. */
    on(event: 'eleventy.ignores', listener: (ignores: string[]) => void): void;
    /** Emitted once the configuration is merged, with Eleventy's TemplateConfig. */
    on(event: 'eleventy.config', listener: (templateConfig: EleventyTemplateConfig) => void): void;
  }

  export interface EleventyTemplateConfig {
    /** The merged configuration; `keys.package` names the global data of the cwd's package.json (false: none). */
    getConfig(): { keys: { package: string | false } };
  }

  /** The parts of a nunjucks Environment (passed by the 'eleventy.engine.njk' event) we touch. */
  export interface NunjucksEnvironment {
    /** Extensions (custom tags) by name; Eleventy adds its `setAsync` tag on every build. */
    extensions: Record<string, unknown>;
    removeExtension(name: string): void;
  }

  export interface EleventyOptions {
    /** A path to a config file; a falsy value ('') means "read no config file at all". */
    configPath?: string;
    quietMode?: boolean;
    /** 'esm' skips reading the working directory's package.json to guess the module type. */
    loader?: 'esm' | 'cjs' | 'auto';
    runMode?: 'build' | 'serve' | 'watch';
    config?: (cfg: EleventyUserConfig) => void | Promise<void>;
  }

  /** One rendered output of `toJSON()`. */
  export interface EleventyJsonEntry {
    url: string | false;
    inputPath: string;
    outputPath: string | false;
    rawInput: string;
    content: string;
  }

  export default class Eleventy {
    constructor(input?: string, output?: string, options?: EleventyOptions);
    /** Renders every template to memory; writes nothing. */
    toJSON(): Promise<EleventyJsonEntry[]>;
  }
}
