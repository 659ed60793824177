import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Makes a server on 127.0.0.1 (the fake GitLab, the fake index) reachable from the
 * containers: they are on Compose's bridge network, and with dockerd's --iptables=false
 * the host is reachable from there only at the bridge's gateway address. That address
 * exists only once Compose has created the network, after the URLs had to be written
 * into .env, so this listens on every address and takes only connections that arrive
 * at the gateway; anything else is closed at once.
 */
export interface BridgeForward {
  /** `http://<gateway>:<port>`: what the containers are given instead of the 127.0.0.1 origin. */
  readonly url: string;
  readonly refused: number;
  close(): Promise<void>;
}

export async function forwardFromBridge(gateway: string, target: string): Promise<BridgeForward> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  let refused = 0;
  const server = createServer((inbound) => {
    if (inbound.localAddress?.replace(/^::ffff:/, '') !== gateway) {
      refused += 1;
      inbound.destroy();
      return;
    }
    const outbound = connect(Number(port), hostname);
    for (const s of [inbound, outbound]) {
      open.add(s);
      s.once('close', () => open.delete(s));
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  return {
    url: `http://${gateway}:${(server.address() as AddressInfo).port}`,
    get refused() {
      return refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
