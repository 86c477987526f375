-- Discharged patients from the HIS (回访 1/3): clinical departments, the admin's table mapping HIS
-- codes to ours, patients with their phones, and stays with diagnoses and procedures.

-- Clinical departments (科室) are not logistics teams: the callback desk plans and calls per department.
CREATE TABLE department (
  id serial PRIMARY KEY,
  code text NOT NULL UNIQUE,
  name text NOT NULL,
  name_en text NOT NULL,
  active boolean NOT NULL DEFAULT true
);

-- Callback agents who call a department's patients (round robin); none: the department's calls go to the pool.
CREATE TABLE department_agent (
  department_id integer NOT NULL REFERENCES department(id),
  user_id integer NOT NULL REFERENCES app_user(id),
  PRIMARY KEY (department_id, user_id)
);

-- An HIS's codes mapped to ours, kept by the administrator (not in code): department codes as the HIS
-- sends them in PV1-10 or PV1-3.9, discharge dispositions (PV1-36) to what the plan needs to know.
CREATE TABLE his_code_map (
  kind text NOT NULL CHECK (kind IN ('department', 'disposition')),
  code text NOT NULL,
  department_id integer REFERENCES department(id),
  disposition text CHECK (disposition IN ('home', 'died', 'transferred', 'other')),
  note text,
  PRIMARY KEY (kind, code),
  CHECK ((kind = 'department') = (department_id IS NOT NULL)),
  CHECK ((kind = 'disposition') = (disposition IS NOT NULL))
);

CREATE TABLE patient (
  id serial PRIMARY KEY,
  mrn text NOT NULL UNIQUE,                  -- the HIS's patient identifier, PID-3
  name text NOT NULL,
  sex text NOT NULL DEFAULT 'U' CHECK (sex IN ('F', 'M', 'O', 'U')),
  birth_date date,
  deceased boolean NOT NULL DEFAULT false,   -- PID-30
  do_not_call boolean NOT NULL DEFAULT false,
  consent_sms boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Stored whole; shown masked to every role but the administrator.
CREATE TABLE patient_phone (
  id serial PRIMARY KEY,
  patient_id integer NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
  position integer NOT NULL,
  use text NOT NULL CHECK (use IN ('mobile', 'home', 'relative', 'work')),
  number text NOT NULL,
  -- a number that is not a phone is kept as the HIS sent it, flagged, and never dialled
  valid boolean NOT NULL,
  UNIQUE (patient_id, position)
);

CREATE TABLE stay (
  id serial PRIMARY KEY,
  patient_id integer NOT NULL REFERENCES patient(id),
  source text NOT NULL,                      -- which HIS or feed: MSH-3 for HL7, the caller's for REST and CSV
  visit_number text NOT NULL,                -- PV1-19
  department_id integer REFERENCES department(id),
  department_code text NOT NULL,
  ward text,
  bed text,
  attending_doctor text,
  responsible_nurse text,
  patient_class text,                        -- PV1-2: I inpatient, O outpatient, E emergency …
  admitted_at timestamptz,
  discharged_at timestamptz,
  disposition_code text,                     -- PV1-36 as sent
  disposition text,                          -- mapped: home, died, transferred, other
  status text NOT NULL CHECK (status IN ('admitted', 'discharged', 'cancelled')),
  last_event text NOT NULL,                  -- A01, A03, A04, A08, A13 (REST and CSV send A03 or A13)
  origin text NOT NULL,                      -- HL7 message control id, 'api' or 'upload'
  content_hash text NOT NULL,                -- what the stay says, to answer "unchanged" to a resend
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source, visit_number)
);
CREATE INDEX stay_patient ON stay (patient_id);

CREATE TABLE stay_diagnosis (
  stay_id integer NOT NULL REFERENCES stay(id) ON DELETE CASCADE,
  position integer NOT NULL,
  code text NOT NULL,
  text text NOT NULL DEFAULT '',
  PRIMARY KEY (stay_id, position)
);

CREATE TABLE stay_procedure (
  stay_id integer NOT NULL REFERENCES stay(id) ON DELETE CASCADE,
  position integer NOT NULL,
  code text NOT NULL,
  text text NOT NULL DEFAULT '',
  performed_at timestamptz,
  PRIMARY KEY (stay_id, position)
);
