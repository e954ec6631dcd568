-- The edge cases of test_security_clone.py: every feature of triggers, row-level security,
-- policies, comments, privileges and owners, on objects the library creates. {owner},
-- {reader} and {writer} are replaced by the test's role names.
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'the app''s schema';
ALTER SCHEMA app OWNER TO {owner};
GRANT USAGE ON SCHEMA app TO {reader};
GRANT CREATE ON SCHEMA app TO {writer} WITH GRANT OPTION;

ALTER SCHEMA public OWNER TO {owner};
REVOKE USAGE ON SCHEMA public FROM PUBLIC;
GRANT ALL ON SCHEMA public TO PUBLIC;
COMMENT ON SCHEMA public IS 'changed';

CREATE TYPE app.mood AS ENUM ('happy', 'sad');
COMMENT ON TYPE app.mood IS 'moods';
REVOKE USAGE ON TYPE app.mood FROM PUBLIC;
GRANT USAGE ON TYPE app.mood TO {reader};
ALTER TYPE app.mood OWNER TO {owner};

CREATE SEQUENCE app.counter;
COMMENT ON SEQUENCE app.counter IS 'counts';
GRANT USAGE, SELECT ON SEQUENCE app.counter TO {writer};
ALTER SEQUENCE app.counter OWNER TO {owner};

CREATE TABLE app.accounts (
    id serial PRIMARY KEY,
    owner_name text NOT NULL,
    balance numeric CHECK (balance >= 0),
    mood app.mood,
    note text,
    updated_at timestamptz
);
CREATE INDEX ix_accounts_owner ON app.accounts (owner_name);
COMMENT ON TABLE app.accounts IS 'accounts';
COMMENT ON COLUMN app.accounts.balance IS 'in cents';
COMMENT ON CONSTRAINT accounts_balance_check ON app.accounts IS 'never negative';
COMMENT ON CONSTRAINT accounts_pkey ON app.accounts IS 'the key';
COMMENT ON INDEX app.accounts_pkey IS 'the key''s index';
COMMENT ON INDEX app.ix_accounts_owner IS 'by owner';
COMMENT ON SEQUENCE app.accounts_id_seq IS 'ids';
ALTER TABLE app.accounts OWNER TO {owner};
GRANT SELECT, INSERT ON app.accounts TO {reader};
GRANT SELECT ON app.accounts TO {writer} WITH GRANT OPTION;
GRANT UPDATE (note), REFERENCES (note, balance) ON app.accounts TO {writer};
GRANT USAGE ON SEQUENCE app.accounts_id_seq TO {writer};
ALTER TABLE app.accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON app.accounts TO {reader}, {writer}
    USING (owner_name = CURRENT_USER) WITH CHECK (balance < 1000000);
CREATE POLICY read_all ON app.accounts AS RESTRICTIVE FOR SELECT USING (true);
CREATE POLICY adds ON app.accounts FOR INSERT TO {writer} WITH CHECK (owner_name <> '');
CREATE POLICY edits ON app.accounts FOR UPDATE USING (mood = 'happy') WITH CHECK (note IS NULL);
CREATE POLICY removals ON app.accounts FOR DELETE TO PUBLIC, {reader} USING (balance = 0);
COMMENT ON POLICY own_rows ON app.accounts IS 'own rows only';

CREATE TABLE app.entries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id integer NOT NULL REFERENCES app.accounts (id),
    amount numeric NOT NULL
);
GRANT SELECT ON app.entries TO PUBLIC;
GRANT USAGE ON SEQUENCE app.entries_id_seq TO {reader};
ALTER TABLE app.entries ENABLE ROW LEVEL SECURITY;

CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql
    AS $$BEGIN NEW.updated_at := now(); RETURN NEW; END$$;
CREATE FUNCTION app.audit() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
CREATE FUNCTION app.names_insert() RETURNS trigger LANGUAGE plpgsql
    AS $$BEGIN RETURN NEW; END$$;
CREATE FUNCTION app.add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE
    AS 'SELECT a + b';
