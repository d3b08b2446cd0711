-- Reserve ids up front so that child rows can be written with COPY in one pass.
SELECT nextval(%(sequence)s::regclass) FROM generate_series(1, %(n)s)
