-- What only PostgreSQL 18 has, on top of edge-schema.sql.

CREATE TABLE edge.prices (
    item_id integer NOT NULL,
    valid_at daterange NOT NULL,
    amount numeric(10,2) NOT NULL,
    amount_cents bigint GENERATED ALWAYS AS ((amount * 100)::bigint) VIRTUAL,
    CONSTRAINT prices_pkey PRIMARY KEY (item_id, valid_at WITHOUT OVERLAPS),
    CONSTRAINT prices_amount_check CHECK (amount >= 0) NOT ENFORCED
);
CREATE TABLE edge.price_overrides (
    item_id integer NOT NULL,
    valid_at daterange NOT NULL,
    amount numeric(10,2),
    CONSTRAINT price_overrides_pkey PRIMARY KEY (item_id, valid_at WITHOUT OVERLAPS),
    CONSTRAINT price_overrides_price_fkey FOREIGN KEY (item_id, PERIOD valid_at)
        REFERENCES edge.prices (item_id, PERIOD valid_at)
);
CREATE TABLE edge.labels (
    id integer CONSTRAINT labels_id_required NOT NULL,
    name text,
    account_id bigint,
    CONSTRAINT labels_account_fkey FOREIGN KEY (account_id) REFERENCES edge.accounts (id)
        NOT ENFORCED
);
