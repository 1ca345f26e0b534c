-- School holidays imported from the official dataset (classemobile calendar
-- import). For the school years they cover they replace the holidays
-- embedded in the binary; other years keep the embedded ones.

CREATE TABLE calendar_holidays (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    school_year TEXT NOT NULL CHECK (school_year GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]'),
    description TEXT NOT NULL CHECK (description <> ''),
    zone        TEXT NOT NULL CHECK (zone <> ''),
    -- civil dates (Europe/Paris) as 'YYYY-MM-DD' text, never a midnight
    -- timestamp
    first_day   DATE NOT NULL CHECK (first_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    -- the day classes resume; NULL while unpublished
    resume_day  DATE CHECK (resume_day IS NULL OR (resume_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND resume_day > first_day)),
    -- where the rows came from (the imported file's name)
    source      TEXT NOT NULL DEFAULT '',
    imported_at TIMESTAMP NOT NULL,
    UNIQUE (school_year, description, zone)
);
