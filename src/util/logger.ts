import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** One structured logger per component; level from SKIFF_LOG_LEVEL (default info, silent under tests). */
export function createLogger(component: string, level?: string): Logger {
  const chosen = level ?? process.env.SKIFF_LOG_LEVEL ?? (process.env.NODE_TEST_CONTEXT ? 'silent' : 'info');
  return pino({ name: component, level: chosen }, pino.destination(2));
}

export const silentLogger: Logger = pino({ level: 'silent' });
