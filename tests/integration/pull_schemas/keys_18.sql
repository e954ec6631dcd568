-- PostgreSQL 18's key options: NOT ENFORCED checks and foreign keys, temporal keys
-- (WITHOUT OVERLAPS, PERIOD).
CREATE TABLE keys.prices (
    item integer NOT NULL,
    valid_at tstzrange NOT NULL,
    amount numeric NOT NULL,
    CONSTRAINT prices_pkey PRIMARY KEY (item, valid_at WITHOUT OVERLAPS),
    CONSTRAINT prices_amount_check CHECK (amount >= 0) NOT ENFORCED
);
CREATE TABLE keys.slots (
    id integer NOT NULL,
    valid_at tstzrange NOT NULL,
    CONSTRAINT slots_key UNIQUE (id, valid_at WITHOUT OVERLAPS)
);
CREATE TABLE keys.overrides (
    item integer NOT NULL,
    valid_at tstzrange NOT NULL,
    account_id integer,
    CONSTRAINT overrides_price_fkey FOREIGN KEY (item, PERIOD valid_at)
        REFERENCES keys.prices (item, PERIOD valid_at),
    CONSTRAINT overrides_account_fkey FOREIGN KEY (account_id) REFERENCES keys.accounts (id)
        NOT ENFORCED
);
