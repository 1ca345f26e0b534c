-- The agreed time of a pickup ("14:30", Europe/Paris), when one is set:
-- the school's iCal feed then shows the pickup as a timed event.
ALTER TABLE loans ADD COLUMN pickup_time TEXT
    CHECK (pickup_time IS NULL OR pickup_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$');
