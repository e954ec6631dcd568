-- PostgreSQL 18: a virtual generated column and a named NOT NULL constraint.
CREATE TABLE app.prices (
    id integer CONSTRAINT prices_id_required NOT NULL,
    amount numeric(10,2) NOT NULL,
    amount_cents bigint GENERATED ALWAYS AS ((amount * 100)::bigint) VIRTUAL
);
