-- A phone device belongs to one active account: a screen pop goes to the account whose device
-- rings, so two accounts on one device would pop the call on the wrong person's desk. The API
-- answers 409 phoneDevice first; this index holds when two requests race.
CREATE UNIQUE INDEX app_user_phone_device ON app_user (phone_device) WHERE active AND phone_device IS NOT NULL;
