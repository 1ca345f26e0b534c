DROP TABLE IF EXISTS school_year_settings;
