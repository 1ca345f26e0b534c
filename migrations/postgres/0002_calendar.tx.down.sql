DROP TABLE calendar_holidays;
