-- The teacher's technical training is recorded after submission by the IT
-- department or the coordinator (planned date, done on date, by whom); the
-- teacher may move the planned date. training_date stays the day shown
-- (the done-on day once done, else the planned day); training_planned_on
-- keeps the planned day after the training is done.
ALTER TABLE requests ADD COLUMN training_planned_on DATE CHECK (training_planned_on IS NULL OR training_planned_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]');
-- who gave the training (free text: a name, a service)
ALTER TABLE requests ADD COLUMN training_by TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN training_recorded_by INTEGER REFERENCES users (id);
ALTER TABLE requests ADD COLUMN training_recorded_at TIMESTAMP;

UPDATE requests SET training_planned_on = training_date WHERE training_status = 'planned';
