// One transaction on a connection of its own, for the PostgreSQL inbox and the relay's outbox alike.
import type pg from 'pg';

/** Runs `work` in one transaction: committed if it returns, else rolled back; the connection goes back either way. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
