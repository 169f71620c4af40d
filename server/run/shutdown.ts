// Graceful shutdown: stop accepting, let requests in flight finish, then close keep-alive sockets as
// they fall idle (server.close alone would wait out the keep-alive timeout on each of them).
import type { Server } from 'node:http';

export function trackConnections(server: Server) {
  return {
    drain(): Promise<void> {
      return new Promise((resolve, reject) => {
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        server.close((err) => {
          clearInterval(sweep);
          if (err) reject(err);
          else resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
