-- A missed call is cleared from the desk's list when someone calls the number back and is answered;
-- it stays in the call log with the call that answered it.
ALTER TABLE call ADD COLUMN IF NOT EXISTS called_back_by bigint REFERENCES call(id);
CREATE INDEX IF NOT EXISTS call_missed_pending ON call (caller_number) WHERE state = 'missed' AND called_back_by IS NULL;
