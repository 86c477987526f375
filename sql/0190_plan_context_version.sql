-- What the callback plan reads for every discharge (callback rules, departments, the HIS code
-- mapping, each department's agents and whether they are active) changes rarely and is kept by each
-- app instance while this token stays the same. Every write to those tables, by any instance or by
-- hand, gives the token a new random value in the same transaction, so a reader that sees the old
-- token also sees the old rows. Random rather than a counter: two databases (tests in one process)
-- never share a token unless one is a copy of the other with the same rows.
CREATE TABLE plan_context_version (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  token text NOT NULL
);
INSERT INTO plan_context_version (token) VALUES (gen_random_uuid()::text);

CREATE FUNCTION plan_context_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE plan_context_version SET token = gen_random_uuid()::text;
  RETURN NULL;
END $$;

CREATE TRIGGER callback_rule_plan_context AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON callback_rule FOR EACH STATEMENT EXECUTE FUNCTION plan_context_changed();
CREATE TRIGGER department_plan_context AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON department FOR EACH STATEMENT EXECUTE FUNCTION plan_context_changed();
CREATE TRIGGER his_code_map_plan_context AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON his_code_map FOR EACH STATEMENT EXECUTE FUNCTION plan_context_changed();
CREATE TRIGGER department_agent_plan_context AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON department_agent FOR EACH STATEMENT EXECUTE FUNCTION plan_context_changed();
-- of a user only what the plan reads: whether they are active (and a user removed outright)
CREATE TRIGGER app_user_plan_context AFTER UPDATE OF active OR DELETE ON app_user FOR EACH STATEMENT EXECUTE FUNCTION plan_context_changed();
