/**
 * Container logs. The container's stdout+stderr is a FIFO the container's wrapper opens
 * read-write (so it never gets SIGPIPE while the agent is away: it only blocks once the 64 KiB
 * pipe buffer is full); the agent reads the FIFO and appends CRI-format lines
 * `<RFC3339Nano> stdout F <text>` to the instance's log file. After an agent restart the new
 * agent re-opens the FIFO and carries on: no line is lost (lines written while it was away get
 * the time it read them). Files: <dir>/<instance>.log; the previous instance is kept for
 * `--previous`, older ones are deleted.
 */
import { createWriteStream, openSync, constants as fsc, type WriteStream } from 'node:fs';
import { Socket } from 'node:net';

const MAX_PARTIAL = 16 * 1024;

/** RFC 3339 with nanoseconds (the precision kubelet prints for --timestamps). */
export function rfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString(); // ...HH:MM:SS.mmmZ
  return `${iso.slice(0, 23)}000000Z`;
}

export class LogPump {
  private socket?: Socket;
  private out: WriteStream;
  private partial = '';
  private lastDataAt = 0;
  private closed = false;

  constructor(
    private readonly fifoPath: string,
    logPath: string,
    private readonly now: () => number = Date.now,
  ) {
    this.out = createWriteStream(logPath, { flags: 'a' });
    this.out.on('error', () => {});
  }

  /** Opens the FIFO (it must exist). No-op once finished: a late open must not hold it. */
  start(): void {
    if (this.closed) return;
    const fd = openSync(this.fifoPath, fsc.O_RDWR | fsc.O_NONBLOCK);
    const socket = new Socket({ fd, readable: true, writable: false });
    this.socket = socket;
    socket.on('data', (d: Buffer) => this.onData(d.toString('utf8')));
    socket.on('error', () => {});
  }

  private onData(text: string): void {
    this.lastDataAt = this.now();
    const ts = rfc3339Nano(this.lastDataAt);
    let data = this.partial + text;
    let chunk = '';
    for (;;) {
      const i = data.indexOf('\n');
      if (i < 0) break;
      chunk += `${ts} stdout F ${data.slice(0, i)}\n`;
      data = data.slice(i + 1);
    }
    if (data.length > MAX_PARTIAL) {
      chunk += `${ts} stdout P ${data}\n`;
      data = '';
    }
    this.partial = data;
    if (chunk) this.out.write(chunk);
  }

  /** Reads what is left in the pipe (the process has exited), then closes the file. */
  async finish(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let pending reads land: stop when nothing arrived for 50 ms (at most 1 s).
    const deadline = Date.now() + 1000;
    let seen = -1;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      if (this.lastDataAt === seen) break;
      seen = this.lastDataAt;
    }
    this.socket?.destroy();
    if (this.partial) {
      this.out.write(`${rfc3339Nano(this.now())} stdout F ${this.partial}\n`);
      this.partial = '';
    }
    await new Promise<void>((r) => this.out.end(() => r()));
  }

  /** Agent shutdown with the container still running: stop reading, keep the FIFO. */
  detach(): void {
    this.closed = true;
    this.socket?.destroy();
    if (this.partial) this.out.write(`${rfc3339Nano(this.now())} stdout P ${this.partial}\n`);
    this.out.end();
  }
}

export interface LogLine {
  timeMs: number;
  /** RFC3339Nano as stored. */
  time: string;
  text: string;
  partial: boolean;
}

export function parseLogLine(line: string): LogLine | undefined {
  // <time> <stream> <P|F> <text>
  const a = line.indexOf(' ');
  if (a < 0) return undefined;
  const b = line.indexOf(' ', a + 1);
  if (b < 0) return undefined;
  const tag = line.slice(b + 1, b + 2);
  const time = line.slice(0, a);
  return { time, timeMs: Date.parse(time), text: line.slice(b + 3), partial: tag === 'P' };
}

export interface LogQuery {
  timestamps?: boolean;
  tailLines?: number;
  sinceTimeMs?: number;
  limitBytes?: number;
}

/** Formats stored CRI lines as kubectl shows them. */
export function renderLog(content: string, q: LogQuery): string {
  const lines = content.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  let parsed = lines.map(parseLogLine).filter((l): l is LogLine => !!l);
  if (q.sinceTimeMs !== undefined) parsed = parsed.filter((l) => l.timeMs >= q.sinceTimeMs!);
  if (q.tailLines !== undefined) parsed = q.tailLines <= 0 ? [] : parsed.slice(-q.tailLines);
  let out = '';
  for (const l of parsed) out += renderLine(l, q.timestamps);
  if (q.limitBytes !== undefined) out = Buffer.from(out).subarray(0, q.limitBytes).toString();
  return out;
}

export function renderLine(l: LogLine, timestamps?: boolean): string {
  const body = l.partial ? l.text : `${l.text}\n`;
  return timestamps ? `${l.time} ${body}` : body;
}
