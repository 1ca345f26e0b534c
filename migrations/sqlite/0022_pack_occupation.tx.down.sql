DROP TRIGGER loans_pack_occupation_close;
DROP TRIGGER loans_pack_occupation_open;
DROP TABLE pack_occupations;
