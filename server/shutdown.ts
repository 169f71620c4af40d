// Graceful shutdown: stop accepting, let requests in flight finish, close idle keep-alive sockets.
import type { Server } from 'node:http';

export function trackConnections(server: Server) {
  return {
    drain(): Promise<void> {
      return new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      });
    },
  };
}
