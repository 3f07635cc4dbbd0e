/** Ports for DNS e2e tests, which bind UDP and TCP on the same number. */
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';

/**
 * A port free for TCP and UDP on 127.0.0.1 (skiff dns binds both). Free for UDP alone is not
 * enough: this machine often has tens of thousands of TCP connections on ephemeral ports.
 */
export async function freeUdpTcpPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const tcp = createServer();
    const port = await new Promise<number>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve((tcp.address() as AddressInfo).port)));
    const udp = createSocket('udp4');
    const udpFree = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    udp.close();
    await new Promise<void>((r) => tcp.close(() => r()));
    if (udpFree) return port;
  }
  throw new Error('no port free for both TCP and UDP');
}
