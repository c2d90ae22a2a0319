/**
 * One progress line on stderr: rewritten in place on a terminal, a line every few seconds otherwise
 * (CI logs), so the table on stdout stays clean when it is piped.
 */
export function createProgress(stream = process.stderr) {
  const tty = Boolean(stream.isTTY);
  let open = false;
  let lastLine = 0;
  const clear = () => {
    if (tty && open) stream.write('\r\x1b[2K');
    open = false;
  };
  return {
    /** Replaces the progress line. */
    update(text) {
      if (tty) {
        stream.write(`\r\x1b[2K${text}`);
        open = true;
      } else if (Date.now() - lastLine >= 5_000) {
        stream.write(`${text}\n`);
        lastLine = Date.now();
      }
    },
    /** A line that stays (a step finished, a warning). */
    log(text) {
      clear();
      stream.write(`${text}\n`);
      lastLine = 0;
    },
    clear,
  };
}

export const formatCount = (value) => Math.round(value).toLocaleString('en-US');
