-- Reserve ids of a payment table up front (ledger.remittance.reserve_ids) so that child rows can
-- name their parents and all be written with COPY in one pass.
SELECT nextval(%(sequence)s::regclass) FROM generate_series(1, %(n)s)