COMMENT ON FUNCTION app.touch() IS 'stamps rows';
COMMENT ON FUNCTION app.add(integer, integer) IS 'adds';
REVOKE EXECUTE ON FUNCTION app.audit() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.audit() TO {writer};
GRANT EXECUTE ON FUNCTION app.add(integer, integer) TO {reader} WITH GRANT OPTION;
ALTER FUNCTION app.touch() OWNER TO {owner};

CREATE TRIGGER touch BEFORE UPDATE OF balance, note ON app.accounts
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION app.touch();
CREATE TRIGGER audit_statement AFTER INSERT OR DELETE OR TRUNCATE ON app.accounts
    FOR EACH STATEMENT EXECUTE FUNCTION app.audit('it''s', 'two words', '', 'back\slash');
CREATE TRIGGER audit_rows AFTER UPDATE ON app.accounts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS "New Rows"
    FOR EACH STATEMENT EXECUTE FUNCTION app.audit();
CREATE CONSTRAINT TRIGGER check_later AFTER INSERT OR UPDATE ON app.accounts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.balance > 100)
    EXECUTE FUNCTION app.audit();
CREATE CONSTRAINT TRIGGER check_soon AFTER INSERT ON app.accounts
    DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION app.audit();
CREATE CONSTRAINT TRIGGER check_now AFTER DELETE ON app.accounts
    FOR EACH ROW EXECUTE FUNCTION app.audit();
CREATE TRIGGER replica_only BEFORE INSERT ON app.accounts
    FOR EACH ROW EXECUTE FUNCTION app.touch();
ALTER TABLE app.accounts ENABLE REPLICA TRIGGER replica_only;
CREATE TRIGGER always_on BEFORE INSERT ON app.accounts FOR EACH ROW EXECUTE FUNCTION app.touch();
ALTER TABLE app.accounts ENABLE ALWAYS TRIGGER always_on;
CREATE TRIGGER switched_off AFTER INSERT ON app.accounts
    FOR EACH ROW EXECUTE FUNCTION app.audit();
ALTER TABLE app.accounts DISABLE TRIGGER switched_off;
CREATE TRIGGER fulltext BEFORE INSERT OR UPDATE ON app.accounts FOR EACH ROW
    EXECUTE FUNCTION tsvector_update_trigger('note', 'pg_catalog.english', 'owner_name');
COMMENT ON TRIGGER touch ON app.accounts IS 'stamps';

CREATE TABLE app."Weird ""Table""" ("Col ""x""" integer, "when" text);
COMMENT ON TABLE app."Weird ""Table""" IS E'line1\nline2 \\ back';
COMMENT ON COLUMN app."Weird ""Table"""."Col ""x""" IS 'ü';
CREATE TRIGGER "Trig ""q""" BEFORE INSERT OR UPDATE OF "Col ""x""", "when"
    ON app."Weird ""Table""" FOR EACH ROW
    WHEN (NEW."Col ""x""" > 0 AND NEW."when" <> 'x) EXECUTE FUNCTION (' AND 'FOR EACH ROW' <> ')')
    EXECUTE FUNCTION app.touch();
GRANT SELECT ("Col ""x"""), UPDATE ("when") ON app."Weird ""Table""" TO {reader};
ALTER TABLE app."Weird ""Table""" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Pol ""p""" ON app."Weird ""Table""" TO {reader} USING ("Col ""x""" > 0);
COMMENT ON POLICY "Pol ""p""" ON app."Weird ""Table""" IS 'quoted';

CREATE VIEW app.account_names AS SELECT id, owner_name FROM app.accounts;
CREATE TRIGGER names_insert INSTEAD OF INSERT ON app.account_names
    FOR EACH ROW EXECUTE FUNCTION app.names_insert();
COMMENT ON VIEW app.account_names IS 'names';
COMMENT ON COLUMN app.account_names.owner_name IS 'who';
COMMENT ON TRIGGER names_insert ON app.account_names IS 'redirects';
GRANT SELECT ON app.account_names TO {reader};
GRANT SELECT (owner_name) ON app.account_names TO {writer};
ALTER VIEW app.account_names OWNER TO {owner};

CREATE POLICY everything ON app.accounts FOR ALL WITH CHECK (true);
