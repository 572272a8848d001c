-- A company's own calendar (R21): the subdivision whose public holidays
-- also apply, and the days an administrator closed.
ALTER TABLE companies ADD COLUMN subdivision TEXT;

CREATE TABLE company_closures (
    company_id TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (company_id, day)
);
