DROP TABLE round_notices;
