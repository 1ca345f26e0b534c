DROP TRIGGER loans_pack_occupation ON loans;
DROP FUNCTION loans_pack_occupation();
DROP TABLE pack_occupations;
