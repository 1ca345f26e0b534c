-- The agreed time of a pickup ("14:30", Europe/Paris), when one is set:
-- the school's iCal feed then shows the pickup as a timed event.
ALTER TABLE loans ADD COLUMN pickup_time TEXT
    CHECK (pickup_time IS NULL OR (length(pickup_time) = 5
        AND pickup_time GLOB '[0-2][0-9]:[0-5][0-9]' AND substr(pickup_time, 1, 2) <= '23'));
