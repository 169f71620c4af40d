// Structured JSON logs. Secrets, signatures and message text never reach them: request logs carry the
// path without its query (the handshake's query holds the verify token) and never a body or header.
import { pino, type Logger, type DestinationStream } from 'pino';

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'instagram-push-kit' },
      redact: { paths: ['*.appSecret', '*.verifyToken', '*.inboxToken', '*.authorization', '*["x-hub-signature-256"]'], censor: '[redacted]' },
    },
    options.destination,
  );
}

export type { Logger };
