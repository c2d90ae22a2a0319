import type { MigrationSet } from '@shipshape/db';

/**
 * The billing schema, one version at a time. A version that has shipped is never edited: a change is
 * a new version.
 */
export const billingMigrations: MigrationSet = {
  owner: 'billing',
  migrations: [
    {
      version: 1,
      name: 'orders',
      sql: `
        CREATE TABLE orders (
          id serial PRIMARY KEY,
          message_id text NOT NULL UNIQUE,
          user_id integer NOT NULL CHECK (user_id > 0),
          number_of_items integer NOT NULL CHECK (number_of_items > 0),
          total_amount numeric(12, 2) NOT NULL CHECK (total_amount > 0),
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX orders_newest_first ON orders (created_at DESC, id DESC);
      `,
    },
  ],
};
