/** How the bench sees a row arrive: a row trigger on the receiving side NOTIFYs its id, a listener times it. */
import { Client } from 'pg';
import { now } from './benchSupport';

export const ARRIVAL_TRIGGER = `
CREATE FUNCTION bench_arrival() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('bench_arrival', NEW.id::text); RETURN NULL; END $$;
CREATE TRIGGER bench_arrival AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION bench_arrival();
ALTER TABLE users ENABLE ALWAYS TRIGGER bench_arrival;`;

/** Resolves with arrival times (performance.now) of ids announced on channel bench_arrival. */
export class ArrivalListener {
  private readonly waiters = new Map<string, (ms: number) => void>();
  private constructor(private readonly client: Client) {}

  static async start(url: string): Promise<ArrivalListener> {
    const client = new Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    const listener = new ArrivalListener(client);
    client.on('notification', (message) => {
      const at = now();
      const waiter = listener.waiters.get(message.payload ?? '');
      if (waiter) {
        listener.waiters.delete(message.payload ?? '');
        waiter(at);
      }
    });
    await client.query('LISTEN bench_arrival');
    return listener;
  }

  arrival(id: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`row ${id} did not arrive within 10 s`)), 10_000);
      this.waiters.set(id, (ms) => {
        clearTimeout(timer);
        resolve(ms);
      });
    });
  }

  close(): Promise<void> {
    return this.client.end();
  }
}
