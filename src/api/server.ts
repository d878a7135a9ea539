/** The app's one HTTP server: the API's express app and the /ws feed share its port. */
import type { Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built wall (dist/web), served at `/`. */
export const WEB_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'web');

/** Listens on `port` (0: any free one); resolves with the URL it answers on. */
export async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return `http://localhost:${typeof address === 'object' && address ? address.port : port}`;
}

/** Stops listening and drops the open connections (keep-alive ones would hold the close for minutes). */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
