-- An import on the embedded database is written in batches, each its own transaction: PGlite is one
-- connection in the server's thread, and one transaction over a whole file held every other request
-- until it ended. Each batch notes the orders it wrote here, in the same transaction. A finished
-- import deletes its notes; a failed one deletes its orders; notes left by an import cut short (the
-- process ended) are undone when the server next starts. So an import is still all or nothing.
CREATE TABLE import_batch (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  import_id  text NOT NULL,
  order_ids  bigint[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_batch_import ON import_batch (import_id);
