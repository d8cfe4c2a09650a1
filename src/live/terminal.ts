/**
 * The demo's terminal: log lines scroll as usual, and a fixed-height frame stays below them.
 * Every write goes through here. Before a log line the frame is erased (cursor up over exactly
 * its lines, clear to the end of the screen), the line is written where the frame was and
 * scrolls like any output, then the frame is drawn again below it: log lines are never
 * overwritten and end up in the terminal's scrollback. The frame's lines are cut to the width
 * minus one, so none wraps and "up by N lines" is always exact (a wrapped line is what stacked
 * the old frames' headers down the screen), and the frame is cut to the height minus one, so
 * the cursor never has to move above the top of the screen.
 * Control sequences: ECMA-48 CPL (CSI n F) and ED (CSI J), as xterm and tmux implement them.
 */
export interface TerminalOut {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
  readonly rows?: number;
}

const CSI = '\u001b[';

/** Cuts `line` to `width` columns (the demo writes ASCII and box-drawing characters only). */
function fitLine(line: string, width: number): string {
  return line.length <= width ? line : line.slice(0, Math.max(0, width));
}

export class TerminalView {
  private frameLines: string[] = [];
  /** Lines of the frame currently on the screen (0 when erased or never drawn). */
  private drawn = 0;

  constructor(private readonly out: TerminalOut) {}

  get interactive(): boolean {
    return this.out.isTTY === true;
  }

  private width(): number {
    return Math.max(20, (this.out.columns ?? 80) - 1);
  }

  private height(): number {
    return Math.max(1, (this.out.rows ?? 24) - 1);
  }

  private erase(): string {
    if (this.drawn === 0) return '';
    const text = `${CSI}${this.drawn}F${CSI}J`;
    this.drawn = 0;
    return text;
  }

  private render(): string {
    const lines = this.frameLines.slice(0, this.height()).map((line) => fitLine(line, this.width()));
    this.drawn = lines.length;
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }

  /** Writes text (one or more lines) above the frame. */
  log(text: string): void {
    const body = text.endsWith('\n') ? text : `${text}\n`;
    if (!this.interactive) {
      this.out.write(body);
      return;
    }
    this.out.write(`${this.erase()}${body}${this.render()}`);
  }

  /** Replaces the frame. Without a terminal nothing is drawn: call `log` with the text instead. */
  frame(lines: readonly string[]): void {
    this.frameLines = [...lines];
    if (!this.interactive) return;
    this.out.write(`${this.erase()}${this.render()}`);
  }

  /** Leaves the last frame on the screen as ordinary output. */
  stop(): void {
    this.drawn = 0;
    this.frameLines = [];
  }
}
