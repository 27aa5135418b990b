/**
 * Text for a log line. Logged text carries what clients send (user names, URLs) before
 * anyone has logged in: a raw newline would let them write a forged line of their own, an
 * ESC byte would drive the admin's terminal. So every control character is shown escaped.
 */

/** C0, DEL, C1, the Unicode line and paragraph separators, and the bidi overrides that reorder what a terminal shows. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this regex's job
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` on one line with every control character escaped (\n, \r, \t, \xNN, \uNNNN); idempotent. */
export function logSafe(text: string): string {
  return text.replace(CONTROL, (c) => {
    const named = NAMED[c];
    if (named !== undefined) return named;
    const code = c.charCodeAt(0);
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

interface LogLike {
  info(msg: string): void;
  detail(msg: string): void;
  warn(msg: string): void;
}

/** A logger that passes every line through logSafe: for servers, whose log lines quote clients. */
export function safeLogger<L extends LogLike>(log: L): LogLike {
  return {
    info: (m) => log.info(logSafe(m)),
    detail: (m) => log.detail(logSafe(m)),
    warn: (m) => log.warn(logSafe(m)),
  };
}
