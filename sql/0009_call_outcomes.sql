-- Click-to-dial outcomes a dialer can trust, taken from the callee's leg (telephony/src/calls.ts):
-- the number did not exist, could not be reached, the operator's own phone never answered, or the
-- operator hung up before it rang. Old rows keep their values.
ALTER TABLE call DROP CONSTRAINT IF EXISTS call_outcome_check;
ALTER TABLE call ADD CONSTRAINT call_outcome_check CHECK (outcome IN (
  'answered', 'missed', 'busy', 'no_answer', 'invalid_number', 'unreachable', 'operator_no_answer', 'cancelled', 'failed'));
-- the calls a desk still thinks are live, for the reconnect reconciliation and the expiry sweep
CREATE INDEX IF NOT EXISTS call_live ON call (started_at) WHERE state IN ('ringing', 'answered', 'dialing');
