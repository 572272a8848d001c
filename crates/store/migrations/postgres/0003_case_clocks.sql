-- SLA clocks of a case (JSON), the next instant one raises an alarm (what
-- the watcher looks up through its index) and the nearest due instant (for
-- sorting queues).
ALTER TABLE cases ADD COLUMN sla TEXT NOT NULL DEFAULT '{}';
ALTER TABLE cases ADD COLUMN sla_alarm_at BIGINT;
ALTER TABLE cases ADD COLUMN sla_due_at BIGINT;
CREATE INDEX cases_sla_alarm ON cases (sla_alarm_at);
