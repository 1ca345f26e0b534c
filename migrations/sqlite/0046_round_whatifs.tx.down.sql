DROP TABLE round_whatifs;
