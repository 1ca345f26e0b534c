-- School holidays imported from the official dataset (classemobile calendar
-- import). For the school years they cover they replace the holidays
-- embedded in the binary; other years keep the embedded ones.

CREATE TABLE calendar_holidays (
    id          BIGSERIAL PRIMARY KEY,
    school_year TEXT NOT NULL CHECK (school_year ~ '^[0-9]{4}-[0-9]{4}$'),
    description TEXT NOT NULL CHECK (description <> ''),
    zone        TEXT NOT NULL CHECK (zone <> ''),
    -- civil dates (Europe/Paris), never a midnight timestamp
    first_day   DATE NOT NULL,
    -- the day classes resume; NULL while unpublished
    resume_day  DATE CHECK (resume_day IS NULL OR resume_day > first_day),
    -- where the rows came from (the imported file's name)
    source      TEXT NOT NULL DEFAULT '',
    imported_at TIMESTAMPTZ NOT NULL,
    UNIQUE (school_year, description, zone)
);
